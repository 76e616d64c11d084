"""Sync state: the per-user change feed that pull reads, per-client push state,
stored mutation results (re-sent mutations get them again) and conflict records."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JsonType, UtcDateTime, utcnow


class Change(Base):
    """One change a user's phones must pull; `seq` is gap-free per user."""

    __tablename__ = "changes"
    __table_args__ = (Index("ix_changes_created_at", "created_at"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[str] = mapped_column(String(64))
    op: Mapped[str] = mapped_column(String(8), default="put")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ClientState(Base):
    """One installed copy of the app; its row serialises that client's pushes (FOR UPDATE)."""

    __tablename__ = "client_states"

    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    # Bound to the first user who syncs with it; anyone else gets 403.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    last_mutation_id: Mapped[int] = mapped_column(default=0)
    # The clamped captured_at of the last applied mutation: the floor for the next one.
    last_captured_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ClientWrite(Base):
    """What one client last wrote to each field of a draft, and at which dossier version.

    A phone queues several saves offline against the same `base_version`; its own earlier
    writes are part of what it edited from, so they must not clash with its later ones.
    """

    __tablename__ = "client_writes"

    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("client_states.client_id", ondelete="CASCADE"), primary_key=True
    )
    dossier_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("dossiers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # {field: [value, dossier version after the write]}
    fields: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)


class MutationResult(Base):
    """The result sent for one consumed mutation, replayed when the client re-sends it."""

    __tablename__ = "mutation_results"
    __table_args__ = (Index("ix_mutation_results_created_at", "created_at"),)

    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("client_states.client_id", ondelete="CASCADE"), primary_key=True
    )
    mutation_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict[str, Any]] = mapped_column(JsonType)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ConflictRecord(Base):
    """A value typed by a person that did not stand, kept so the owner can see and reverse it.

    reason "edit": two sides changed `field` to different values; `kept` stood.
    reason "status": a mutation no longer fit the dossier's status; `other` is its value.
    """

    __tablename__ = "conflict_records"
    __table_args__ = (Index("ix_conflict_records_user_open", "user_id", "resolved_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    dossier_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("dossiers.id", ondelete="CASCADE"), index=True
    )
    field: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(16), default="edit")
    mutation: Mapped[str | None] = mapped_column(String(64))
    kept: Mapped[Any] = mapped_column(JsonType, nullable=True)
    kept_captured_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    other: Mapped[Any] = mapped_column(JsonType, nullable=True)
    other_captured_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The dossier version the record was made at.
    dossier_version: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # "kept" (the standing value stays) or "other" (the other value was put back).
    resolution: Mapped[str | None] = mapped_column(String(8))
