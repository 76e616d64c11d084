"""A citizen's own account settings: change the password, sign out on every device.

Both end refresh-token families in the database; an access token already issued stays valid
until it expires (JWT_ACCESS_SECONDS), as for any sign-out.
"""

from __future__ import annotations

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.errors import ValidationFailed
from app.models.accounts import RefreshToken, User
from app.services import accounts, clock

WRONG_PASSWORD = "The current password is wrong."


def sign_out_everywhere(session: Session, user: User, keep_family: str | None = None) -> None:
    """Revoke every live session of `user` (all but `keep_family`, when given)."""
    query = update(RefreshToken).where(RefreshToken.user_id == user.id,
                                       RefreshToken.revoked_at.is_(None))
    if keep_family:
        query = query.where(RefreshToken.family_id != keep_family)
    session.execute(query.values(revoked_at=clock.now()))


def change_password(session: Session, user: User, current: str, new: str,
                    keep_family: str | None = None) -> None:
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
    sign_out_everywhere(session, user, keep_family)
