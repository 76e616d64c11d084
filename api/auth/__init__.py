"""Accounts: sign in, rotate refresh tokens, sign out (sign-up and password reset by
one-time code: api/auth/codes.py)."""

from __future__ import annotations

from typing import Any

from flask_jwt_extended import current_user, get_jwt
from flask_smorest import Blueprint

from api.auth.schemas import LoginIn, LogoutIn, MeIn, RefreshIn, TokensOut, UserOut
from api.security import BEARER, user_required
from api.transactions import commits
from app import revocations
from app.errors import DomainError, ValidationFailed
from app.extensions import db
from app.limits import login_limits, refresh_limits
from app.login_guard import Guard
from app.services import accounts
from app.services.representations import user_dict

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Accounts and tokens")


def _tokens(result: dict[str, Any]) -> dict[str, Any]:
    return {**result, "user": user_dict(result["user"])}


@blp.post("/login")
@login_limits
@blp.arguments(LoginIn)
@blp.response(200, TokensOut)
@commits(keep_on_refusal=True)
def login(body: dict[str, Any]) -> dict[str, Any]:
    """Sign in with phone or email and password. Failures are slowed down (429 with
    Retry-After) per account and per device, never locked: send back the `device_token`
    of this device's last sign-in so a stranger's guesses elsewhere do not delay it."""
    login_name = body.get("login") or body.get("phone") or body.get("email")
    if not login_name:
        raise ValidationFailed("Give a phone number or email.", errors={"login": ["Required."]})
    guard = Guard(login_name, body.get("device_token"))
    guard.check()
    try:
        user = accounts.authenticate(db.session, login_name, body["password"])
    except DomainError:
        guard.failed()
        raise
    result = _tokens(accounts.issue_tokens(db.session, user))
    result["device_token"] = guard.device_token()
    return result


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
    """End this session (the one the access token belongs to, and the one `refresh_token`
    names, if sent): its refresh tokens stop rotating and its access tokens stop working."""
    families = accounts.logout(db.session, current_user, body.get("refresh_token"),
                               get_jwt().get("fam"))
    for family in families:
        revocations.revoked_now(family)


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


from api.auth import codes  # noqa: E402,F401  (sign-up, verification, reset: same blueprint)
