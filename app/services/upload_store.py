"""Where upload bytes live: unfinished ones under their upload's id, finished ones by content.

Finished files are named by their sha256, so identical files are stored once and a blob is
removed only when no complete upload names it any more.

Two places: the local directory `UPLOAD_DIR` (the embedded default; several app nodes need
it on one shared volume), or S3-compatible object storage when `UPLOAD_S3_BUCKET` is set
(`upload_s3`; the production option). With S3, `UPLOAD_DIR` is each node's own scratch
space: request bodies on their way in, and a cache of finished (immutable) files.
"""

from __future__ import annotations

import hashlib
import io
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
from app.services.upload_s3 import S3Store
from app.services.upload_types import SNIFF_BYTES

PIECE = 64 * 1024


@dataclass(frozen=True)
class Settings:
    """Where bytes go and how big things may be (from the app config, env overridable)."""

    root: Path
    max_size: int  # Tus-Max-Size: no document may be larger
    chunk_max: int  # one PATCH/POST body
    ttl: timedelta  # an unfinished upload expires this long after its last chunk
    s3: S3Store | None = None  # object storage shared by every node (None: UPLOAD_DIR only)

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
            s3=S3Store.from_env(config),
        )

    def partial(self, upload_id: uuid.UUID) -> Path:
        return self.root / "partial" / upload_id.hex

    def blob(self, sha256: str) -> Path:
        return self.root / "blobs" / sha256[:2] / sha256


def head_bytes(settings: Settings, upload: Upload, n: int = SNIFF_BYTES) -> bytes:
    if settings.s3 is not None:
        if upload.status == COMPLETE:
            local = local_blob(settings, upload.sha256 or "")
            return local.read_bytes()[:n] if local else b""
        buf = io.BytesIO()
        settings.s3.read_partial(upload.id.hex, buf, min(n, upload.offset))
        return buf.getvalue()
    path = settings.partial(upload.id) if upload.status != COMPLETE else settings.blob(upload.sha256 or "")
    try:
        with open(path, "rb") as fh:
            return fh.read(n)
    except FileNotFoundError:
        return b""


def append(settings: Settings, upload_id: uuid.UUID, offset: int, src_path: Path, skip: int) -> None:
    """Store the bytes of `src_path` past `skip` at the committed `offset` (the upload's row
    is locked by the caller, who moves the offset once this returns)."""
    if settings.s3 is not None:
        with open(src_path, "rb") as src:
            src.seek(skip)
            settings.s3.put_range(upload_id.hex, offset, src)
        return
    partial = settings.partial(upload_id)
    with open(src_path, "rb") as src, open(partial, "ab") as dst:
        dst.truncate(offset)  # bytes past the committed offset were never acknowledged
        src.seek(skip)
        for piece in iter(lambda: src.read(PIECE), b""):
            dst.write(piece)
        dst.flush()
        os.fsync(dst.fileno())


def partial_sha256(settings: Settings, upload_id: uuid.UUID, length: int | None = None) -> str:
    """The hash of a fully received upload. With S3 its ranges are first joined into the
    local partial file, which `store_blob` then sends as the finished file."""
    if settings.s3 is not None:
        path = settings.partial(upload_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            settings.s3.read_partial(upload_id.hex, fh, length if length is not None else 1 << 62)
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
    if settings.s3 is not None and not settings.s3.has_blob(sha):
        settings.s3.put_blob(sha, settings.partial(upload_id))
    if not blob.exists():
        blob.parent.mkdir(parents=True, exist_ok=True)
        tmp = blob.with_name(f"{sha}.{upload_id.hex}.tmp")
        os.link(settings.partial(upload_id), tmp)
        os.replace(tmp, blob)


def drop_partial(settings: Settings, upload_id: uuid.UUID) -> None:
    """Once a commit says no upload writes here any more: completed (the bytes now live in the
    blob store) or expired."""
    if settings.s3 is not None:
        settings.s3.drop_partial(upload_id.hex)
    settings.partial(upload_id).unlink(missing_ok=True)


def remote_partials(settings: Settings) -> set[str]:
    """Ids (hex) of uploads with unfinished bytes in object storage (none without S3)."""
    return settings.s3.partial_ids() if settings.s3 is not None else set()


def blob_exists(settings: Settings, sha: str) -> bool:
    if settings.s3 is not None:
        return settings.s3.has_blob(sha)
    return settings.blob(sha).exists()


def local_blob(settings: Settings, sha: str) -> Path | None:
    """A finished file on this node's disk (fetched from object storage if needed), or None."""
    path = settings.blob(sha)
    if path.exists() or not sha:
        return path if sha else None
    if settings.s3 is None:
        return None
    try:
        settings.s3.fetch_blob(sha, path)
    except FileNotFoundError:
        return None
    return path


def collect_blob(session: Session, settings: Settings, sha: str) -> None:
    still_used = session.scalars(
        select(Upload.id).where(Upload.sha256 == sha, Upload.status == COMPLETE)
    ).first()
    if still_used is None:
        if settings.s3 is not None:
            settings.s3.delete_blob(sha)
        settings.blob(sha).unlink(missing_ok=True)


def content_path(settings: Settings, upload: Upload) -> Path:
    if upload.status != COMPLETE or not upload.sha256:
        raise Conflict(
            "The upload is not complete yet.", extra={"offset": upload.offset, "length": upload.length}
        )
    path = local_blob(settings, upload.sha256)
    if path is None:
        raise Gone("The file is no longer stored.")
    return path
