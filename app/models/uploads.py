"""Resumable uploads (tus) of a dossier's documents, and the links from dossiers to them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JsonType, UtcDateTime, utcnow

UPLOADING = "uploading"
COMPLETE = "complete"
EXPIRED = "expired"


class Upload(Base):
    """One tus upload: its declared size, how far it got, and (once complete) its content hash.

    Bytes live on disk: partial data under `UPLOAD_DIR/partial/<id>` (each PATCH streams
    into its own `<id>.<token>.part` first), finished files under
    `UPLOAD_DIR/blobs/<sha256[:2]>/<sha256>`, so identical files are stored once.
    """

    __tablename__ = "uploads"
    __table_args__ = (
        Index("ix_uploads_owner_sha256", "owner_id", "sha256"),
        Index("ix_uploads_status_expires", "status", "expires_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    procedure_code: Mapped[str] = mapped_column(String(64))
    document_code: Mapped[str] = mapped_column(String(64))
    form_version: Mapped[int]
    filename: Mapped[str] = mapped_column(String(255), default="")
    declared_type: Mapped[str] = mapped_column(String(100), default="")
    # The raw Upload-Metadata header, echoed on HEAD as the protocol asks.
    metadata_header: Mapped[str] = mapped_column(String(2000), default="")
    length: Mapped[int] = mapped_column(BigInteger)
    offset: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(16), default=UPLOADING)
    # Whole-file sha256 the client declared up front (metadata `sha256`), checked at the end.
    declared_sha256: Mapped[str | None] = mapped_column(String(64))
    sha256: Mapped[str | None] = mapped_column(String(64))
    # The type found by magic bytes, never the name or a header.
    content_type: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    @property
    def is_complete(self) -> bool:
        return self.status == COMPLETE


class DocumentLink(Base):
    """Index of `Dossier.documents`: which dossier item points at which upload or record.

    The dossier's JSON stays the contract; this table answers "who uses this upload?"
    (flip items to ready on completion, let the handling agency download, refuse deletes).
    """

    __tablename__ = "document_links"
    __table_args__ = (UniqueConstraint("dossier_id", "document_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    document_code: Mapped[str] = mapped_column(String(64))
    upload_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("uploads.id", ondelete="SET NULL"), index=True)
    record_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("warehouse_records.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    data: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
