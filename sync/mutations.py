"""The mutation registry: v1 mutation name → handler.

A handler gets a `Context` (session, user, client, clamped capture time) and the
mutation's `args`, and returns an `Outcome`. A handler that raises a `DomainError` is
turned by the engine into a `rejected` result; the mutation is still consumed.
Other modules register their own mutations with `@mutation("name")`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.errors import DomainError
from app.models.accounts import TokenUser, User
from app.models.dossiers import Dossier
from app.services import dossiers, held
from app.services.ids import require_uuid

APPLIED, MERGED, CONFLICT, REJECTED = "applied", "merged", "conflict", "rejected"
STATUSES = (APPLIED, MERGED, CONFLICT, REJECTED)
# session.info key: ids of dossiers the engine locked (and loaded) for the current batch.
LOCKED = "sync_locked_dossiers"


class UnknownUser(DomainError):
    status, slug, title = 401, "invalid-token", "Unknown user"


ACCOUNTS = "mutations.accounts"  # what `held` keeps the account rows under


def account(session: Session, user: User | TokenUser) -> User:
    """The account's row, for code that works with the ORM (read once per session)."""
    if isinstance(user, User):
        return user
    # The identity map holds objects weakly: without `held` the row was read again for
    # every mutation of a batch.
    found = held.remembered(session, ACCOUNTS, user.id, lambda: session.get(User, user.id))
    if found is None:
        raise UnknownUser("The account no longer exists.")
    return found


def client_uuid(value: Any) -> uuid.UUID:
    """A phone's `client_id` (push and pull); 422 when it is not a UUID."""
    return require_uuid(value, "client_id")


@dataclass
class Context:
    """What a handler gets besides the args."""

    session: Session
    user: User
    client_id: uuid.UUID
    mutation_id: int
    captured_at: datetime  # already clamped per the contract
    lang: str  # "vi" | "en"


@dataclass
class Outcome:
    status: str  # "applied" | "merged" | "conflict" | "rejected"
    entity: dict[str, Any] | None = None  # current server copy (e.g. representations.dossier_dict)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    error: dict[str, Any] | None = None  # a problem+json dict when rejected
    extra: dict[str, Any] = field(default_factory=dict)  # merged into the result (reason, missing)


Handler = Callable[[Context, dict[str, Any]], Outcome]


def result_of(mutation_id: int, status: str, entity: dict[str, Any] | None,
              conflicts: list[dict[str, Any]], error: dict[str, Any] | None = None,
              extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """One mutation's result as the push answer lists it (the handler path and the save
    fast path both build it here)."""
    result: dict[str, Any] = {"id": mutation_id, "status": status, "entity": entity,
                              "conflicts": conflicts}
    if error is not None:
        result["error"] = error
    if extra:
        result.update(extra)
    return result

handlers: dict[str, Handler] = {}


def mutation(name: str) -> Callable[[Handler], Handler]:
    """Register `fn` as the handler of mutation `name` (a name is public API: never reuse one)."""

    def register(fn: Handler) -> Handler:
        if name in handlers and handlers[name] is not fn:
            raise ValueError(f"mutation {name!r} is already registered")
        handlers[name] = fn
        return fn

    return register


def own_dossier(ctx: Context, args: dict[str, Any]) -> Dossier:
    """The caller's dossier named by `args["dossier_id"]`, locked FOR UPDATE (404 for another's)."""
    return dossiers.get_owned(ctx.session, ctx.user, require_uuid(args.get("dossier_id"), "dossier_id"),
                              lock=True)


def get_handler(name: str) -> Handler | None:
    return handlers.get(name)
