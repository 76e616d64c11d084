"""Text messages to phones through a provider (no Flask here).

`SmsProvider.send(phone, text)` is all the rest of the code knows. Providers:
- `SpeedSms`: the SpeedSMS.vn HTTP API (https://api.speedsms.vn/index.php/sms/send: POST,
  HTTP Basic auth with the access token as user name and "x" as password, a JSON body
  `{"to": ["84…"], "content": …, "sms_type": 2|3|4|5, "sender": …}`; it answers
  `{"status": "success", "code": "00", "data": {"tranId", "totalSMS", "totalPrice",
  "invalidPhone": []}}` or `{"status": "error", "code": …, "message": …}`).
- `Outbox`: the development outbox: messages are stored in the database (`sms_outbox`)
  and shown by the demo instead of being sent. The embedded default.
Configured by environment (see `provider_from_config`).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from base64 import b64encode
from collections.abc import Mapping
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.verification import SmsMessage
from app.services import clock


class SmsError(Exception):
    """The provider did not take the message (the caller answers 503: try again later)."""


class SmsProvider(Protocol):
    name: str

    def send(self, phone: str, text: str) -> None: ...


def international(phone: str) -> str:
    """0912345678 → 84912345678, as Vietnamese gateways want it."""
    return "84" + phone[1:] if phone.startswith("0") else phone.lstrip("+")


class SpeedSms:
    name = "speedsms"

    def __init__(self, access_token: str, *, sender: str = "", sms_type: int = 2,
                 base_url: str = "https://api.speedsms.vn/index.php", timeout: float = 10) -> None:
        if not access_token:
            raise ValueError("SPEEDSMS_ACCESS_TOKEN is required for SMS_PROVIDER=speedsms")
        self.auth = "Basic " + b64encode(f"{access_token}:x".encode()).decode()
        self.sender, self.sms_type = sender, sms_type
        self.url = base_url.rstrip("/") + "/sms/send"
        self.timeout = timeout

    def send(self, phone: str, text: str) -> None:
        body = json.dumps({"to": [international(phone)], "content": text,
                           "sms_type": self.sms_type, "sender": self.sender}).encode()
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Authorization": self.auth, "Content-Type": "application/json",
            "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:  # noqa: S310
                answer = json.loads(resp.read() or b"{}")
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            raise SmsError(f"SpeedSMS unreachable: {exc}") from exc
        if not isinstance(answer, dict) or answer.get("status") != "success":
            code = answer.get("code") if isinstance(answer, dict) else None
            message = answer.get("message") if isinstance(answer, dict) else answer
            raise SmsError(f"SpeedSMS refused the message: {code} {message}")
        invalid = (answer.get("data") or {}).get("invalidPhone") or []
        if international(phone) in invalid:
            raise SmsError("SpeedSMS says the number is invalid")


class Outbox:
    """Development: keep the message in `sms_outbox` for the demo to show."""

    name = "outbox"

    def __init__(self, session: Session) -> None:
        self.session = session

    def send(self, phone: str, text: str) -> None:
        self.session.add(SmsMessage(recipient=phone, text=text, created_at=clock.now()))
        self.session.flush()


def outbox_messages(session: Session, recipient: str, limit: int = 5) -> list[SmsMessage]:
    """The latest messages the development outbox kept for one recipient, newest first."""
    return list(session.scalars(select(SmsMessage).where(SmsMessage.recipient == recipient)
                                .order_by(SmsMessage.id.desc()).limit(limit)))


def provider_from_config(config: Mapping[str, Any], session: Session) -> SmsProvider:
    """SMS_PROVIDER: `outbox` (default) or `speedsms` (SPEEDSMS_ACCESS_TOKEN, SPEEDSMS_SENDER,
    SPEEDSMS_SMS_TYPE, SPEEDSMS_URL)."""
    kind = (config.get("SMS_PROVIDER") or "outbox").lower()
    if kind == "speedsms":
        return SpeedSms(config.get("SPEEDSMS_ACCESS_TOKEN") or "",
                        sender=config.get("SPEEDSMS_SENDER") or "",
                        sms_type=int(config.get("SPEEDSMS_SMS_TYPE") or 2),
                        base_url=config.get("SPEEDSMS_URL") or "https://api.speedsms.vn/index.php")
    if kind == "outbox":
        return Outbox(session)
    raise ValueError(f"SMS_PROVIDER {kind!r} is not one of outbox, speedsms")
