"""Proving a person holds a phone: sign-up and password reset by a one-time code (no Flask).

Sign-up never tells whether a number is taken: every request is answered the same way
("a code was sent"). A new number gets an account that cannot sign in until the code
comes back; a number whose account was never verified is taken over by the new request
(nobody could ever sign in to it, so squatting a number blocks no one); the owner of a
number with a real account gets a message saying someone tried, and nothing changes.
Password reset sends the same kind of code to a real account's number, with the same
answer either way, and proves the number too.

Codes: 6 digits, valid 10 minutes, 5 tries, single use; only a keyed hash is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app.errors import ValidationFailed
from app.models.accounts import CITIZEN, User
from app.models.verification import PhoneCode
from app.services import accounts, clock, passwords
from app.services.sms import SmsProvider

hasher = passwords.hasher
TTL = timedelta(minutes=10)
TRIES = 5
REGISTER, RESET = "register", "reset"

TEXTS = {
    "register": {"vi": "Hoso: ma xac thuc dang ky cua ban la {code}. Ma co hieu luc 10 phut. "
                       "Khong chia se ma nay cho ai.",
                 "en": "Hoso: your sign-up code is {code}. It is valid for 10 minutes. "
                       "Do not share it."},
    "taken": {"vi": "Hoso: co nguoi vua dang ky bang so dien thoai nay. Neu la ban, hay dang nhap "
                    "hoac chon Quen mat khau.",
              "en": "Hoso: someone tried to sign up with this number. If it was you, sign in or "
                    "choose Forgot password."},
    "reset": {"vi": "Hoso: ma dat lai mat khau cua ban la {code}. Ma co hieu luc 10 phut. "
                    "Khong chia se ma nay cho ai.",
              "en": "Hoso: your password reset code is {code}. It is valid for 10 minutes. "
                    "Do not share it."},
}
WRONG = {"vi": "Mã không đúng hoặc đã hết hạn. Hãy kiểm tra tin nhắn mới nhất hoặc xin mã mới.",
         "en": "The code is wrong or has expired. Check the latest message or ask for a new code."}


class Codes:
    """Issuing and checking codes with the server's key."""

    def __init__(self, session: Session, sms: SmsProvider, secret: str) -> None:
        self.session, self.sms, self.secret = session, sms, secret.encode()

    def _hash(self, recipient: str, purpose: str, code: str) -> str:
        return hmac.new(self.secret, f"{purpose}:{recipient}:{code}".encode(),
                        hashlib.sha256).hexdigest()

    def send(self, recipient: str, purpose: str, user: User, lang: str) -> None:
        """A new code (earlier unused ones for the same purpose stop working)."""
        now = clock.now()
        self.session.execute(update(PhoneCode).where(
            PhoneCode.recipient == recipient, PhoneCode.purpose == purpose,
            PhoneCode.used_at.is_(None)).values(used_at=now))
        code = f"{secrets.randbelow(10**6):06d}"
        self.session.add(PhoneCode(recipient=recipient, purpose=purpose, user_id=user.id,
                                   code_hash=self._hash(recipient, purpose, code),
                                   created_at=now, expires_at=now + TTL))
        self.session.flush()
        self.sms.send(recipient, TEXTS[purpose][lang].format(code=code))

    def check(self, recipient: str, purpose: str, code: str, lang: str) -> User:
        """The account the code proves; a wrong, used, expired or worn-out code is refused
        with one message whatever the reason."""
        now = clock.now()
        row = self.session.scalars(
            select(PhoneCode).where(PhoneCode.recipient == recipient, PhoneCode.purpose == purpose,
                                    PhoneCode.used_at.is_(None))
            .order_by(PhoneCode.id.desc()).with_for_update()).first()
        wrong = ValidationFailed(WRONG[lang], errors={"code": [WRONG[lang]]})
        if row is None or row.expires_at <= now or row.attempts >= TRIES:
            raise wrong
        row.attempts += 1
        if not hmac.compare_digest(row.code_hash, self._hash(recipient, purpose, code.strip())):
            self.session.flush()
            raise wrong
        row.used_at = now
        user = self.session.get(User, row.user_id) if row.user_id else None
        if user is None:
            raise wrong
        return user


def _find(session: Session, phone: str | None, email: str | None) -> User | None:
    clauses = [c for c in (User.phone == phone if phone else None,
                           User.email == email if email else None) if c is not None]
    return session.scalars(select(User).where(or_(*clauses))).first()


def start_registration(codes: Codes, *, password: str, full_name: str, phone: str | None,
                       email: str | None, language: str, lang: str) -> str:
    """Send a sign-up code (or, for a verified number, a note that someone tried).
    Returns the recipient; the caller answers the same whatever happened."""
    session = codes.session
    recipient = phone or email or ""
    existing = _find(session, phone, email)
    if existing is not None and not existing.signup_pending:
        codes.sms.send(recipient, TEXTS["taken"][lang])
        return recipient
    if existing is None:
        existing = User(kind=CITIZEN, phone=phone or None, email=email or None,
                        password_hash="", full_name="", language=language, signup_pending=True)
        session.add(existing)
    # Never verified: nobody ever signed in to it, so the latest request decides.
    existing.password_hash = hasher.hash(password)
    existing.full_name, existing.language = full_name, language
    session.flush()
    codes.send(recipient, REGISTER, existing, lang)
    return recipient


def finish_registration(codes: Codes, recipient: str, code: str, lang: str) -> User:
    user = codes.check(recipient, REGISTER, code, lang)
    now = clock.now()
    user.signup_pending = False
    if user.phone == recipient:
        user.phone_verified_at = now
    elif user.email == recipient:
        user.email_verified_at = now
    codes.session.flush()
    return user


def start_reset(codes: Codes, recipient: str, lang: str) -> None:
    """A reset code to a verified account's number; nothing (and the same answer) otherwise."""
    user = _find(codes.session, recipient if "@" not in recipient else None,
                 recipient if "@" in recipient else None)
    if user is not None and user.kind == CITIZEN and not user.signup_pending:
        codes.send(recipient, RESET, user, lang)


def finish_reset(codes: Codes, recipient: str, code: str, new_password: str, lang: str
                 ) -> tuple[User, list[str]]:
    """Set a new password with a reset code; every session of the account ends (the user and
    the sessions' families are returned). A weak
    password is refused before the code is tried, so the code stays usable."""
    owner = _find(codes.session, recipient if "@" not in recipient else None,
                  recipient if "@" in recipient else None)
    names = (owner.full_name, owner.phone, owner.email) if owner is not None else (recipient,)
    found = passwords.problems(new_password, *names, lang=lang)
    if found:
        raise ValidationFailed(found[0], errors={"password": found})
    user = codes.check(recipient, RESET, code, lang)
    if user.phone == recipient:
        user.phone_verified_at = user.phone_verified_at or clock.now()  # the code proves it
    user.password_hash = hasher.hash(new_password)
    ended = accounts.revoke_all(codes.session, user.id)
    codes.session.flush()
    return user, ended
