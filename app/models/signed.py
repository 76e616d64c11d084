"""Signed documents the agencies issue, links that share them, and citizens' device keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JsonType, UtcDateTime, utcnow


class IssuedDocument(Base):
    """A signed PDF (a result or a receipt of filing); `code` is the public /verify code.

    Where a job queue runs background work, a document is stored first with what it will
    say (`source`) and no PDF yet; a worker lays it out, signs it and sets `pdf`, `sha256`
    and `signed_at` (app/services/signed_documents.py)."""

    __tablename__ = "issued_documents"
    __table_args__ = (
        # The few documents still waiting for their signature (the workers' sweep, /metrics).
        Index("ix_issued_documents_unsigned", "issued_at",
              sqlite_where=text("pdf IS NULL"), postgresql_where=text("pdf IS NULL")),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    dossier_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "result" | "receipt"
    agency_code: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    procedure_code: Mapped[str] = mapped_column(String(64))
    number: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    holder_initials: Mapped[str] = mapped_column(String(16))
    sha256: Mapped[str | None] = mapped_column(String(64))
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    # What the document says, kept until it is laid out and signed (then cleared).
    source: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    signed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    replaced_by: Mapped[str | None] = mapped_column(String(32))  # the newer document's code

    @property
    def ready(self) -> bool:
        """Signed and stored: its PDF can be opened."""
        return self.pdf is not None


class ShareLink(Base):
    """A time-limited, revocable link that opens one document without an account; only
    the token's hash is stored."""

    __tablename__ = "share_links"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("issued_documents.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class DeviceKey(Base):
    """A phone's ECDSA P-256 public key (JWK), registered at sign-in."""

    __tablename__ = "device_keys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    public_key: Mapped[dict[str, Any]] = mapped_column(JsonType)
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SubmissionSignature(Base):
    """How a dossier's submission was signed: by which device key over which canonical
    form, or unsigned (a phone without WebCrypto)."""

    __tablename__ = "submission_signatures"

    dossier_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("dossiers.id", ondelete="CASCADE"), primary_key=True)
    device_key_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("device_keys.id"))
    signature: Mapped[str | None] = mapped_column(Text)  # base64url, IEEE P1363 (r||s)
    canonical_sha256: Mapped[str] = mapped_column(String(64))
    captured_at: Mapped[str | None] = mapped_column(String(40))
    verified_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
