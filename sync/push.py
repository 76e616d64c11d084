"""Push: apply a client's queued mutations in id order, each exactly once.

One transaction per batch, committed here (the engine's entry point; on PostgreSQL the
COMMIT travels with the batch's writes). The client's `ClientState` row, locked FOR
UPDATE, serialises that client's batches. `dossier.save`s
go through the set-wise fast path (`sync.batch`), everything else through the registry's
handlers; a mutation that cannot apply changes nothing and is consumed with a `rejected`
result that never blocks the queue behind it (handlers: SAVEPOINTs taken lazily, see
`_push_once`). A server fault (a handler bug, an unexpected database error) is not the
mutation's fault: the batch stops before it and it is retried, until it is dead-lettered
(`sync.faults`).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.orm import Session

from app.errors import Conflict, DomainError, Forbidden, PayloadTooLarge, ValidationFailed
from app.models.accounts import TokenUser, User
from app.models.sync import MutationResult
from app.services import clock
from sync import actions, conflicts, documents, drafts, faults, reads  # noqa: F401  (register the v1 mutations)
from sync.batch import PushBatch
from sync.merge import parse_stamp
from sync.mutations import (
    LOCKED,
    REJECTED,
    Context,
    Outcome,
    UnknownUser,
    account,
    client_uuid,
    get_handler,
    result_of,
)

log = logging.getLogger(__name__)

MAX_BATCH = 100
MAX_BATCH_BYTES = 1024 * 1024
# PostgreSQL: deadlock detected, serialization failure. The whole batch is retried (and
# after a lost connection).
RETRY_SQLSTATES = {"40P01", "40001"}
ATTEMPTS = 3


class UnknownMutation(DomainError):
    status, slug, title = 422, "unknown-mutation", "Unknown mutation"


class InjectedFault(RuntimeError):
    """What the test-only fault hook raises in place of a handler's work."""


@dataclass(frozen=True)
class FaultPolicy:
    """How server faults are handled: deliveries before a mutation is dead-lettered, the
    Retry-After sent meanwhile, and the test-only hook (`sync.faults.injector`)."""

    poison_after: int = faults.POISON_AFTER
    retry_after: int = faults.RETRY_AFTER
    inject: Callable[[dict[str, Any]], bool] | None = None


def push(session: Session, user: User | TokenUser, client_id: Any, mutations: Any, *, lang: str = "vi",
         max_batch: int = MAX_BATCH,
         max_bytes: int = MAX_BATCH_BYTES,
         on_applied: Callable[[list[dict[str, Any]]], None] | None = None,
         policy: FaultPolicy = FaultPolicy()) -> dict[str, Any]:
    """Apply one batch and commit it; returns `{last_mutation_id, results}`.

    `on_applied` is called after the commit with the newly consumed mutations' results
    (not with replayed ones), e.g. to count them in metrics.

    `user` may be the account's row or the `TokenUser` its access token names (the row is
    then read only if a registry handler needs it; the client row's first round trip checks
    that the account exists).

    Raises: PayloadTooLarge (413, more than `max_batch` mutations; the byte limit is checked
    where the body arrives, `api/sync`), ValidationFailed (422, malformed batch), Forbidden (403,
    client bound to another user), Conflict (409, the batch starts past last_mutation_id + 1),
    UnknownUser (401), ServerFault (503: a server fault stopped the batch before a mutation;
    what came before it is committed).
    """
    cid = client_uuid(client_id)
    batch = _batch(mutations)
    if len(batch) > max_batch:
        raise PayloadTooLarge(f"A batch holds at most {max_batch} mutations.",
                              extra={"max_mutations": max_batch, "max_bytes": max_bytes})
    try:
        try:
            response, fresh = _attempts(session, user, cid, batch, lang, False, policy)
        except _NeedSavepoints:
            # A mutation failed in the fast pass: redo the batch, each in its own savepoint.
            response, fresh = _attempts(session, user, cid, batch, lang, True, policy)
    finally:
        session.info.pop(LOCKED, None)
    if on_applied is not None and fresh:
        on_applied(fresh)
    stopped = response.pop("stopped_at", None)
    if stopped is not None:
        raise faults.ServerFault(
            f"The server could not apply change {stopped} yet; it and the changes after it "
            "are kept on the phone and sent again.", retry_after=policy.retry_after,
            extra={"last_mutation_id": response["last_mutation_id"], "mutation_id": stopped})
    return response


class _NeedSavepoints(Exception):
    """Raised in the fast pass (no savepoints) when a handler fails."""


def _attempts(session: Session, user: User | TokenUser, cid: uuid.UUID, batch: list[dict[str, Any]],
              lang: str, safe: bool, policy: FaultPolicy
              ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run and commit the batch, retrying it whole after a deadlock or serialization failure."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            response, fresh = _push_once(session, user, cid, batch, lang, safe, policy)
            session.commit()
            return response, fresh
        except DBAPIError as exc:
            session.rollback()
            code = getattr(exc.orig, "sqlstate", None)
            # A connection lost mid-batch is retried on a fresh one: safe, as a batch that
            # did commit is found applied (last_mutation_id) and answered from its results.
            if (code not in RETRY_SQLSTATES and not exc.connection_invalidated
                    or attempt == ATTEMPTS):
                raise
            log.info("sync push: retrying batch after %s (attempt %d)",
                     code or "a lost connection", attempt)
        except BaseException:
            session.rollback()
            raise
    raise AssertionError("unreachable")


def _batch(mutations: Any) -> list[dict[str, Any]]:
    """The mutations sorted by id; ids must be distinct consecutive integers from 1 up."""
    if not isinstance(mutations, list) or any(not isinstance(m, dict) for m in mutations):
        raise ValidationFailed("`mutations` must be a list of objects.",
                               errors={"mutations": ["list of objects"]})
    for i, m in enumerate(mutations):
        mid = m.get("id")
        if isinstance(mid, bool) or not isinstance(mid, int) or mid < 1:
            raise ValidationFailed("Each mutation needs an integer `id` from 1 up.",
                                   errors={f"mutations.{i}.id": ["integer >= 1"]})
    batch = sorted(mutations, key=lambda m: m["id"])
    for prev, nxt in zip(batch, batch[1:], strict=False):
        if nxt["id"] != prev["id"] + 1:
            raise ValidationFailed("Mutation ids in a batch must be consecutive.",
                                   errors={"mutations": [f"{prev['id']} is followed by {nxt['id']}"]})
    return batch


def _push_once(session: Session, user: User | TokenUser, cid: uuid.UUID,
               batch: list[dict[str, Any]], lang: str, safe: bool, policy: FaultPolicy
               ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One try at a batch. Most batches apply cleanly, so the first pass runs without a
    savepoint per mutation (two round trips fewer each); if any handler fails, the whole
    transaction is rolled back and the batch is redone with savepoints (`safe`)."""
    received = clock.now()
    saves = PushBatch(session, user, cid, lang, received)
    state = saves.begin(batch)
    if state is None:
        raise UnknownUser("The account no longer exists.")
    if state.user_id != user.id:
        raise Forbidden("This client belongs to another account; sign in there or reinstall.")
    last = state.last_mutation_id
    if batch and batch[0]["id"] > last + 1:
        raise Conflict(f"Mutations are missing: the next one expected is {last + 1}.",
                       extra={"last_mutation_id": last})
    done = [m["id"] for m in batch if m["id"] <= last]
    results: list[dict[str, Any]] = []
    if done:
        stored = dict(session.execute(
            select(MutationResult.mutation_id, MutationResult.result)
            .where(MutationResult.client_id == cid, MutationResult.mutation_id.in_(done))).all())
        # A result older than the retention period is gone; the client pulls instead.
        results.extend(stored[i] for i in done if i in stored)
    todo = [m for m in batch if m["id"] > last]
    fresh: list[dict[str, Any]] = []
    stopped: int | None = None
    if todo:
        for m in todo:
            captured = clamp(parse_stamp(m.get("captured_at")), state.last_captured_at, received)
            hooked = policy.inject is not None and policy.inject(m)
            result = None if hooked else saves.try_save(m, captured)
            if result is None:
                # Anything else runs through the registry, after the rows queued so far.
                saves.before_handler()
                try:
                    result = apply_one(session, account(session, user), cid, m, captured, lang,
                                       safe, inject=hooked)
                except faults.Fault as fault:
                    saves.after_handler()
                    result = faults.record(session, user.id, cid, m, captured, fault.error,
                                           policy.poison_after)
                    if result is None:
                        stopped = m["id"]  # not consumed: the phone sends it again
                        break
                else:
                    saves.after_handler()
            results.append(result)
            fresh.append(result)
            saves.add_result(m, result)
            state.last_mutation_id, state.last_captured_at = m["id"], captured
        state.updated_at = received
        saves.finish(state)
    session.flush()
    response: dict[str, Any] = {"last_mutation_id": state.last_mutation_id, "results": results}
    if stopped is not None:
        response["stopped_at"] = stopped
    return response, fresh


def clamp(captured: datetime | None, floor: datetime | None, ceiling: datetime) -> datetime:
    """Phone clocks lie: keep captured_at within [previous mutation's, server receive time]."""
    value = captured or ceiling
    if floor is not None and value < floor:
        value = floor
    return min(value, ceiling).astimezone(UTC)


def apply_one(session: Session, user: User, cid: uuid.UUID, m: dict[str, Any],
              captured: datetime, lang: str, safe: bool = True, *, inject: bool = False
              ) -> dict[str, Any]:
    """Run one mutation in its own savepoint and return its result (consumed), or raise
    `faults.Fault` when its handler failed on a server fault (not consumed). `inject`: the
    test-only fault hook matched it, so its handler fails as a bug would."""
    name, args = m.get("name"), m.get("args", {})
    handler = get_handler(name) if isinstance(name, str) else None
    if handler is not None and inject:
        handler = _injected
    if handler is None:
        outcome = Outcome(REJECTED, error=UnknownMutation(
            f"Unknown mutation {name!r}.", errors={"name": ["unknown mutation name"]}).to_problem())
    elif args is None or not isinstance(args, dict):
        outcome = Outcome(REJECTED, error=ValidationFailed(
            "`args` must be an object.", errors={"args": ["object"]}).to_problem())
    elif m.get("captured_at") is not None and parse_stamp(m.get("captured_at")) is None:
        outcome = Outcome(REJECTED, error=ValidationFailed(
            "`captured_at` must be an RFC 3339 time.", errors={"captured_at": ["RFC 3339"]},
        ).to_problem())
    else:
        ctx = Context(session=session, user=user, client_id=cid, mutation_id=m["id"],
                      captured_at=captured, lang=lang)
        outcome = _run(session, handler, ctx, args) if safe else _run_fast(handler, ctx, args)
    return result_of(m["id"], outcome.status, outcome.entity, outcome.conflicts, outcome.error,
                     outcome.extra)


def _injected(ctx: Context, args: dict[str, Any]) -> Outcome:
    raise InjectedFault(f"test fault hook: mutation #{ctx.mutation_id}")


def _run_fast(handler: Any, ctx: Context, args: dict[str, Any]) -> Outcome:
    try:
        return handler(ctx, args)
    except OperationalError:
        raise
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) in RETRY_SQLSTATES:
            raise
        raise _NeedSavepoints() from exc
    except Exception as exc:
        raise _NeedSavepoints() from exc


def _run(session: Session, handler: Any, ctx: Context, args: dict[str, Any]) -> Outcome:
    savepoint = session.begin_nested()
    try:
        outcome = handler(ctx, args)
        savepoint.commit()
        return outcome
    except DomainError as exc:
        savepoint.rollback()
        return Outcome(REJECTED, error=exc.to_problem())
    except OperationalError:
        raise  # the database is in trouble: fail the batch, the client retries it
    except DataError:
        # A value the database cannot hold (a NUL character, a number past its range):
        # the phone sent something wrong, and retrying cannot help.
        savepoint.rollback()
        return Outcome(REJECTED, error=ValidationFailed(
            "A value in this change cannot be stored.",
            errors={"args": ["a value the server cannot store"]}).to_problem())
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) in RETRY_SQLSTATES:
            raise
        savepoint.rollback()
        log.exception("sync mutation %s #%s failed", ctx.client_id, ctx.mutation_id)
        raise faults.Fault(exc) from exc
    except Exception as exc:
        # A bug, not the phone's fault: the mutation is not consumed (sync.faults).
        savepoint.rollback()
        log.exception("sync mutation %s #%s failed", ctx.client_id, ctx.mutation_id)
        raise faults.Fault(exc) from exc
