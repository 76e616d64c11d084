"""The signed-in person's own account: change the password, sign out on every device."""

from __future__ import annotations

from typing import Any

from flask_jwt_extended import current_user, decode_token
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from api.security import BEARER, user_required
from api.transactions import commits
from app import revocations
from app.extensions import db
from app.services import account_settings

blp = Blueprint("account", __name__, url_prefix="/api/v1/account",
                description="The signed-in person's own account settings")


class PasswordIn(Schema):
    current_password = fields.String(required=True, validate=validate.Length(max=256))
    new_password = fields.String(required=True, validate=validate.Length(max=256))
    refresh_token = fields.String(load_default=None, metadata={
        "description": "This session's refresh token: it stays signed in, the others end"})


class SignOutIn(Schema):
    refresh_token = fields.String(load_default=None, metadata={
        "description": "Kept signed in when given (\"other devices\"); else every session ends"})


def _family(token: str | None) -> str | None:
    """The session family of a refresh token that belongs to this person, else None."""
    if not token:
        return None
    try:
        claims = decode_token(token, allow_expired=True)
    except Exception:  # a bad token keeps nothing, whatever is wrong with it
        return None
    return claims.get("fam") if claims.get("sub") == str(current_user.id) else None


@blp.post("/password")
@blp.arguments(PasswordIn)
@blp.response(204)
@blp.doc(security=BEARER)
@user_required
@commits
def change_password(body: dict[str, Any]) -> None:
    """Change my password; my other sessions end."""
    for family in account_settings.change_password(db.session, current_user,
                                                   body["current_password"], body["new_password"],
                                                   _family(body.get("refresh_token"))):
        revocations.revoked_now(family)


@blp.post("/sign-out-everywhere")
@blp.arguments(SignOutIn)
@blp.response(204)
@blp.doc(security=BEARER)
@user_required
@commits
def sign_out_everywhere(body: dict[str, Any]) -> None:
    """End my sessions on every device (all but this one when its refresh token is given)."""
    for family in account_settings.sign_out_everywhere(db.session, current_user,
                                                       _family(body.get("refresh_token"))):
        revocations.revoked_now(family)
