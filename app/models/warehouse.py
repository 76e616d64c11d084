"""The citizen's data warehouse (kho dữ liệu): identity profile, results, reusable documents.

"Once-only": what the state already holds is prefilled or reused, never asked again,
and every read of it is logged so the citizen can see who looked and when.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JsonType, UtcDateTime, utcnow

RESULT = "result"      # a result an agency returned (e.g. a birth certificate)
DOCUMENT = "document"  # a document the citizen uploaded for an accepted dossier


class ProfileField(Base):
    """One identity field of a citizen, with where it came from and whether it is verified."""

    __tablename__ = "profile_fields"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JsonType)
    # "signup" (the account), "national_population_db" (CSDL quốc gia về dân cư), ...
    source: Mapped[str] = mapped_column(String(32))
    verified: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class WarehouseRecord(Base):
    """A result or a document the state already holds for a citizen, reusable by later dossiers."""

    __tablename__ = "warehouse_records"
    __table_args__ = (Index("ix_warehouse_records_owner_kind", "owner_id", "kind"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    origin: Mapped[str] = mapped_column(String(16))
    # Results: the procedure's result kind (birth_certificate); documents: the document code.
    kind: Mapped[str] = mapped_column(String(64))
    label: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    number: Mapped[str | None] = mapped_column(String(100))
    issued_on: Mapped[date | None]
    # The values later forms prefill from: record.<kind>.<key>.
    data: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    dossier_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("dossiers.id", ondelete="SET NULL"), index=True)
    agency_code: Mapped[str | None] = mapped_column(String(32))
    # A document's file: the completed upload it came from (content by sha256).
    upload_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("uploads.id", ondelete="SET NULL"))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None]
    content_type: Mapped[str | None] = mapped_column(String(100))
    filename: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AccessLogEntry(Base):
    """Who read a citizen's profile or record, when, and why (shown to the citizen)."""

    __tablename__ = "warehouse_access_log"
    __table_args__ = (Index("ix_warehouse_access_log_owner_at", "owner_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # "profile" or "record"; for a record, record_id says which.
    subject: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("warehouse_records.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_kind: Mapped[str] = mapped_column(String(16))  # citizen | official
    agency_code: Mapped[str | None] = mapped_column(String(32))
    # "prefill", "view", "download", "review" (an official handling a dossier).
    purpose: Mapped[str] = mapped_column(String(16))
    keys: Mapped[list[str]] = mapped_column(JsonType, default=list)
    dossier_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SubmissionStats(Base):
    """How much of one submitted dossier came from the warehouse (for the quality index)."""

    __tablename__ = "submission_stats"
    __table_args__ = (Index("ix_submission_stats_agency_procedure", "agency_code",
                            "procedure_code"),)

    dossier_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("dossiers.id", ondelete="CASCADE"), primary_key=True)
    procedure_code: Mapped[str] = mapped_column(String(64))
    agency_code: Mapped[str] = mapped_column(String(32))
    form_version: Mapped[int]
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    fields_filled: Mapped[int] = mapped_column(default=0)       # visible fields with a value
    fields_prefillable: Mapped[int] = mapped_column(default=0)  # ... that the warehouse could fill
    fields_prefilled: Mapped[int] = mapped_column(default=0)    # ... submitted as prefilled
    documents_total: Mapped[int] = mapped_column(default=0)     # document items submitted
    documents_reused: Mapped[int] = mapped_column(default=0)    # ... from the warehouse
