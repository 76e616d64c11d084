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

from sqlalchemy import Boolean, ForeignKey, Index, SmallInteger, String, Text, Uuid, false, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JsonType, UtcDateTime

# The facts rows the monthly roll-up does not hold, read live by the index
# (app/services/quality_rollup.py).
LIVE_FACTS = "NOT rolled_up"


class QualityFact(Base):
    __tablename__ = "quality_facts"
    __table_args__ = (
        # The index reads a period by acceptance date, per agency (and procedure).
        Index("ix_quality_facts_agency_received", "agency_code", "received_on"),
        Index("ix_quality_facts_agency_procedure", "agency_code", "procedure_code"),
        # The rows the roll-up does not hold (a few in a hundred): read live.
        Index("ix_quality_facts_live", "agency_code", "procedure_code",
              postgresql_where=text(LIVE_FACTS), sqlite_where=text(LIVE_FACTS)),
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
    # Its sums are in the monthly roll-up (quality_rollup.is_live says which rows can be);
    # false: the index reads the row itself.
    rolled_up: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class QualityRollup(Base):
    """Per agency, procedure and month, the sums the index needs of the dossiers whose facts
    the roll-up holds (app/services/quality_rollup.py, docs/quality.md): what happened in the
    month (filed, received, finished early/on time/late, results, ratings…) and where the
    dossiers received by then and finished later stood on its last day. Kept current with the
    facts, in the same flush; `flask quality rebuild` recomputes it."""

    __tablename__ = "quality_rollup"

    agency_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    procedure_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)  # its first day
    # In the month (by the day of the step).
    filed: Mapped[int] = mapped_column(default=0)
    filed_online: Mapped[int] = mapped_column(default=0)
    fee_filed: Mapped[int] = mapped_column(default=0)
    fee_paid_online: Mapped[int] = mapped_column(default=0)
    refused: Mapped[int] = mapped_column(default=0)
    results: Mapped[int] = mapped_column(default=0)
    results_electronic: Mapped[int] = mapped_column(default=0)
    ratings: Mapped[int] = mapped_column(default=0)
    rating_sum: Mapped[int] = mapped_column(default=0)
    rated_1: Mapped[int] = mapped_column(default=0)
    rated_2: Mapped[int] = mapped_column(default=0)
    rated_3: Mapped[int] = mapped_column(default=0)
    rated_4: Mapped[int] = mapped_column(default=0)
    rated_5: Mapped[int] = mapped_column(default=0)
    new: Mapped[int] = mapped_column(default=0)  # received
    new_digitised: Mapped[int] = mapped_column(default=0)
    new_reused: Mapped[int] = mapped_column(default=0)
    early: Mapped[int] = mapped_column(default=0)  # finished in the month, received
    finished_on_time: Mapped[int] = mapped_column(default=0)
    finished_late: Mapped[int] = mapped_column(default=0)
    stopped: Mapped[int] = mapped_column(default=0)
    withdrawn: Mapped[int] = mapped_column(default=0)
    finished_unsatisfied: Mapped[int] = mapped_column(default=0)  # and rated 1 or 2 that month
    finished_on_time_unsatisfied: Mapped[int] = mapped_column(default=0)
    # On the month's last day: received, not finished yet (and how they stood).
    open: Mapped[int] = mapped_column(default=0)
    open_on_time: Mapped[int] = mapped_column(default=0)
    open_late: Mapped[int] = mapped_column(default=0)
    paused: Mapped[int] = mapped_column(default=0)
    open_unsatisfied: Mapped[int] = mapped_column(default=0)  # rated 1 or 2 by then
    open_on_time_unsatisfied: Mapped[int] = mapped_column(default=0)


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
