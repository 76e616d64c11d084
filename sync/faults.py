"""Server faults never eat a mutation (see docs/sync-protocol.md, "Server faults").

A mutation whose handler fails unexpectedly is not consumed: the batch stops before it
(what came before is committed), the phone gets 503 with `Retry-After` and keeps it. Each
failed delivery is counted; after `poison_after` deliveries the mutation is consumed into a
dead letter that keeps its arguments, its result telling the phone it was kept. Once the
fault is fixed an operator replays it (`flask sync dead-letters replay`), and the change
lands with its original capture time, merged like any late change.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import DomainError
from app.models.accounts import User
from app.models.faults import MutationFault
from app.models.sync import MutationResult
from app.services import clock
from sync.mutations import REJECTED

log = logging.getLogger(__name__)

POISON_AFTER = 5
RETRY_AFTER = 30


class ServerFault(DomainError):
    """The batch stopped before a mutation the server failed to apply (not consumed)."""

    status, slug, title = 503, "server-fault", "Change not applied yet"

    def __init__(self, detail: str, *, retry_after: int, **kw: Any) -> None:
        super().__init__(detail, **kw)
        self.headers["Retry-After"] = str(retry_after)
        self.extra["retry_after"] = retry_after


class KeptForReview(DomainError):
    """The `error` of a mutation consumed as a dead letter: kept, not lost."""

    status, slug, title = 500, "kept-for-review", "Kept for review"


class Fault(Exception):
    """Raised by the engine when a handler failed unexpectedly (its savepoint rolled back)."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(repr(error))
        self.error = error


def injector(spec: Any) -> Callable[[dict[str, Any]], bool] | None:
    """The test-only fault hook (`SYNC_TEST_FAULT` in a TESTING app's config): a mutation
    named `spec["name"]` (whose `args.fields` holds `spec["field"]`, when given) fails in
    its handler as a bug would. None when unset."""
    if not isinstance(spec, dict) or not spec.get("name"):
        return None

    def hit(m: dict[str, Any]) -> bool:
        if m.get("name") != spec["name"]:
            return False
        field = spec.get("field")
        fields = (m.get("args") or {}).get("fields") if isinstance(m.get("args"), dict) else None
        return field is None or (isinstance(fields, dict) and field in fields)

    return hit


def record(session: Session, user_id: int, client_id: uuid.UUID, m: dict[str, Any],
           captured: datetime, error: BaseException, poison_after: int) -> dict[str, Any] | None:
    """Count one failed delivery of `m`. Returns the result that consumes it as a dead
    letter once it failed `poison_after` times, else None (the batch stops before it)."""
    now = clock.now()
    row = session.get(MutationFault, (client_id, m["id"]))
    if row is None:
        args = m.get("args")
        row = MutationFault(client_id=client_id, mutation_id=m["id"], user_id=user_id,
                            name=str(m.get("name"))[:64],
                            args=args if isinstance(args, dict | list) else None,
                            captured_at=captured, deliveries=0, first_failed_at=now)
        session.add(row)
    row.deliveries += 1
    row.last_error = repr(error)[:2000]
    row.last_failed_at = now
    session.flush()
    log.error("sync mutation %s #%s failed on a server fault (delivery %d of %d): %r",
              client_id, m["id"], row.deliveries, poison_after, error)
    if row.deliveries < poison_after:
        return None
    row.dead_at = now
    return {"id": m["id"], "status": REJECTED, "entity": None, "conflicts": [],
            "error": KeptForReview(
                "The server could not apply this change. It is kept and will be applied "
                "once the fault is fixed; nothing needs to be typed again.",
                extra={"kept": True}).to_problem()}


def dead_letters(session: Session, *, include_replayed: bool = False) -> list[MutationFault]:
    stmt = select(MutationFault).where(MutationFault.dead_at.is_not(None))
    if not include_replayed:
        stmt = stmt.where(MutationFault.replayed_at.is_(None))
    return list(session.scalars(stmt.order_by(MutationFault.dead_at, MutationFault.mutation_id)))


def replay(session: Session, row: MutationFault, lang: str = "vi",
           inject: Callable[[dict[str, Any]], bool] | None = None) -> dict[str, Any]:
    """Apply a dead letter now, as the engine would have (same user, client, id and capture
    time); its stored result becomes what this gives, so a phone re-sending it sees it.
    Raises `Fault` when the fault is still there (the dead letter stays)."""
    from sync.push import apply_one  # the engine imports this module

    user = session.get(User, row.user_id)
    if user is None:
        raise LookupError("The account no longer exists.")
    m = {"id": row.mutation_id, "name": row.name, "args": row.args,
         "captured_at": row.captured_at.isoformat()}
    result = apply_one(session, user, row.client_id, m, row.captured_at, lang, safe=True,
                       inject=inject is not None and inject(m))
    stored = session.get(MutationResult, (row.client_id, row.mutation_id))
    if stored is not None:
        stored.result = result
    row.replayed_at = clock.now()
    row.replay_result = result
    session.flush()
    return result
