"""The per-user change feed: the domain's change log, written by transitions, notifications,
the warehouse and the sync mutations; `sync.pull` only reads it.

Allocating a sequence number updates the user's row, which locks it until the
transaction commits; so a user's changes commit in sequence order and a cursor
never skips a change that commits later (gap-free under concurrent writers).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, event, exists, func, select, update
from sqlalchemy.orm import Session, SessionTransaction, scoped_session

from app.models.accounts import User
from app.models.sync import Change, MutationResult

RECORDED = "change_feed.recorded"  # session.info key: {(user, entity, id): (op, transaction)}


def first_in_transaction(session: Session, user_id: int, entity: str, entity_id: object,
                         op: str) -> bool:
    """Whether this change needs a feed row, noting that it now has one (or will have: the
    batch path queues its rows). An entity changed twice in one transaction with the same op
    needs one row: a pull sends each entity at its state when it is read, and the
    transaction's rows become visible together, so a second row for a dossier saved then
    submitted in one push would carry nothing the first does not. Another op (a put after a
    delete) needs a row of its own, so the feed's last word on an entity stays the
    transaction's. A savepoint rolled back forgets what was noted inside it (`_forget`), so a
    row the rollback undid is written again by the next change."""
    recorded = session.info.setdefault(RECORDED, {})
    key = (user_id, entity, str(entity_id))
    held = recorded.get(key)
    if held is not None and held[0] == op:
        return False
    real = session() if isinstance(session, scoped_session) else session  # the request's
    recorded[key] = (op, real.get_nested_transaction() or real.get_transaction())
    return True


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous_transaction: SessionTransaction) -> None:
    """Drop what was noted in the transaction rolled back, or in a savepoint inside it."""
    recorded = session.info.get(RECORDED)
    if not recorded:
        return
    for key, (_, transaction) in list(recorded.items()):
        while transaction is not None:
            if transaction is previous_transaction:
                del recorded[key]
                break
            transaction = transaction.parent


@event.listens_for(Session, "after_transaction_end")
def _forget_at_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the whole transaction, committed or rolled back
        session.info.pop(RECORDED, None)


def record(session: Session, user_id: int, entity: str, entity_id: object, op: str = "put") -> None:
    """Append one change to a user's feed, once per entity and op in a transaction
    (`first_in_transaction`). Flushes, no commit."""
    if not first_in_transaction(session, user_id, entity, entity_id, op):
        return
    seq = session.execute(
        update(User)
        .where(User.id == user_id)
        .values(change_seq=User.change_seq + 1)
        .returning(User.change_seq)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    session.add(Change(user_id=user_id, seq=seq, entity=entity, entity_id=str(entity_id), op=op))


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
