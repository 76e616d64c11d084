"""Service quality: one row of facts per filed dossier, projected from its event log.

The index (app/services/quality_index.py) aggregates these rows. Each row is recomputed
from the dossier and its events whenever an event is appended (app/services/quality_facts.py),
and `flask quality rebuild` recomputes every row from the log: nothing here is a counter
that could drift from the history.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Boolean, ForeignKey, Index, SmallInteger, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


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
