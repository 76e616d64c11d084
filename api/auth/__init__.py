"""Accounts: register, sign in, rotate refresh tokens, sign out."""

from __future__ import annotations

from typing import Any

from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from api.auth.schemas import LoginIn, LogoutIn, MeIn, RefreshIn, RegisterIn, TokensOut, UserOut
from api.security import BEARER, request_language, user_required
from api.transactions import commits
from app.errors import ValidationFailed
from app.extensions import db
from app.limits import login_limits, refresh_limits, register_limits
from app.services import accounts
from app.services.representations import user_dict

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Accounts and tokens")


def _tokens(result: dict[str, Any]) -> dict[str, Any]:
    return {**result, "user": user_dict(result["user"])}


@blp.post("/register")
@register_limits
@blp.arguments(RegisterIn)
@blp.response(201, TokensOut)
@commits
def register(body: dict[str, Any]) -> dict[str, Any]:
    """Create a citizen account (phone or email) and sign in."""
    user = accounts.register(db.session, password=body["password"], full_name=body["full_name"],
                             phone=body.get("phone"), email=body.get("email"),
                             language=body.get("language") or request_language())
    return _tokens(accounts.issue_tokens(db.session, user))


@blp.post("/login")
@login_limits
@blp.arguments(LoginIn)
@blp.response(200, TokensOut)
@commits(keep_on_refusal=True)
def login(body: dict[str, Any]) -> dict[str, Any]:
    """Sign in with phone or email and password; repeated failures are slowed down (429)."""
    login_name = body.get("login") or body.get("phone") or body.get("email")
    if not login_name:
        raise ValidationFailed("Give a phone number or email.", errors={"login": ["Required."]})
    user = accounts.authenticate(db.session, login_name, body["password"])  # counts failures
    return _tokens(accounts.issue_tokens(db.session, user))


@blp.post("/refresh")
@refresh_limits
@blp.arguments(RefreshIn)
@blp.response(200, TokensOut)
@commits(keep_on_refusal=True)
def refresh(body: dict[str, Any]) -> dict[str, Any]:
    """Rotate the refresh token; reusing an old one revokes the whole family."""
    return _tokens(accounts.rotate(db.session, body["refresh_token"]))  # a reuse revokes the family


@blp.post("/logout")
@blp.arguments(LogoutIn)
@blp.response(204)
@blp.doc(security=BEARER)
@user_required
@commits
def logout(body: dict[str, Any]) -> None:
    """Revoke the refresh-token family of this session."""
    accounts.logout(db.session, current_user, body.get("refresh_token"))


@blp.get("/me")
@blp.response(200, UserOut)
@blp.doc(security=BEARER)
@user_required
def me() -> dict[str, Any]:
    return user_dict(current_user)


@blp.patch("/me")
@blp.arguments(MeIn)
@blp.response(200, UserOut)
@blp.doc(security=BEARER)
@user_required
@commits
def update_me(body: dict[str, Any]) -> dict[str, Any]:
    """Change the display name or the language notifications are written in."""
    for key in ("language", "full_name"):
        if key in body:
            setattr(current_user, key, body[key])
    return user_dict(current_user)
