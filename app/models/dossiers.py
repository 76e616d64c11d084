"""Dossiers (hồ sơ): the citizen's application, its field versions and its event log."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import DDL, ForeignKey, Index, String, Text, Uuid, event, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.accounts import Agency, User
from app.models.base import Base, JsonType, UtcDateTime, utcnow
from app.models.catalog import Procedure


class Dossier(Base):
    """A save changes only unindexed columns (version, fields, field_stamps, updated_at), so
    PostgreSQL updates the row in place on its page (a HOT update) without touching any of
    the table's indexes; the pages keep room for it (fillfactor, below). Keep updated_at out
    of indexes: a citizen's list is read through owner_id (a few rows each), the desk's
    through its agency."""

    __tablename__ = "dossiers"
    __table_args__ = (
        Index("ix_dossiers_agency_status", "agency_code", "status"),
        Index("ix_dossiers_agency_fee_status", "agency_code", "fee_status"),
        Index("ix_dossiers_agency_assignee", "agency_code", "assignee_id"),
    )

    # Created on the phone, so a draft has its final id before the server sees it.
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    procedure_code: Mapped[str] = mapped_column(ForeignKey("procedures.code"))
    agency_code: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    # A member of a bundle (liên thông) names the bundle's dossier, made in the same
    # submission (services/bundles.py). No foreign key: SQLite adds one only by rebuilding
    # this table, which other tables refer to.
    bundle_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    form_version: Mapped[int]
    status: Mapped[str] = mapped_column(String(32), default="draft")
    # +1 on every change; each version's fields are kept in DossierVersion.
    version: Mapped[int] = mapped_column(default=1)
    fields: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    # When each field's current value was captured on the phone: {field: RFC 3339}.
    field_stamps: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    # Document items: {code: {"source": "upload"|"warehouse"|"dossier", ...}}.
    documents: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    receipt_code: Mapped[str | None] = mapped_column(String(40), unique=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    appointment_date: Mapped[date | None]
    # While a supplement is requested the deadline clock is paused from this day.
    paused_on: Mapped[date | None]
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Local date the handling finished (result ready, refused, withdrawn, stopped):
    # with appointment_date it lets SQL derive "overdue" without storing it.
    finished_on: Mapped[date | None]
    # What the official asked to fix: {"fields": [...], "documents": [...], "note": str}.
    supplement_request: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    result: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    fee_amount: Mapped[int | None]
    # The quote decided at submission: {amount, currency, due, rule, label} (services/fees.py).
    fee_quote: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    # none (nothing owed) | unpaid | paid; the desk filters on it.
    fee_status: Mapped[str] = mapped_column(String(16), default="none", server_default="none")
    # The desk (docs/desk.md): the official who holds the dossier now (None: the queue of
    # the role its status calls for), the result a specialist drafts for the leader, whether
    # it waits for the leader's approval, and the date an apology slip set after a delay.
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    draft_result: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    awaiting_approval: Mapped[bool] = mapped_column(default=False, server_default=false())
    new_appointment_date: Mapped[date | None]
    # The citizen's name, ID numbers, phones and the receipt code, lower case without
    # accents, for the desk's search (services/desk_search.py).
    search_text: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[int | None]
    rating_comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    procedure: Mapped[Procedure] = relationship(lazy="joined")
    # The agency handling it: the procedure's default while a draft, the routed one from
    # submission (services/directory.py).
    agency: Mapped[Agency] = relationship()
    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    events: Mapped[list[DossierEvent]] = relationship(
        back_populates="dossier", order_by="DossierEvent.id", cascade="all, delete-orphan"
    )


class DossierVersion(Base):
    """The field values at one version, so a three-way merge can rebuild any base."""

    __tablename__ = "dossier_versions"

    dossier_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("dossiers.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(primary_key=True)
    fields: Mapped[dict[str, Any]] = mapped_column(JsonType)
    # When each field last changed at this version: {field: captured_at ISO string}.
    stamps: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class DossierEvent(Base):
    """Append-only log of every step: when, who, action, note."""

    __tablename__ = "dossier_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("dossiers.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_kind: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)

    dossier: Mapped[Dossier] = relationship(back_populates="events")


class ReceiptCounter(Base):
    """Per-agency daily counter behind receipt codes (services/receipts.py)."""

    __tablename__ = "receipt_counters"

    agency_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


# A new row version fits on its page (a HOT update) when the page kept room: 15 % of each
# page is left free when rows are inserted (migration 0016 for existing databases).
event.listen(Dossier.__table__, "after_create",
             DDL("ALTER TABLE dossiers SET (fillfactor = 85)").execute_if(dialect="postgresql"))
