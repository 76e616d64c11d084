"""The tus 1.0.0 protocol: its headers, and a request body appended at the committed offset.

Bytes are stored (on disk or in object storage) before the new offset is committed, so an
upload cut at any byte resumes where the database says it stopped.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Conflict, DomainError, Gone, PayloadTooLarge
from app.models.uploads import EXPIRED, Upload
from app.services import clock, upload_store
from app.services.upload_store import Settings

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,creation-with-upload,checksum,termination,expiration"
CHECKSUMS: dict[str, Callable[[], Any]] = {"sha256": hashlib.sha256, "sha1": hashlib.sha1}
OCTET_STREAM = "application/offset+octet-stream"


class BadTusRequest(DomainError):
    status, slug, title = 400, "bad-upload-request", "Bad upload request"


class UnsupportedVersion(DomainError):
    status, slug, title = 412, "unsupported-tus-version", "Unsupported tus version"


class OffsetMismatch(Conflict):
    slug, title = "offset-mismatch", "Upload-Offset does not match"


class ChecksumMismatch(DomainError):
    status, slug, title = 460, "checksum-mismatch", "Checksum mismatch"


# ---- Parsing the protocol's headers ------------------------------------------------------


def check_version(header: str | None) -> None:
    if header != TUS_VERSION:
        raise UnsupportedVersion(
            f"This server speaks tus {TUS_VERSION}; send Tus-Resumable: {TUS_VERSION}.",
            headers={"Tus-Version": TUS_VERSION},
        )


MAX_HEADER_INT = 2**63 - 1  # what a BIGINT column holds


def parse_int(header: str | None, name: str) -> int:
    """A non-negative decimal integer of ASCII digits (`str.isdigit` also takes `²` and
    other scripts' digits, which `int` then refuses or reads), at most a BIGINT."""
    if header is None or not (header.isascii() and header.isdigit()) or len(header) > 19 \
            or int(header) > MAX_HEADER_INT:
        raise BadTusRequest(
            f"{name} must be a non-negative integer.", errors={name: ["A non-negative integer is required."]}
        )
    return int(header)


def parse_metadata(header: str | None) -> dict[str, str]:
    """`key base64,key2 base64,flag` → {key: value}; values are UTF-8."""
    result: dict[str, str] = {}
    if not header:
        return result
    if len(header) > 2000:
        raise BadTusRequest("Upload-Metadata is too long.")
    for pair in header.split(","):
        bits = pair.strip().split(" ")
        if not bits[0] or len(bits) > 2 or bits[0] in result:
            raise BadTusRequest("Upload-Metadata is malformed.")
        try:
            value = base64.b64decode(bits[1], validate=True).decode() if len(bits) == 2 else ""
        except (ValueError, UnicodeDecodeError) as exc:  # binascii.Error, non-ASCII text
            raise BadTusRequest(f"Upload-Metadata {bits[0]!r} is not base64 UTF-8.") from exc
        result[bits[0]] = value
    return result


def parse_checksum(header: str | None) -> tuple[str, bytes] | None:
    if not header:
        return None
    algo, _, digest = header.strip().partition(" ")
    if algo not in CHECKSUMS:
        raise BadTusRequest(
            f"Checksum algorithm {algo!r} is not supported; use one of {', '.join(CHECKSUMS)}."
        )
    try:
        return algo, base64.b64decode(digest, validate=True)
    except ValueError as exc:  # binascii.Error, or non-ASCII text
        raise BadTusRequest("Upload-Checksum must be '<algorithm> <base64 digest>'.") from exc


# ---- Writing chunks ----------------------------------------------------------------------


@dataclass
class Received:
    """One request body, streamed to its own temp file with no database work under way."""

    path: Path
    start: int  # the offset the request was sent for
    size: int  # bytes that arrived (and are kept)
    cut: bool  # the body ended before its Content-Length
    checksum_ok: bool = True


def receive(
    settings: Settings,
    upload_id: uuid.UUID,
    start: int,
    room: int,
    pieces: Iterable[bytes],
    expected: int | None,
    checksum: tuple[str, bytes] | None,
) -> Received:
    """Stream a PATCH body to a temp file of its own.

    A body cut short keeps what arrived, unless a checksum was sent (it cannot be checked
    on a part, so the part is dropped); a failed checksum drops the whole body.
    """
    path = settings.partial(upload_id).with_name(f"{upload_id.hex}.{secrets.token_hex(6)}.part")
    path.parent.mkdir(parents=True, exist_ok=True)
    hasher = CHECKSUMS[checksum[0]]() if checksum else None
    size = 0
    try:
        with open(path, "wb") as fh:
            for piece in pieces:
                if size + len(piece) > room:
                    raise PayloadTooLarge("The body runs past Upload-Length.", extra={"room": room})
                fh.write(piece)
                size += len(piece)
                if hasher:
                    hasher.update(piece)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    cut = expected is not None and size < expected
    ok = hasher is None or (not cut and hasher.digest() == checksum[1])  # type: ignore[index]
    if not ok:
        size = 0
    return Received(path=path, start=start, size=size, cut=cut, checksum_ok=ok or cut)


def locked(session: Session, upload_id: uuid.UUID) -> Upload | None:
    """Re-read an upload and lock its row: appends to one upload happen one at a time."""
    return session.scalars(select(Upload).where(Upload.id == upload_id).with_for_update()).first()


def append(session: Session, settings: Settings, upload: Upload, got: Received) -> None:
    """Append what arrived at the committed offset, fsync, then move the offset (caller commits).

    A concurrent request may have stored part of the same range meanwhile; the same bytes
    at the same offsets are idempotent, so only the part past the current offset is added.
    """
    if upload.status == EXPIRED:
        # Expired while this body arrived (the sweep does not wait for a request in flight).
        raise Gone("This upload expired; start a new one.")
    if upload.offset < got.start:
        raise OffsetMismatch(
            "The upload went back; start from HEAD.", headers={"Upload-Offset": str(upload.offset)}
        )
    skip = upload.offset - got.start
    if got.size > skip:
        upload_store.append(settings, upload.id, upload.offset, got.path, skip)
        upload.offset = got.start + got.size
        upload.expires_at = clock.now() + settings.ttl
    session.flush()
