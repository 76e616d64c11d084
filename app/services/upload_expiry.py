"""Unfinished uploads expire: a request finds out at once, and the periodic sweep tidies up.

Several processes may sweep at once, so the database decides: rows are claimed under a
lock that other sweepers skip, long-expired rows are deleted by a statement that may match
nothing, and a partial file is removed only after the commit that says no upload writes it.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.errors import Gone, NotFound
from app.models.uploads import EXPIRED, UPLOADING, Upload
from app.services import clock, upload_store
from app.services.upload_store import Settings
from app.services.uploads import unlink_from_dossiers

EXPIRE_EVERY_SECONDS = 300.0  # how often one process runs the sweep's expiry at most
KEEP_EXPIRED = timedelta(days=30)  # an expired row answers 410 this long, then is forgotten
BODY_MAX_AGE_SECONDS = 3600  # a request's own body file older than this lost its worker


def ensure_alive(session: Session, settings: Settings, upload: Upload) -> None:
    """410 for an expired upload (expiring it now if no sweep has yet)."""
    if upload.status == UPLOADING and upload.expires_at <= clock.now():
        # Lock and re-read: a sweep may be expiring it, or a PATCH extending it, right now.
        current = session.scalars(
            select(Upload)
            .where(Upload.id == upload.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()
        if current is None:
            raise NotFound("No such upload.")
        if current.status == UPLOADING and current.expires_at <= clock.now():
            expire_one(session, current)
    if upload.status == EXPIRED:
        raise Gone("This upload expired; start a new one.")


def expire_one(session: Session, upload: Upload) -> None:
    """Mark one upload expired; its partial file goes once that is committed (remove_orphans)."""
    unlink_from_dossiers(session, upload)
    upload.status = EXPIRED
    session.flush()


def expire(
    session: Session, settings: Settings, now: datetime | None = None, keep_expired: timedelta = KEEP_EXPIRED
) -> dict[str, int]:
    """Expire unfinished uploads past their time and forget old expired rows (caller commits,
    then calls `remove_orphans`)."""
    now = now or clock.now()
    stale = list(
        session.scalars(
            select(Upload)
            .where(Upload.status == UPLOADING, Upload.expires_at <= now)
            .with_for_update(skip_locked=True)
        )
    )
    for upload in stale:
        expire_one(session, upload)
    forgotten = session.execute(
        delete(Upload).where(Upload.status == EXPIRED, Upload.expires_at <= now - keep_expired)
    ).rowcount
    session.flush()
    return {"expired": len(stale), "forgotten": forgotten or 0}


def remove_orphans(session: Session, settings: Settings, now: datetime | None = None) -> int:
    """Remove partial files no unfinished upload owns (call it after `expire`'s commit).

    The folder is listed before the database is asked: a file is only ever written for an
    upload whose row was committed first, so a file listed here whose id is not uploading
    now belongs to an upload that is finished, expired or gone.
    """
    now = now or clock.now()
    partial_dir = settings.root / "partial"
    remote = upload_store.remote_partials(settings)
    paths = list(partial_dir.iterdir()) if partial_dir.is_dir() else []
    live = {u.hex for u in session.scalars(select(Upload.id).where(Upload.status == UPLOADING))}
    session.rollback()  # nothing written; no transaction stays open during the removals
    orphans = 0
    for upload_hex in remote - live:
        upload_store.drop_partial(settings, uuid.UUID(hex=upload_hex))
        orphans += 1
    for path in paths:
        # <id> is live while its upload is; <id>.<token>.part is a request's own body,
        # left behind only by a worker that died (an hour is far longer than any request).
        try:
            dead = path.name.split(".")[0] not in live or (
                path.name.endswith(".part") and path.stat().st_mtime < now.timestamp() - BODY_MAX_AGE_SECONDS
            )
            if dead:
                path.unlink()
                orphans += 1
        except FileNotFoundError:
            continue  # another sweeper or the request itself removed it
    return orphans
