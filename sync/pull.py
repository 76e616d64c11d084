"""Pull: a user's changes after a cursor, or a full snapshot when there is no cursor.

The feed is gap-free per user (see sync.feed): changes commit in sequence order, so a
page of `seq > cursor` never skips one that commits later. `data` is the entity's
current state, serialised by `entity_serialisers` (others add theirs, e.g. "record").
"""

from __future__ import annotations

import base64
import binascii
import logging
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, null, select
from sqlalchemy.orm import Session, selectinload

from app.errors import Forbidden, Gone
from app.models.accounts import TokenUser, User
from app.models.catalog import Procedure
from app.models.dossiers import Dossier, DossierEvent
from app.models.notifications import Notification
from app.models.sync import Change, ClientState, ConflictRecord
from app.services import clock
from app.services.representations import dossier_dict, notification_dict, procedure_dict
from sync.conflicts import conflict_dict
from sync.mutations import UnknownUser, account, client_uuid

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 200
MAX_LIMIT = 1000

Serialiser = Callable[[Session, str], dict[str, Any] | None]


def _key(entity_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(entity_id)
    except ValueError:
        return None


def _dossier(session: Session, entity_id: str) -> dict[str, Any] | None:
    return _dossiers(session, [entity_id]).get(entity_id)


def _dossiers(session: Session, entity_ids: list[str]) -> dict[str, dict[str, Any] | None]:
    """A page's dossiers with their histories in two plain-column queries (no ORM objects:
    a page often repeats a few dossiers, and building them with their procedure and agency
    cost more than the rest of the pull)."""
    keys = {k for k in map(_key, entity_ids) if k is not None}
    if not keys:
        return dict.fromkeys(entity_ids)
    conn = session.connection()
    rows = conn.execute(_PAGE_DOSSIERS, {"ids": list(keys)}).all()
    events: dict[uuid.UUID, list[Any]] = {row.id: [] for row in rows}
    for event in conn.execute(_PAGE_EVENTS, {"ids": list(events)}):
        events[event.dossier_id].append(event)
    today = clock.today()
    found = {str(row.id): dossier_dict(row, today=today, procedure_name=row.procedure_name,
                                       events=events[row.id]) for row in rows}
    return {i: found.get(i) for i in entity_ids}


def _notification(session: Session, entity_id: str) -> dict[str, Any] | None:
    key = _key(entity_id)
    found = session.get(Notification, key) if key else None
    return notification_dict(found) if found is not None else None


def _conflict(session: Session, entity_id: str) -> dict[str, Any] | None:
    key = _key(entity_id)
    found = session.get(ConflictRecord, key) if key else None
    return conflict_dict(found) if found is not None else None


def _procedure(session: Session, entity_id: str) -> dict[str, Any] | None:
    found = session.get(Procedure, entity_id)
    return procedure_dict(found) if found is not None else None


# The pull's statements, built once (plain columns, run on the session's connection: the
# ORM's per-statement work was most of a small pull's CPU).
_users, _clients = User.__table__, ClientState.__table__
_POSITION = select(_users.c.change_seq, _users.c.change_floor, null(), null()).where(
    _users.c.id == bindparam("user_id"))
_POSITION_CLIENT = (
    select(_users.c.change_seq, _users.c.change_floor, _clients.c.user_id,
           _clients.c.last_mutation_id)
    .select_from(_users.outerjoin(_clients, _clients.c.client_id == bindparam("client_id")))
    .where(_users.c.id == bindparam("user_id")))
_feed = Change.__table__
_CHANGES = (select(_feed.c.seq, _feed.c.entity, _feed.c.entity_id, _feed.c.op)
            .where(_feed.c.user_id == bindparam("user_id"), _feed.c.seq > bindparam("after"))
            .order_by(_feed.c.seq).limit(bindparam("limit")))
_dossier_t, _procedures = Dossier.__table__, Procedure.__table__
_PAGE_DOSSIERS = (select(_dossier_t, _procedures.c.name.label("procedure_name"))
                  .join(_procedures, _procedures.c.code == _dossier_t.c.procedure_code)
                  .where(_dossier_t.c.id.in_(bindparam("ids", expanding=True))))
_event_t = DossierEvent.__table__
_PAGE_EVENTS = (select(_event_t).where(_event_t.c.dossier_id.in_(bindparam("ids", expanding=True)))
                .order_by(_event_t.c.id))

entity_serialisers: dict[str, Serialiser] = {
    "dossier": _dossier,
    "notification": _notification,
    "conflict": _conflict,
    "procedure": _procedure,
}


# Entities a page may hold many of, loaded together: entity -> (session, ids) -> {id: data}.
batch_serialisers: dict[str, Callable[[Session, list[str]], dict[str, dict[str, Any] | None]]] = {
    "dossier": _dossiers,
}


# What else a full snapshot holds, from other modules (e.g. the warehouse's records):
# each returns [(entity, id, data)] for the user.
snapshot_providers: list[Callable[[Session, User], list[tuple[str, str, dict[str, Any]]]]] = []


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


def encode_cursor(user_id: int, seq: int) -> str:
    return base64.urlsafe_b64encode(f"1.{user_id}.{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str, user_id: int) -> int | None:
    """The sequence number in a cursor, or None if it is not one of this user's cursors."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, owner, seq = raw.split(".")
        if version != "1" or int(owner) != user_id:
            return None
        return int(seq)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def _position(session: Session, user_id: int, cid: uuid.UUID | None) -> tuple[int, int, int]:
    """`(change_seq, change_floor, last_mutation_id)` in one query, which also checks that
    the account exists (401) and that the client is this user's (403)."""
    row = session.connection().execute(
        _POSITION if cid is None else _POSITION_CLIENT,
        {"user_id": user_id, "client_id": cid}).one_or_none()
    if row is None:
        raise UnknownUser("The account no longer exists.")
    seq_now, floor, owner, last = row
    if owner is not None and owner != user_id:
        raise Forbidden("This client belongs to another account.")
    return seq_now, floor, last or 0


def pull(session: Session, user: User | TokenUser, client_id: Any = None,
         cursor: str | None = None, limit: int = DEFAULT_LIMIT) -> dict[str, Any]:
    """`{cursor, has_more, last_mutation_id, changes}`; raises Gone (410) for a dead cursor.

    `user` may be the `TokenUser` the access token names: the account's row is read only
    for a snapshot."""
    limit = max(1, min(int(limit), MAX_LIMIT))
    seq_now, floor, last = _position(session, user.id, None if client_id is None else client_uuid(client_id))
    if not cursor:
        return {"cursor": encode_cursor(user.id, seq_now), "has_more": False,
                "last_mutation_id": last, "changes": snapshot(session, account(session, user))}
    after = decode_cursor(cursor, user.id)
    if after is None or after < floor or after > seq_now:
        raise Gone("This cursor can no longer be served; pull again without a cursor.",
                   extra={"reset": True})
    rows = [tuple(r) for r in session.connection().execute(
        _CHANGES, {"user_id": user.id, "after": after, "limit": limit + 1})]
    has_more = len(rows) > limit
    rows = rows[:limit]
    cache: dict[tuple[str, str], dict[str, Any] | None] = {}
    for entity, load in batch_serialisers.items():
        wanted = list({i for _s, e, i, op in rows if e == entity and op != "delete"})
        if wanted:
            cache.update(((entity, i), data) for i, data in load(session, wanted).items())
    changes = []
    for _seq, entity, entity_id, op in rows:
        serialiser = entity_serialisers.get(entity)
        if serialiser is None:
            log.warning("pull: no serialiser for entity %r; skipped", entity)
            continue
        if (entity, entity_id) not in cache:
            cache[(entity, entity_id)] = None if op == "delete" else serialiser(session, entity_id)
        data = cache[(entity, entity_id)]
        changes.append({"entity": entity, "id": entity_id, "version": entity_version(entity, data),
                        "op": "put" if data is not None else "delete", "data": data})
    new_cursor = rows[-1][0] if rows else after
    return {"cursor": encode_cursor(user.id, new_cursor), "has_more": has_more,
            "last_mutation_id": last, "changes": changes}


def _put(entity: str, entity_id: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"entity": entity, "id": entity_id, "version": entity_version(entity, data),
            "op": "put", "data": data}


def snapshot(session: Session, user: User) -> list[dict[str, Any]]:
    """Everything the user may see now: the catalog, their dossiers, open conflicts, inbox.

    Read after the feed position, so a change committing meanwhile is at worst sent twice.
    """
    today = clock.today()
    out = [_put("procedure", p.code, procedure_dict(p))
           for p in session.scalars(select(Procedure).order_by(Procedure.code))]
    dossiers = session.scalars(select(Dossier).where(Dossier.owner_id == user.id)
                               .options(selectinload(Dossier.events))
                               .order_by(Dossier.created_at, Dossier.id))
    out += [_put("dossier", str(d.id), dossier_dict(d, today=today)) for d in dossiers]
    records = session.scalars(select(ConflictRecord)
                              .where(ConflictRecord.user_id == user.id,
                                     ConflictRecord.resolved_at.is_(None))
                              .order_by(ConflictRecord.created_at, ConflictRecord.id))
    out += [_put("conflict", str(r.id), conflict_dict(r)) for r in records]
    notes = session.scalars(select(Notification).where(Notification.user_id == user.id)
                            .order_by(Notification.created_at, Notification.id))
    out += [_put("notification", str(n.id), notification_dict(n)) for n in notes]
    for provide in snapshot_providers:
        out += [_put(entity, entity_id, data) for entity, entity_id, data in provide(session, user)]
    return out
