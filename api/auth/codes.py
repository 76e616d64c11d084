"""Sign-up, phone verification and password reset by one-time code.

`POST /register` answers the same 202 whether or not the number is taken (the owner of a
taken number is told by SMS); `POST /verify` with the code signs the new account in.
`POST /password-reset` sends a code to a verified number (same 202 either way) and
`POST /password-reset/confirm` sets the new password and signs in, ending every other
session. `POST /password-check` is the strength rule the PWA shows as the person types.
`GET /dev-outbox` shows the development outbox (SMS_PROVIDER=outbox only).
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest import abort

from api.auth import _tokens, blp
from api.auth.schemas import (
    CodeSentOut,
    OutboxOut,
    OutboxQuery,
    PasswordCheckIn,
    PasswordCheckOut,
    RegisterIn,
    ResetConfirmIn,
    ResetIn,
    TokensOut,
    VerifyIn,
)
from api.security import request_language
from api.transactions import commits
from app import revocations
from app.errors import DomainError, ValidationFailed
from app.extensions import db
from app.limits import code_limits
from app.login_guard import Guard
from app.services import accounts, passwords, verification
from app.services.sms import SmsError, outbox_messages, provider_from_config


class SmsUnavailable(DomainError):
    status, slug, title = 503, "sms-unavailable", "Text message not sent"


PHONE_ONLY = {"vi": "Hãy đăng ký bằng số điện thoại di động.",
              "en": "Sign up with a mobile phone number."}
NOT_SENT = {"vi": "Chưa gửi được tin nhắn. Vui lòng thử lại sau ít phút.",
            "en": "The text message could not be sent. Try again in a few minutes."}


def _outbox() -> bool:
    return (current_app.config.get("SMS_PROVIDER") or "outbox").lower() == "outbox"


def _codes() -> verification.Codes:
    return verification.Codes(db.session, provider_from_config(current_app.config, db.session),
                              str(current_app.config["SECRET_KEY"]))


def _recipient(login: str) -> str:
    return accounts.login_key(login)


def _masked(recipient: str) -> str:
    if "@" in recipient:
        name, _, domain = recipient.partition("@")
        return f"{name[:1]}***@{domain}"
    return recipient[:3] + "*" * max(0, len(recipient) - 5) + recipient[-2:]


def _sent(recipient: str) -> dict[str, Any]:
    return {"status": "code_sent", "to": _masked(recipient),
            "expires_in": int(verification.TTL.total_seconds()), "outbox": _outbox()}




def _send(action: Any, lang: str) -> None:
    try:
        action()
    except SmsError:
        db.session.rollback()
        current_app.logger.warning("sms: provider failed", exc_info=True)
        raise SmsUnavailable(NOT_SENT[lang], headers={"Retry-After": "60"}) from None


@blp.post("/register")
@code_limits
@blp.arguments(RegisterIn)
@blp.response(202, CodeSentOut)
@commits
def register(body: dict[str, Any]) -> dict[str, Any]:
    """Sign up: a code is sent by SMS to prove the number (`POST /verify` signs in). The
    answer is the same whether or not the number already has an account."""
    lang = body.get("language") or request_language()
    phone, email = accounts.check_registration(
        password=body["password"], full_name=body["full_name"], phone=body.get("phone"),
        email=body.get("email"), lang=lang)
    if email and not phone and not _outbox():
        raise ValidationFailed(PHONE_ONLY[lang], errors={"phone": [PHONE_ONLY[lang]]})
    codes = _codes()
    holder: dict[str, str] = {}

    def start() -> None:
        holder["to"] = verification.start_registration(
            codes, password=body["password"], full_name=body["full_name"].strip(), phone=phone,
            email=None if phone else email, language=lang, lang=lang)

    _send(start, lang)
    return _sent(holder["to"])


@blp.post("/verify")
@code_limits
@blp.arguments(VerifyIn)
@blp.response(200, TokensOut)
@commits(keep_on_refusal=True)
def verify(body: dict[str, Any]) -> dict[str, Any]:
    """The sign-up code: the number is verified and the new account signed in."""
    lang = request_language()
    user = verification.finish_registration(_codes(), _recipient(body["login"]),
                                            body["code"], lang)  # a refused try still counts
    result = _tokens(accounts.issue_tokens(db.session, user))
    result["device_token"] = Guard(body["login"], None).device_token()
    return result


@blp.post("/password-reset")
@code_limits
@blp.arguments(ResetIn)
@blp.response(202, CodeSentOut)
@commits
def password_reset(body: dict[str, Any]) -> dict[str, Any]:
    """Send a reset code to a verified number; the answer never says whether it has one."""
    lang = request_language()
    recipient = _recipient(body["login"])
    _send(lambda: verification.start_reset(_codes(), recipient, lang), lang)
    return _sent(recipient)


@blp.post("/password-reset/confirm")
@code_limits
@blp.arguments(ResetConfirmIn)
@blp.response(200, TokensOut)
@commits(keep_on_refusal=True)
def password_reset_confirm(body: dict[str, Any]) -> dict[str, Any]:
    """A new password with the reset code; every other session ends, this one signs in."""
    lang = request_language()
    user, ended = verification.finish_reset(_codes(), _recipient(body["login"]), body["code"],
                                            body["password"], lang)  # a refused try still counts
    for family in ended:
        revocations.revoked_now(family)
    result = _tokens(accounts.issue_tokens(db.session, user))
    result["device_token"] = Guard(body["login"], None).device_token()
    return result


@blp.post("/password-check")
@code_limits
@blp.arguments(PasswordCheckIn)
@blp.response(200, PasswordCheckOut)
def password_check(body: dict[str, Any]) -> dict[str, Any]:
    """The server's strength rule, for the app to show as the person types."""
    found = passwords.problems(body["password"], body.get("full_name"), body.get("phone"),
                               body.get("email"), lang=request_language())
    return {"ok": not found, "problems": found}


@blp.get("/dev-outbox")
@blp.arguments(OutboxQuery, location="query")
@blp.response(200, OutboxOut)
def dev_outbox(query: dict[str, Any]) -> dict[str, Any]:
    """Development only (SMS_PROVIDER=outbox): the latest messages kept for a number."""
    if not _outbox():
        abort(404)
    rows = outbox_messages(db.session, _recipient(query["to"]))
    return {"messages": [{"text": m.text, "created_at": m.created_at.isoformat()} for m in rows]}
