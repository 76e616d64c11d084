"""Accounts: registration, login with throttling, rotating refresh tokens, officials."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app.errors import Conflict, Unauthorized, ValidationFailed
from app.models.accounts import CITIZEN, OFFICIAL, ROLES, Agency, RefreshToken, User
from app.services import clock, passwords

hasher = passwords.hasher
PHONE_RE = re.compile(r"^(0|\+84|84)(3|5|7|8|9)[0-9]{8}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class TokenCodec(Protocol):
    """Signs and reads the session's tokens (JWT, bound to the app in `app/tokens.py`)."""

    def encode_access(self, identity: str, claims: dict[str, Any]) -> str: ...
    def encode_refresh(self, identity: str, claims: dict[str, Any]) -> str: ...
    def decode(self, token: str, allow_expired: bool) -> dict[str, Any]: ...


_wiring: dict[str, Any] = {}


def configure(tokens: TokenCodec, config: Callable[[], Mapping[str, Any]]) -> None:
    """Called by the app factory: the token codec and the running app's settings
    (LOGIN_FREE_ATTEMPTS, JWT_*_TOKEN_EXPIRES, REFRESH_REUSE_GRACE_SECONDS)."""
    _wiring.update(tokens=tokens, config=config)


def _tokens() -> TokenCodec:
    return _wiring["tokens"]


def _config() -> Mapping[str, Any]:
    return _wiring["config"]()


def normalise_phone(phone: str) -> str:
    phone = re.sub(r"[\s.-]", "", phone)
    if phone.startswith("+84"):
        return "0" + phone[3:]
    if phone.startswith("84") and len(phone) == 11:
        return "0" + phone[2:]
    return phone


def password_problems(password: str, *identifiers: str | None, lang: str = "en") -> list[str]:
    # The shared strength rule (app/services/passwords.py: zxcvbn with the person's own
    # name, phone and email as known words), its messages in `lang`.
    return passwords.problems(password, *identifiers, lang=lang)


def check_registration(*, password: str, full_name: str, phone: str | None, email: str | None,
                       lang: str = "en") -> tuple[str | None, str | None]:
    """Normalised phone and email, or 422 with every problem."""
    errors: dict[str, list[str]] = {}
    if not phone and not email:
        errors["phone"] = ["Give a phone number or an email address."]
    if phone:
        phone = normalise_phone(phone)
        if not PHONE_RE.match(phone):
            errors["phone"] = ["Not a valid Vietnamese mobile number."]
    if email:
        email = email.strip().lower()
        if not EMAIL_RE.match(email):
            errors["email"] = ["Not a valid email address."]
    if not full_name.strip():
        errors["full_name"] = ["Required."]
    problems = password_problems(password, full_name, phone, email, lang=lang)
    if problems:
        errors["password"] = problems
    if errors:
        raise ValidationFailed("Some fields are missing or invalid.", errors=errors)
    return phone or None, email or None


def register(session: Session, *, password: str, full_name: str, phone: str | None = None,
             email: str | None = None, language: str = "vi", verified: bool = True) -> User:
    # An account made directly (operators, tests, the demo citizen): no code is sent, so
    # it counts as verified unless told otherwise. Citizens sign up through
    # app/services/verification.py, which never says whether a number is taken.
    phone, email = check_registration(password=password, full_name=full_name, phone=phone,
                                      email=email)
    clauses = [c for c in (User.phone == phone if phone else None,
                           User.email == email if email else None) if c is not None]
    if session.scalars(select(User.id).where(or_(*clauses))).first() is not None:
        raise Conflict("An account with this phone number or email already exists.",
                       errors={"phone" if phone else "email": ["Already registered."]})
    now = clock.now() if verified else None
    user = User(kind=CITIZEN, phone=phone or None, email=email or None,
                password_hash=hasher.hash(password), full_name=full_name.strip(),
                language=language if language in ("vi", "en") else "vi",
                phone_verified_at=now if phone else None,
                email_verified_at=now if email and not phone else None)
    session.add(user)
    session.flush()
    return user


def create_official(session: Session, *, email: str, password: str, full_name: str,
                    agency_code: str, role: str) -> User:
    if role not in ROLES:
        raise ValidationFailed(f"Role must be one of {', '.join(ROLES)}.")
    if session.get(Agency, agency_code) is None:
        raise ValidationFailed(f"No agency {agency_code!r}.")
    problems = password_problems(password, email)
    if problems:
        raise ValidationFailed("Weak password.", errors={"password": problems})
    email = email.strip().lower()
    if session.scalars(select(User.id).where(User.email == email)).first() is not None:
        raise Conflict("An account with this email already exists.")
    user = User(kind=OFFICIAL, email=email, password_hash=hasher.hash(password),
                full_name=full_name, agency_code=agency_code, role=role)
    session.add(user)
    session.flush()
    return user


def login_key(login: str) -> str:
    """The account a login name names: an email in lower case, a phone number normalised."""
    login = login.strip()
    return login.lower() if "@" in login else normalise_phone(login)


def authenticate(session: Session, login: str, password: str) -> User:
    """Check a password. Throttling is the caller's (app/login_guard.py): budgets per
    account and device, never a lock on the account itself, so a stranger's guesses
    cannot shut its owner out. An unknown account costs the same hash as a known one."""
    key = login_key(login)
    user = session.scalars(select(User).where(or_(User.email == key, User.phone == key))).first()
    try:
        hasher.verify(user.password_hash if user else hasher.dummy, password)
        ok = user is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if ok and user.signup_pending:
        ok = False  # signed up but never proved the number: as if there were no account
    if not ok:
        raise Unauthorized("Wrong phone/email or password.")
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return user


def _claims(user: User, family_id: str) -> dict[str, Any]:
    # `fam`: the session (refresh-token family) the access token belongs to; signing out
    # revokes both (app/revocations.py).
    return {"kind": user.kind, "role": user.role, "agency": user.agency_code, "fam": family_id}


def issue_tokens(session: Session, user: User, family_id: str | None = None) -> dict[str, Any]:
    family_id = family_id or uuid.uuid4().hex
    jti = uuid.uuid4().hex
    refresh = _tokens().encode_refresh(str(user.id), {"jti": jti, "fam": family_id})
    expires = clock.now() + _config()["JWT_REFRESH_TOKEN_EXPIRES"]
    session.add(RefreshToken(jti=jti, family_id=family_id, user_id=user.id, expires_at=expires))
    access = _tokens().encode_access(str(user.id), _claims(user, family_id))
    return {
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "Bearer",
        "expires_in": int(_config()["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds()),
        "user": user,
    }


def rotate(session: Session, refresh_token: str) -> dict[str, Any]:
    """Swap a refresh token for a new pair; a token used twice revokes its family.

    A retry within a short grace window (the first answer was lost on a bad link)
    gets a fresh pair instead of revoking the family.
    """
    claims = _decode_refresh(refresh_token)
    row = session.scalars(
        select(RefreshToken).where(RefreshToken.jti == claims["jti"]).with_for_update()
    ).first()
    if row is None or row.revoked_at is not None:
        raise Unauthorized("This session has ended. Sign in again.")
    now = clock.now()
    if row.used_at is not None:
        grace = timedelta(seconds=_config().get("REFRESH_REUSE_GRACE_SECONDS", 30))
        if now - row.used_at > grace:
            revoke_family(session, row.family_id, now)
            raise Unauthorized("This refresh token was already used; the session is revoked.")
    else:
        row.used_at = now
    user = session.get(User, row.user_id)
    if user is None:
        raise Unauthorized("This session has ended. Sign in again.")
    return issue_tokens(session, user, row.family_id)


def revoke_family(session: Session, family_id: str, moment: datetime | None = None) -> None:
    """End a session: its refresh tokens, and its access tokens (they name the family)."""
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=moment or clock.now())
    )


def revoke_all(session: Session, user_id: int, keep_family: str | None = None) -> list[str]:
    """End every live session of a user (all but `keep_family`, when given); returns the
    families ended, for the process to refuse their access tokens at once
    (app/revocations.py; other processes see them at their next poll)."""
    query = update(RefreshToken).where(RefreshToken.user_id == user_id,
                                       RefreshToken.revoked_at.is_(None))
    if keep_family:
        query = query.where(RefreshToken.family_id != keep_family)
    ended = session.execute(query.values(revoked_at=clock.now())
                            .returning(RefreshToken.family_id)).scalars()
    return sorted(set(ended))


def logout(session: Session, user: User, refresh_token: str | None,
           access_family: str | None = None) -> list[str]:
    """End the session the request came from (its access token's family) and the one the
    refresh token names, if given; returns the families revoked."""
    families = []
    if refresh_token:
        claims = _decode_refresh(refresh_token, allow_expired=True)
        if claims.get("sub") != str(user.id):
            raise Unauthorized("This refresh token belongs to another session.")
        families.append(claims["fam"])
    if access_family and access_family not in families:
        families.append(access_family)
    for family in families:
        revoke_family(session, family)
    return families


def _decode_refresh(token: str, allow_expired: bool = False) -> dict[str, Any]:
    try:
        claims = _tokens().decode(token, allow_expired)
    except Exception as exc:  # any decoding failure is the same answer to the client
        raise Unauthorized("Invalid refresh token.") from exc
    if claims.get("type") != "refresh" or "fam" not in claims:
        raise Unauthorized("Invalid refresh token.")
    return claims
