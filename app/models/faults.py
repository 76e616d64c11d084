"""Mutations a server fault kept from applying: counted per delivery, then dead-lettered.

A mutation whose handler fails unexpectedly (a bug, a database error that is not the
phone's fault) is not consumed: the batch stops before it and the phone retries. Each
delivery that fails is counted here; after a bounded number it is consumed into this
table's dead letters with its arguments, so an operator can replay it once the fault is
fixed (`flask sync dead-letters …`). Nothing a citizen typed is lost.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JsonType, UtcDateTime, utcnow


class MutationFault(Base):
    """One mutation that failed on a server fault: how often, the last error, and (once it
    is a dead letter) what replaying it gave."""

    __tablename__ = "mutation_faults"
    __table_args__ = (Index("ix_mutation_faults_dead_at", "dead_at"),)

    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("client_states.client_id", ondelete="CASCADE"), primary_key=True
    )
    mutation_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    args: Mapped[Any] = mapped_column(JsonType, nullable=True)
    # The clamped capture time the mutation had when it was first refused.
    captured_at: Mapped[datetime] = mapped_column(UtcDateTime)
    deliveries: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    first_failed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_failed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Set when the mutation was consumed as a dead letter.
    dead_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    replayed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    replay_result: Mapped[Any] = mapped_column(JsonType, nullable=True)
