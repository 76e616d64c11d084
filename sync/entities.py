"""What pull can send: each entity kind's serialiser (its current state by id), the kinds a
page loads together, and what a full snapshot holds. Pull reads these registries; the
domain modules they call know nothing of sync."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.models.accounts import User
from app.models.catalog import Procedure
from app.models.dossiers import Dossier
from app.models.notifications import Notification
from app.models.sync import ConflictRecord
from app.models.warehouse import WarehouseRecord
from app.services import catalog, clock, warehouse
from app.services.ids import as_uuid
from app.services.representations import dossier_dict, notification_dict, procedure_dict
from sync.conflicts import conflict_dict
from sync.pull_statements import PAGE_DOSSIERS, PAGE_EVENTS

Serialiser = Callable[[Session, str], dict[str, Any] | None]
# The user a pull is for, while it builds its page: serialisers send only what is theirs,
# whatever a feed row names.
PULL_USER = "hoso.pull_user"
Snapshot = list[tuple[str, str, dict[str, Any]]]


def _dossier(session: Session, entity_id: str) -> dict[str, Any] | None:
    return _dossiers(session, [entity_id]).get(entity_id)


def _dossiers(session: Session, entity_ids: list[str]) -> dict[str, dict[str, Any] | None]:
    """A page's dossiers with their histories in two plain-column queries (no ORM objects:
    a page often repeats a few dossiers, and building them with their procedure and agency
    cost more than the rest of the pull)."""
    keys = {k for k in map(as_uuid, entity_ids) if k is not None}
    if not keys:
        return dict.fromkeys(entity_ids)
    conn = session.connection()
    rows = conn.execute(PAGE_DOSSIERS, {"ids": list(keys)}).all()
    events: dict[uuid.UUID, list[Any]] = {row.id: [] for row in rows}
    for event in conn.execute(PAGE_EVENTS, {"ids": list(events)}):
        events[event.dossier_id].append(event)
    today = clock.today()
    owner = session.info.get(PULL_USER)
    found = {str(row.id): dossier_dict(row, today=today, procedure_name=row.procedure_name,
                                       events=events[row.id])
             for row in rows if owner is None or row.owner_id == owner}
    return {i: found.get(i) for i in entity_ids}


def _by_key(model: Any, to_dict: Callable[[Any], dict[str, Any]]) -> Serialiser:
    def serialise(session: Session, entity_id: str) -> dict[str, Any] | None:
        key = as_uuid(entity_id)
        found = session.get(model, key) if key else None
        owner = session.info.get(PULL_USER)
        if found is None or (owner is not None and getattr(found, "user_id", owner) != owner):
            return None
        return to_dict(found)

    return serialise


def _procedure(session: Session, entity_id: str) -> dict[str, Any] | None:
    found = session.get(Procedure, entity_id)
    return procedure_dict(found) if found is not None else None


entity_serialisers: dict[str, Serialiser] = {
    "dossier": _dossier,
    "notification": _by_key(Notification, notification_dict),
    "conflict": _by_key(ConflictRecord, conflict_dict),
    "procedure": _procedure,
    "record": _by_key(WarehouseRecord, warehouse.record_dict),
}

# Entities a page may hold many of, loaded together: entity -> (session, ids) -> {id: data}.
batch_serialisers: dict[str, Callable[[Session, list[str]], dict[str, dict[str, Any] | None]]] = {
    "dossier": _dossiers,
}


def entity_version(entity: str, data: dict[str, Any] | None) -> int | None:
    if data is None:
        return None
    if isinstance(data.get("version"), int):
        return data["version"]
    if entity == "procedure":
        return data.get("current_version")
    if entity == "notification":
        return 2 if data.get("read_at") else 1
    return 1


def snapshot_entities(session: Session, user: User) -> Snapshot:
    """Everything the user may see now, as `(entity, id, data)`: the catalog, their
    dossiers, open conflicts, inbox and warehouse records."""
    today = clock.today()
    out: Snapshot = [("procedure", p.code, procedure_dict(p)) for p in session.scalars(
        select(Procedure).options(catalog.versions_listed()).order_by(Procedure.code))]
    dossiers = session.scalars(select(Dossier).where(Dossier.owner_id == user.id)
                               .options(selectinload(Dossier.events))
                               .order_by(Dossier.created_at, Dossier.id))
    out += [("dossier", str(d.id), dossier_dict(d, today=today)) for d in dossiers]
    records = session.scalars(select(ConflictRecord)
                              .where(ConflictRecord.user_id == user.id,
                                     ConflictRecord.resolved_at.is_(None))
                              .order_by(ConflictRecord.created_at, ConflictRecord.id))
    out += [("conflict", str(r.id), conflict_dict(r)) for r in records]
    notes = session.scalars(select(Notification).where(Notification.user_id == user.id)
                            .order_by(Notification.created_at, Notification.id))
    out += [("notification", str(n.id), notification_dict(n)) for n in notes]
    out += [("record", str(r.id), warehouse.record_dict(r))
            for r in warehouse.records_of(session, user)]
    return out
