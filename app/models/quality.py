"""Service quality: one row of facts per filed dossier, projected from its event log, and
the citizens' ratings.

The index (app/services/quality_index.py) aggregates these rows. Each row is recomputed
from the dossier and its events whenever an event is appended (app/services/quality_facts.py),
and `flask quality rebuild` recomputes every row from the log: nothing here is a counter
that could drift from the history.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, SmallInteger, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JsonType, UtcDateTime


class QualityFact(Base):
    __tablename__ = "quality_facts"
    __table_args__ = (
        # The index reads a period by acceptance date, per agency (and procedure).
        Index("ix_quality_facts_agency_received", "agency_code", "received_on"),
        Index("ix_quality_facts_agency_procedure", "agency_code", "procedure_code"),
    )

    dossier_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("dossiers.id", ondelete="CASCADE"), primary_key=True)
    agency_code: Mapped[str] = mapped_column(String(32))
    procedure_code: Mapped[str] = mapped_column(String(64))
    # Local dates (Asia/Ho_Chi_Minh) of the steps, from the events.
    submitted_on: Mapped[date | None]
    filed_online: Mapped[bool] = mapped_column(Boolean, default=False)  # submitted by the citizen
    received_on: Mapped[date | None]  # accepted (a receipt code issued)
    refused_on: Mapped[date | None]
    due_on: Mapped[date | None]  # the appointment date as it stands (moved by supplements)
    paused_on: Mapped[date | None]  # a supplement requested and not yet answered
    finished_on: Mapped[date | None]  # result ready, withdrawn, stopped (cleared by resume)
    # result | withdrawn | stopped | refused | None (still open)
    outcome: Mapped[str | None] = mapped_column(String(16))
    result_on: Mapped[date | None]  # the decision (complete)
    result_electronic: Mapped[bool | None] = mapped_column(Boolean)
    returned_on: Mapped[date | None]
    supplements: Mapped[int] = mapped_column(SmallInteger, default=0)
    fee_due: Mapped[bool] = mapped_column(Boolean, default=False)
    paid_online: Mapped[bool] = mapped_column(Boolean, default=False)
    digitised: Mapped[bool] = mapped_column(Boolean, default=False)  # every document item a file
    reused: Mapped[bool] = mapped_column(Boolean, default=False)  # warehouse data or records used
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    rated_on: Mapped[date | None]


class Rating(Base):
    """A citizen's rating of one returned dossier (once), with the provinces' criteria, the
    reasons ticked, a comment, and the agency's answer."""

    __tablename__ = "ratings"
    __table_args__ = (Index("ix_ratings_agency_rated", "agency_code", "rated_at"),)

    dossier_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("dossiers.id", ondelete="CASCADE"), primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    agency_code: Mapped[str] = mapped_column(String(32))
    procedure_code: Mapped[str] = mapped_column(String(64))
    level: Mapped[int] = mapped_column(SmallInteger)  # 1 very unsatisfied … 5 very satisfied
    criteria: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)  # {criterion: 1..5}
    reasons: Mapped[list[str]] = mapped_column(JsonType, default=list)
    comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class TelemetryEvent(Base):
    """One thing that went wrong (or a step) on a phone, with no personal value: no user,
    no device, no dossier, no typed value; only the procedure, the field's name, the rule,
    the section, the network and a duration or count (app/services/telemetry.py)."""

    __tablename__ = "telemetry_events"
    __table_args__ = (Index("ix_telemetry_events_kind_day", "kind", "day", "procedure_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]  # the server's local day of receipt
    kind: Mapped[str] = mapped_column(String(24))
    procedure_code: Mapped[str | None] = mapped_column(String(64))
    form_version: Mapped[int | None]
    section: Mapped[str | None] = mapped_column(String(64))
    field: Mapped[str | None] = mapped_column(String(130))
    rule: Mapped[str | None] = mapped_column(String(70))
    network: Mapped[str | None] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(String(24))
    value: Mapped[int | None]  # milliseconds, or attempts
    count: Mapped[int | None]  # failures among the attempts


class TelemetryDevice(Base):
    """Per installed app: the rate window that caps what one phone may send."""

    __tablename__ = "telemetry_devices"

    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    window_start: Mapped[datetime] = mapped_column(UtcDateTime)
    accepted: Mapped[int] = mapped_column(default=0)  # events taken in the window


class TelemetryDrop(Base):
    """Events dropped, counted per day and reason (unknown kind, bad value, over the cap…)."""

    __tablename__ = "telemetry_drops"

    day: Mapped[date] = mapped_column(primary_key=True)
    reason: Mapped[str] = mapped_column(String(24), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
