"""Pull: a user's changes after a cursor, or a full snapshot when there is no cursor.

The feed is gap-free per user (see app/services/change_feed.py): changes commit in sequence
order, so a page of `seq > cursor` never skips one that commits later. `data` is the
entity's current state, serialised by the registries in `sync/entities.py`.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy.orm import Session

from app.errors import Forbidden, Gone
from app.models.accounts import TokenUser, User
from sync.cursor import decode_cursor, encode_cursor
from sync.entities import (
    PULL_USER,
    batch_serialisers,
    entity_serialisers,
    entity_version,
    snapshot_entities,
)
from sync.mutations import UnknownUser, account, client_uuid
from sync.pull_statements import CHANGES, POSITION, POSITION_CLIENT

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 200
MAX_LIMIT = 1000


def _position(session: Session, user_id: int, cid: uuid.UUID | None) -> tuple[int, int, int]:
    """`(change_seq, change_floor, last_mutation_id)` in one query, which also checks that
    the account exists (401) and that the client is this user's (403)."""
    row = session.connection().execute(
        POSITION if cid is None else POSITION_CLIENT,
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
        CHANGES, {"user_id": user.id, "after": after, "limit": limit + 1})]
    has_more = len(rows) > limit
    rows = rows[:limit]
    session.info[PULL_USER] = user.id
    try:
        changes = _page(session, rows)
    finally:
        session.info.pop(PULL_USER, None)
    new_cursor = rows[-1][0] if rows else after
    return {"cursor": encode_cursor(user.id, new_cursor), "has_more": has_more,
            "last_mutation_id": last, "changes": changes}


def _page(session: Session, rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """The page's changes: each entity once, at its current state, in the order of its last
    change in the page (CouchDB's changes feed does the same).

    The current state is at least as new as every change of the page that named the entity,
    so sending it once covers them all; the cursor still moves past every row of the page,
    which keeps paging gap-free."""
    last: dict[tuple[str, str], int] = {}
    for position, (_seq, entity, entity_id, _op) in enumerate(rows):
        last[(entity, entity_id)] = position
    latest = [rows[p] for p in sorted(last.values())]
    cache: dict[tuple[str, str], dict[str, Any] | None] = {}
    for entity, load in batch_serialisers.items():
        wanted = [i for _s, e, i, op in latest if e == entity and op != "delete"]
        if wanted:
            cache.update(((entity, i), data) for i, data in load(session, wanted).items())
    changes = []
    for _seq, entity, entity_id, op in latest:
        serialiser = entity_serialisers.get(entity)
        if serialiser is None:
            log.warning("pull: no serialiser for entity %r; skipped", entity)
            continue
        if (entity, entity_id) not in cache:
            cache[(entity, entity_id)] = None if op == "delete" else serialiser(session, entity_id)
        data = cache[(entity, entity_id)]
        changes.append({"entity": entity, "id": entity_id, "version": entity_version(entity, data),
                        "op": "put" if data is not None else "delete", "data": data})
    return changes


def snapshot(session: Session, user: User) -> list[dict[str, Any]]:
    """Everything the user may see now (`sync.entities.snapshot_entities`) as changes.

    Read after the feed position, so a change committing meanwhile is at worst sent twice.
    """
    return [{"entity": entity, "id": entity_id, "version": entity_version(entity, data),
             "op": "put", "data": data}
            for entity, entity_id, data in snapshot_entities(session, user)]
