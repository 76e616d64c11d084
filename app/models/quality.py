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
