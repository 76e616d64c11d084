"""Where upload bytes live: unfinished ones under their upload's id, finished ones by content.

Finished files are named by their sha256, so identical files are stored once and a blob is
removed only when no complete upload names it any more.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Conflict, Gone
from app.models.uploads import COMPLETE, Upload
from app.services.upload_types import SNIFF_BYTES

PIECE = 64 * 1024


@dataclass(frozen=True)
class Settings:
    """Where bytes go and how big things may be (from the app config, env overridable)."""

    root: Path
    max_size: int  # Tus-Max-Size: no document may be larger
    chunk_max: int  # one PATCH/POST body
    ttl: timedelta  # an unfinished upload expires this long after its last chunk

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        env = os.environ
        return cls(
            root=Path(config["UPLOAD_DIR"]),
            max_size=int(config.get("UPLOAD_MAX_BYTES") or env.get("UPLOAD_MAX_BYTES", 20 << 20)),
            chunk_max=int(config.get("UPLOAD_CHUNK_MAX_BYTES") or env.get("UPLOAD_CHUNK_MAX_BYTES", 4 << 20)),
            ttl=timedelta(
                hours=float(config.get("UPLOAD_EXPIRES_HOURS") or env.get("UPLOAD_EXPIRES_HOURS", 72))
            ),
        )

    def partial(self, upload_id: uuid.UUID) -> Path:
        return self.root / "partial" / upload_id.hex

    def blob(self, sha256: str) -> Path:
        return self.root / "blobs" / sha256[:2] / sha256


def head_bytes(settings: Settings, upload: Upload, n: int = SNIFF_BYTES) -> bytes:
    path = settings.partial(upload.id) if upload.status != COMPLETE else settings.blob(upload.sha256 or "")
    try:
        with open(path, "rb") as fh:
            return fh.read(n)
    except FileNotFoundError:
        return b""


def partial_sha256(settings: Settings, upload_id: uuid.UUID) -> str:
    digest = hashlib.sha256()
    with open(settings.partial(upload_id), "rb") as fh:
        for piece in iter(lambda: fh.read(PIECE), b""):
            digest.update(piece)
    return digest.hexdigest()


def store_blob(settings: Settings, upload_id: uuid.UUID, sha: str) -> None:
    """Link the finished partial file in under its hash (kept as is if already stored).

    The partial file stays until the completing commit (see `drop_partial`), so a crash in
    between loses nothing.
    """
    blob = settings.blob(sha)
    if not blob.exists():
        blob.parent.mkdir(parents=True, exist_ok=True)
        tmp = blob.with_name(f"{sha}.{upload_id.hex}.tmp")
        os.link(settings.partial(upload_id), tmp)
        os.replace(tmp, blob)


def drop_partial(settings: Settings, upload_id: uuid.UUID) -> None:
    """Once a commit says no upload writes here any more: completed (the bytes now live in the
    blob store) or expired."""
    settings.partial(upload_id).unlink(missing_ok=True)


def collect_blob(session: Session, settings: Settings, sha: str) -> None:
    still_used = session.scalars(
        select(Upload.id).where(Upload.sha256 == sha, Upload.status == COMPLETE)
    ).first()
    if still_used is None:
        settings.blob(sha).unlink(missing_ok=True)


def content_path(settings: Settings, upload: Upload) -> Path:
    if upload.status != COMPLETE or not upload.sha256:
        raise Conflict(
            "The upload is not complete yet.", extra={"offset": upload.offset, "length": upload.length}
        )
    path = settings.blob(upload.sha256)
    if not path.exists():
        raise Gone("The file is no longer stored.")
    return path
