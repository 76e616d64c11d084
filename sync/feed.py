"""The per-user change feed behind pull.

Allocating a sequence number updates the user's row, which locks it until the
transaction commits; so a user's changes commit in sequence order and a cursor
never skips a change that commits later (gap-free under concurrent writers).
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.models.accounts import User
from app.models.sync import Change


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
