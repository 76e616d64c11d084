"""Payments of fees: provider requests, webhook deliveries, refunds and receipts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JsonType, UtcDateTime, utcnow

# Statuses where a payment is still open: at most one per dossier (a partial unique index).
OPEN_STATUSES = ("creating", "pending")
_OPEN = text("status IN ('creating', 'pending')")


class Payment(Base):
    """One payment of a dossier's fee: online (a provider request) or taken at the desk."""

    __tablename__ = "payments"
    __table_args__ = (
        Index("uq_payments_one_open_per_dossier", "dossier_id", unique=True,
              sqlite_where=_OPEN, postgresql_where=_OPEN),
        Index("ix_payments_agency_paid", "agency_code", "paid_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    dossier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"),
                                                  index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    agency_code: Mapped[str] = mapped_column(String(32))
    procedure_code: Mapped[str] = mapped_column(String(64))
    # payos | desk; method: online | cash | transfer.
    provider: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(16))
    # creating | pending | paid | cancelled | expired | failed
    status: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="VND")
    # The provider's order code (payOS: a positive integer unique per merchant).
    order_code: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    # Whoever holds the lease may call the provider to create the request (services/payments.py).
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    payment_link_id: Mapped[str | None] = mapped_column(String(64))
    checkout_url: Mapped[str | None] = mapped_column(Text)
    qr_code: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The bank transaction that paid it (payOS webhook `reference`).
    provider_reference: Mapped[str | None] = mapped_column(String(64))
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    official_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class PaymentNotice(Base):
    """Every verified provider notice (webhook or status read), applied once per reference."""

    __tablename__ = "payment_notices"
    __table_args__ = (UniqueConstraint("provider", "reference", name="uq_payment_notices_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str] = mapped_column(String(64))
    order_code: Mapped[int] = mapped_column(BigInteger, index=True)
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    # webhook | poll
    source: Mapped[str] = mapped_column(String(16))
    # applied | mismatch | unmatched | refund
    outcome: Mapped[str] = mapped_column(String(16))
    payment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("payments.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    # Cleared by the desk: who looked at a flagged notice and when.
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Refund(Base):
    """Money that arrived for a dossier no longer owing it; the desk pays it back."""

    __tablename__ = "refunds"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    payment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payments.id"), unique=True)
    dossier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"),
                                                  index=True)
    agency_code: Mapped[str] = mapped_column(String(32), index=True)
    amount: Mapped[int]
    reason: Mapped[str] = mapped_column(String(32))  # withdrawn | refused | stopped
    # open | done
    status: Mapped[str] = mapped_column(String(16), default="open")
    refunded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    refunded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    method: Mapped[str | None] = mapped_column(String(16))  # transfer | cash
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class FeeReceipt(Base):
    """Biên lai điện tử: one per paid payment, numbered per agency series and year."""

    __tablename__ = "fee_receipts"
    __table_args__ = (UniqueConstraint("series", "number", name="uq_fee_receipts_number"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    payment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payments.id"), unique=True)
    dossier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"),
                                                  index=True)
    series: Mapped[str] = mapped_column(String(32))  # ký hiệu, e.g. "BL-CAHN/26E"
    number: Mapped[int]
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    payer: Mapped[str] = mapped_column(String(200))
    receipt_code: Mapped[str | None] = mapped_column(String(40))
    method: Mapped[str] = mapped_column(String(16))
    provider_reference: Mapped[str | None] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    record_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("warehouse_records.id", ondelete="SET NULL"))
