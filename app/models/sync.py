"""Sync state: the per-user change feed that pull reads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UtcDateTime, utcnow


class Change(Base):
    """One change a user's phones must pull; `seq` is gap-free per user."""

    __tablename__ = "changes"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[str] = mapped_column(String(64))
    op: Mapped[str] = mapped_column(String(8), default="put")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
