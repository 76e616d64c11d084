"""Who read a citizen's warehouse data, and why: every read is logged for the citizen to see.

The citizen re-opening their own page within a few minutes counts as one read.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.accounts import User
from app.models.uploads import Upload
from app.models.warehouse import DOCUMENT, RESULT, AccessLogEntry, WarehouseRecord
from app.services import clock
from app.services.warehouse import (
    ensure_profile,
    profile_dict,
    record_dict,
    record_label,
    records_of,
)

VIEW_COALESCE = timedelta(minutes=10)


def log_read(
    session: Session,
    owner_id: int,
    actor: User,
    purpose: str,
    *,
    record: WarehouseRecord | None = None,
    keys: list[str] | None = None,
    dossier_id: uuid.UUID | None = None,
    subject: str | None = None,
) -> None:
    now = clock.now()
    if not actor.is_official and purpose == "view":
        # The citizen re-opening their own page is one read, not one per refresh.
        same_subject = (
            AccessLogEntry.record_id == record.id
            if record is not None
            else AccessLogEntry.record_id.is_(None)
        )
        recent = session.scalars(
            select(AccessLogEntry.id).where(
                AccessLogEntry.owner_id == owner_id,
                AccessLogEntry.actor_id == actor.id,
                AccessLogEntry.purpose == purpose,
                AccessLogEntry.at > now - VIEW_COALESCE,
                same_subject,
            )
        ).first()
        if recent is not None:
            return
    session.add(
        AccessLogEntry(
            owner_id=owner_id,
            subject=subject or ("record" if record else "profile"),
            record_id=record.id if record else None,
            actor_id=actor.id,
            actor_kind="official" if actor.is_official else "citizen",
            agency_code=actor.agency_code,
            purpose=purpose,
            keys=sorted(keys or []),
            dossier_id=dossier_id,
            at=now,
        )
    )
    session.flush()


def log_upload_read(
    session: Session, upload: Upload, actor: User, *, dossier_id: uuid.UUID, document_code: str
) -> None:
    """An official downloading a citizen's uploaded file (`/uploads/<id>/content`): logged
    like a record read; subject `document` (keys: the document code) until the file has
    become a warehouse record, then that record."""
    record = session.scalars(
        select(WarehouseRecord).where(
            WarehouseRecord.upload_id == upload.id, WarehouseRecord.owner_id == upload.owner_id
        )
    ).first()
    log_read(
        session,
        upload.owner_id,
        actor,
        "download",
        record=record,
        keys=[document_code],
        dossier_id=dossier_id,
        subject=None if record is not None else "document",
    )


def access_log(session: Session, user: User, limit: int = 100) -> list[dict[str, Any]]:
    rows = session.execute(
        select(AccessLogEntry, WarehouseRecord, User)
        .outerjoin(WarehouseRecord, WarehouseRecord.id == AccessLogEntry.record_id)
        .outerjoin(User, User.id == AccessLogEntry.actor_id)
        .where(AccessLogEntry.owner_id == user.id)
        .order_by(AccessLogEntry.at.desc(), AccessLogEntry.id.desc())
        .limit(limit)
    ).all()
    return [
        {
            "at": e.at.isoformat(),
            "subject": e.subject,
            "record_id": str(e.record_id) if e.record_id else None,
            "record_label": record_label(r) if r is not None else None,
            "actor_kind": e.actor_kind,
            "actor": ("you" if e.actor_id == user.id else (a.full_name if a is not None else None)),
            "agency_code": e.agency_code,
            "purpose": e.purpose,
            "keys": e.keys,
            "dossier_id": str(e.dossier_id) if e.dossier_id else None,
        }
        for e, r, a in rows
    ]


def overview(session: Session, user: User) -> dict[str, Any]:
    """What the citizen sees of their warehouse; reading it is logged like any other read."""
    profile = ensure_profile(session, user)
    records = records_of(session, user)
    log_read(session, user.id, user, "view", keys=list(profile))
    for r in records:
        log_read(session, user.id, user, "view", record=r)
    return {
        "profile": profile_dict(profile),
        "records": [record_dict(r) for r in records if r.origin == RESULT],
        "documents": [record_dict(r) for r in records if r.origin == DOCUMENT],
        "access_log": access_log(session, user),
    }
