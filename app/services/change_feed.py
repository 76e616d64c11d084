"""The per-user change feed: the domain's change log, written by transitions, notifications,
the warehouse and the sync mutations; `sync.pull` only reads it.

Allocating a sequence number updates the user's row, which locks it until the
transaction commits; so a user's changes commit in sequence order and a cursor
never skips a change that commits later (gap-free under concurrent writers).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, exists, func, select, update
from sqlalchemy.orm import Session

from app.models.accounts import User
from app.models.sync import Change, MutationResult


def record(session: Session, user_id: int, entity: str, entity_id: object, op: str = "put") -> int:
    """Append one change to a user's feed and return its sequence number (flushes, no commit)."""
    seq = session.execute(
        update(User)
        .where(User.id == user_id)
        .values(change_seq=User.change_seq + 1)
        .returning(User.change_seq)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    session.add(Change(user_id=user_id, seq=seq, entity=entity, entity_id=str(entity_id), op=op))
    return seq


def prune(session: Session, days: int = 30, now: datetime | None = None) -> dict[str, int]:
    """Drop changes and stored mutation results older than `days`; raise each user's floor.

    A cursor below a user's `change_floor` can no longer be served (pull answers 410 and
    the phone resets from a snapshot). Flushes; the caller commits.
    """
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    oldest = (select(func.max(Change.seq))
              .where(Change.user_id == User.id, Change.created_at < cutoff).scalar_subquery())
    floors = session.execute(
        update(User)
        .where(exists().where(Change.user_id == User.id, Change.created_at < cutoff))
        .values(change_floor=case((oldest > User.change_floor, oldest), else_=User.change_floor))
        .execution_options(synchronize_session=False)
    ).rowcount
    floor = select(User.change_floor).where(User.id == Change.user_id).scalar_subquery()
    changes = session.execute(
        delete(Change).where(Change.seq <= floor).execution_options(synchronize_session=False)
    ).rowcount
    results = session.execute(
        delete(MutationResult).where(MutationResult.created_at < cutoff)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.flush()
    return {"users": floors, "changes": changes, "results": results}


def record_many(session: Session, user_id: int, items: list[tuple[str, object, str]]) -> list[int]:
    """Append several changes `(entity, entity_id, op)` to a user's feed, in order.

    One user-row update allocates all their sequence numbers (the row stays locked until
    commit, as with `record`), and one INSERT writes them. Returns the numbers.
    """
    if not items:
        return []
    last = session.execute(
        update(User)
        .where(User.id == user_id)
        .values(change_seq=User.change_seq + len(items))
        .returning(User.change_seq)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    first = last - len(items) + 1
    now = datetime.now(UTC)
    session.execute(Change.__table__.insert(), [
        {"user_id": user_id, "seq": first + i, "entity": entity, "entity_id": str(entity_id),
         "op": op, "created_at": now}
        for i, (entity, entity_id, op) in enumerate(items)])
    return list(range(first, last + 1))
