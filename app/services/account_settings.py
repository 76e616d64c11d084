"""A citizen's own account settings: change the password, sign out on every device.

Both end refresh-token families in the database; an access token already issued stays valid
until it expires (JWT_ACCESS_SECONDS), as for any sign-out.
"""

from __future__ import annotations

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from app.errors import ValidationFailed
from app.models.accounts import User
from app.services import accounts

WRONG_PASSWORD = "The current password is wrong."


def sign_out_everywhere(session: Session, user: User, keep_family: str | None = None) -> list[str]:
    """Revoke every live session of `user` (all but `keep_family`, when given); returns the
    families ended."""
    return accounts.revoke_all(session, user.id, keep_family)


def change_password(session: Session, user: User, current: str, new: str,
                    keep_family: str | None = None) -> list[str]:
    """Check the current password, apply the rules to the new one, and end the other sessions
    (a stolen phone stays signed in no longer than its access token)."""
    try:
        accounts.hasher.verify(user.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise ValidationFailed(WRONG_PASSWORD, errors={"current_password": [WRONG_PASSWORD]}) from None
    problems = accounts.password_problems(new, user.phone, user.email)
    if problems:
        raise ValidationFailed("Weak password.", errors={"new_password": problems})
    user.password_hash = accounts.hasher.hash(new)
    return sign_out_everywhere(session, user, keep_family)
