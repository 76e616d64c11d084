"""Storing one tus request body: streamed into a file of its own with no transaction open
(on SQLite one would block every writer of the app for the whole transfer), then appended
under a short row lock. The flow is several short transactions by design, each committed
with `api.transactions.commit_step`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import request
from werkzeug.exceptions import ClientDisconnected

from api.transactions import commit_step
from api.uploads.settings import settings
from app.errors import DomainError, PayloadTooLarge
from app.extensions import db
from app.models.uploads import COMPLETE, Upload
from app.services import tus, upload_store, uploads


def _pieces(state: dict[str, Any]) -> Iterator[bytes]:
    """The request body in pieces; a dropped connection just ends it."""
    stream = request.stream
    while True:
        try:
            piece = stream.read(upload_store.PIECE)
        except (ClientDisconnected, OSError):
            state["dropped"] = True
            return
        if not piece:
            return
        yield piece


def write_body(upload: Upload) -> Upload | None:
    """Store one body at the upload's offset; returns the upload as stored (None if gone).

    No transaction stays open while the body arrives (on SQLite one would block every
    writer of the app for the whole transfer).
    """
    s = settings()
    checksum = tus.parse_checksum(request.headers.get("Upload-Checksum"))
    upload_id, start, room = upload.id, upload.offset, upload.length - upload.offset
    expected = request.content_length
    if expected is not None and expected > s.chunk_max:
        raise PayloadTooLarge(
            f"Send at most {s.chunk_max} bytes per request.", extra={"chunk_max_bytes": s.chunk_max}
        )
    if expected is not None and expected > room:
        raise PayloadTooLarge(
            "The body runs past Upload-Length.", extra={"upload_length": upload.length, "offset": start}
        )
    commit_step()
    got = tus.receive(s, upload_id, start, room, _pieces({}), expected, checksum)
    try:
        stored = tus.locked(db.session, upload_id)
        if stored is None:
            return None
        if not got.checksum_ok:
            raise tus.ChecksumMismatch(
                "The chunk's checksum does not match; it was not stored. Send it again.",
                headers={"Upload-Offset": str(stored.offset)},
            )
        tus.append(db.session, s, stored, got)
        uploads.check_type_early(db.session, s, stored)
        uploads.finish(db.session, s, stored)
        commit_step()
    except DomainError:
        commit_step()  # keep what was decided (a discarded upload stays discarded)
        raise
    finally:
        got.path.unlink(missing_ok=True)
    if stored.status == COMPLETE:
        upload_store.drop_partial(s, upload_id)
    return stored


def finish_again(upload: Upload) -> None:
    s = settings()
    stored = tus.locked(db.session, upload.id)
    if stored is not None and stored.status != COMPLETE and stored.offset == stored.length:
        try:
            uploads.finish(db.session, s, stored)
        finally:
            commit_step()
        upload_store.drop_partial(s, stored.id)
