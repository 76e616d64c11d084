"""The one loader of a citizen's own row: another person's id is answered exactly like a
missing one, so ids cannot be probed."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.orm import Session

from app.errors import NotFound
from app.models import User
from app.services.ids import as_uuid

Row = TypeVar("Row")


def get_owned_row(session: Session, model: type[Row], user: User, row_id: Any, missing: str,
                  *, lock: bool = False) -> Row:
    """The `model` row `row_id` whose `owner_id` is `user`'s; NotFound(`missing`) otherwise.
    `lock`: read it afresh and hold its row lock until the transaction ends."""
    key = as_uuid(row_id)
    row = (session.get(model, key, with_for_update=lock or None, populate_existing=lock)
           if key is not None else None)
    if row is None or row.owner_id != user.id:  # type: ignore[attr-defined]
        raise NotFound(missing)
    return row
