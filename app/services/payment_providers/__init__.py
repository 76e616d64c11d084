"""Payment gateways behind one small interface; another (VNPay, the national payment
platform) is one more module here implementing `PaymentProvider`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


class ProviderError(Exception):
    """The gateway could not be reached or refused the call; nothing was decided."""


class OrderExists(ProviderError):
    """The gateway already has a request with this order code (a lost answer, retried)."""


class InvalidNotice(Exception):
    """A webhook whose signature does not verify, or that is not a webhook at all."""


@dataclass(frozen=True)
class PaymentRequest:
    """What the citizen needs to pay: a VietQR payload and a checkout link."""

    payment_link_id: str
    checkout_url: str
    qr_code: str
    status: str
    expires_at: datetime | None = None


@dataclass(frozen=True)
class Notice:
    """Money received (or not) for one order code, as the gateway reports it."""

    order_code: int
    reference: str
    amount: int
    currency: str
    success: bool
    at: str = ""
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RequestStatus:
    status: str  # PENDING | PAID | CANCELLED | EXPIRED | UNDERPAID | PROCESSING | FAILED
    notices: list[Notice]


class PaymentProvider(Protocol):
    name: str

    def create(self, *, order_code: int, amount: int, description: str, return_url: str,
               cancel_url: str, expires_at: datetime | None, buyer_name: str | None
               ) -> PaymentRequest: ...

    def status(self, order_code: int) -> RequestStatus: ...

    def cancel(self, order_code: int, reason: str) -> None: ...

    def verify(self, body: bytes) -> Notice: ...


_current: PaymentProvider | None = None


def install(provider: PaymentProvider | None) -> None:
    """Set the gateway the domain uses (the app factory calls this from configuration)."""
    global _current
    _current = provider


def current() -> PaymentProvider:
    if _current is None:
        raise ProviderError("No payment gateway is configured.")
    return _current
