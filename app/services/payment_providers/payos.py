"""payOS (VietQR bank transfers) through its official SDK, `payos`.

Settings: PAYOS_CLIENT_ID, PAYOS_API_KEY, PAYOS_CHECKSUM_KEY, PAYOS_BASE_URL. Webhooks
are verified by the SDK with the checksum key (HMAC-SHA256 over the sorted `data`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
from payos import APIError, PayOS, PayOSError, WebhookError
from payos.types import CreatePaymentLinkRequest

from app.services.payment_providers import (
    InvalidNotice,
    Notice,
    OrderExists,
    PaymentRequest,
    ProviderError,
    RequestStatus,
)

# payOS answers code "231" when the order code is already used.
ORDER_EXISTS = "231"


class PayOSProvider:
    name = "payos"

    def __init__(self, client_id: str, api_key: str, checksum_key: str, base_url: str | None,
                 http_client: httpx.Client | None = None, timeout: float = 15.0) -> None:
        self.client = PayOS(client_id=client_id, api_key=api_key, checksum_key=checksum_key,
                            base_url=base_url, timeout=timeout, max_retries=1,
                            http_client=http_client)

    def create(self, *, order_code: int, amount: int, description: str, return_url: str,
               cancel_url: str, expires_at: datetime | None, buyer_name: str | None
               ) -> PaymentRequest:
        request = CreatePaymentLinkRequest(
            order_code=order_code, amount=amount, description=description[:25],
            return_url=return_url, cancel_url=cancel_url, buyer_name=buyer_name,
            expired_at=int(expires_at.timestamp()) if expires_at else None)
        try:
            made = self.client.payment_requests.create(request)
        except APIError as exc:
            if getattr(exc, "error_code", None) == ORDER_EXISTS:
                raise OrderExists(str(exc)) from exc
            raise ProviderError(str(exc)) from exc
        except PayOSError as exc:
            raise ProviderError(str(exc)) from exc
        return PaymentRequest(
            payment_link_id=made.payment_link_id, checkout_url=made.checkout_url,
            qr_code=made.qr_code, status=made.status,
            expires_at=datetime.fromtimestamp(made.expired_at, UTC) if made.expired_at else None)

    def status(self, order_code: int) -> RequestStatus:
        try:
            link = self.client.payment_requests.get(order_code)
        except PayOSError as exc:
            raise ProviderError(str(exc)) from exc
        notices = [Notice(order_code=link.order_code, reference=t.reference, amount=t.amount,
                          currency="VND", success=True, at=t.transaction_date_time,
                          payload=t.model_dump_camel_case())
                   for t in link.transactions]
        return RequestStatus(status=link.status, notices=notices)

    def cancel(self, order_code: int, reason: str) -> None:
        try:
            self.client.payment_requests.cancel(order_code, reason)
        except PayOSError as exc:
            raise ProviderError(str(exc)) from exc

    def verify(self, body: bytes) -> Notice:
        try:
            payload: Any = json.loads(body)
        except ValueError as exc:
            raise InvalidNotice("not JSON") from exc
        if not isinstance(payload, dict):
            raise InvalidNotice("not a webhook")
        try:
            data = self.client.webhooks.verify(payload)
        except (WebhookError, PayOSError, ValueError, TypeError) as exc:
            raise InvalidNotice(str(exc)) from exc
        return Notice(order_code=data.order_code, reference=data.reference, amount=data.amount,
                      currency=data.currency, success=data.code == "00",
                      at=data.transaction_date_time, payload=data.model_dump_camel_case())
