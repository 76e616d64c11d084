"""Counters of the abuse limits when no Redis is configured: one table every worker and
node shares (app/limit_store.py), so a limit means the same with one process or many."""

from __future__ import annotations

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class ThrottleCounter(Base):
    """One fixed-window counter: hits in the window that ends at `expires_at` (epoch s)."""

    __tablename__ = "throttle_counters"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[float] = mapped_column(Float, index=True)
