"""Citizen actions on a dossier and on the inbox, as mutations.

The state machine (`app.services.dossiers.transition`) decides what fits the status;
a mutation it refuses is `rejected` with the current dossier, and what the citizen typed
for it is kept in conflict records.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.errors import DomainError, NotFound, TransitionNotAllowed, ValidationFailed
from app.models.dossiers import Dossier
from app.models.notifications import Notification
from app.models.sync import ConflictRecord
from app.services import change_feed, clock, device_signatures, dossiers, lifecycle, satisfaction
from app.services.ids import require_uuid
from app.services.representations import dossier_dict, notification_dict
from sync.conflicts import record_refused_values, result_conflict
from sync.form_drift import drift_outcome, move_if_outdated
from sync.mutations import APPLIED, REJECTED, Context, Outcome, mutation, own_dossier

NOTE_MAX_LENGTH = 4000  # what a note at the desk may hold (api/office/schemas.py)


def _note(args: dict[str, Any], name: str = "note") -> str | None:
    value = args.get(name)
    if value is not None and not isinstance(value, str):
        raise ValidationFailed(f"`{name}` must be text.", errors={name: ["string"]})
    if value is not None and len(value) > NOTE_MAX_LENGTH:
        raise ValidationFailed(f"`{name}` holds at most {NOTE_MAX_LENGTH} characters.",
                               errors={name: [f"at most {NOTE_MAX_LENGTH} characters"]})
    return value


def _citizen_transition(ctx: Context, name: str, args: dict[str, Any], action: str,
                        typed: dict[str, Any] | None = None, *, dossier: Dossier | None = None,
                        **kwargs: Any) -> Outcome:
    """Run one citizen action through the state machine, in its own savepoint. `dossier`:
    the caller already read and locked it in this mutation."""
    dossier = dossier if dossier is not None else own_dossier(ctx, args)
    try:
        with ctx.session.begin_nested():
            dossiers.transition(ctx.session, dossier, ctx.user, action, lang=ctx.lang,
                           moment=clock.now(), **kwargs)
    except TransitionNotAllowed as exc:
        values = {k: v for k, v in (typed or {}).items() if v not in (None, "", {}, [])}
        records = record_refused_values(ctx.session, dossier, values, ctx.captured_at, name)
        return Outcome(REJECTED, entity=dossier_dict(dossier),
                       conflicts=[result_conflict(r) for r in records], error=exc.to_problem())
    except DomainError as exc:  # e.g. incomplete: nothing applied, the phone shows why
        return Outcome(REJECTED, entity=dossier_dict(dossier), error=exc.to_problem())
    return Outcome(APPLIED, entity=dossier_dict(dossier))


@mutation("dossier.submit")
def submit(ctx: Context, args: dict[str, Any]) -> Outcome:
    dossier = own_dossier(ctx, args)
    if dossier.status == lifecycle.DRAFT:
        moved = move_if_outdated(ctx, dossier)
        if moved is not None:
            # The draft stays a draft: the citizen must see the new form before submitting.
            dossiers.bump(ctx.session, dossier, clock.now())
            return drift_outcome(ctx, dossier, moved[0], moved[1], "dossier.submit")
    signature = None
    if dossier.status == lifecycle.DRAFT:  # a replay of an applied submit has nothing to check
        try:  # signed on the phone: refused if the dossier is not what was signed
            signature = device_signatures.check_submission(
                ctx.session, ctx.user, dossier, args.get("device_signature"), ctx.lang)
        except DomainError as exc:
            return Outcome(REJECTED, entity=dossier_dict(dossier), error=exc.to_problem())
    outcome = _citizen_transition(ctx, "dossier.submit", args, "submit", dossier=dossier)
    if signature is not None and outcome.status == APPLIED:
        device_signatures.store(ctx.session, signature)
    return outcome


@mutation("dossier.withdraw")
def withdraw(ctx: Context, args: dict[str, Any]) -> Outcome:
    note = _note(args)
    return _citizen_transition(ctx, "dossier.withdraw", args, "withdraw", {"note": note},
                               note=note)


@mutation("dossier.supplement")
def supplement(ctx: Context, args: dict[str, Any]) -> Outcome:
    values = args.get("fields", {})
    if not isinstance(values, dict):
        raise ValidationFailed("`fields` must be an object.", errors={"fields": ["object"]})
    note = _note(args)
    return _citizen_transition(ctx, "dossier.supplement", args, "supplement",
                               {**values, "note": note}, values=values, note=note)


@mutation("dossier.rate")
def rate(ctx: Context, args: dict[str, Any]) -> Outcome:
    comment = _note(args, "comment")
    rating = args.get("rating")
    criteria, reasons = satisfaction.details(args.get("criteria"), args.get("reasons"))
    outcome = _citizen_transition(ctx, "dossier.rate", args, "rate",
                                  {"rating": rating, "comment": comment}, rating=rating,
                                  note=comment)
    if outcome.status == APPLIED:
        satisfaction.record(ctx.session, own_dossier(ctx, args), criteria, reasons, clock.now())
    return outcome


@mutation("dossier.delete_draft")
def delete_draft(ctx: Context, args: dict[str, Any]) -> Outcome:
    session = ctx.session
    dossier = own_dossier(ctx, args)
    if dossier.status != lifecycle.DRAFT:
        error = TransitionNotAllowed(f"Cannot delete a dossier that is {dossier.status}.", extra={
            "current_status": dossier.status,
            "allowed_actions": lifecycle.allowed_actions(dossier.status, lifecycle.CITIZEN)})
        return Outcome(REJECTED, entity=dossier_dict(dossier), error=error.to_problem())
    for record in session.scalars(select(ConflictRecord)
                                  .where(ConflictRecord.dossier_id == dossier.id)):
        change_feed.record(session, ctx.user.id, "conflict", record.id, "delete")
        session.delete(record)
    change_feed.record(session, ctx.user.id, "dossier", dossier.id, "delete")
    session.delete(dossier)
    session.flush()
    return Outcome(APPLIED, entity=None, extra={"deleted": {"entity": "dossier",
                                                            "id": str(dossier.id)}})


@mutation("notification.read")
def notification_read(ctx: Context, args: dict[str, Any]) -> Outcome:
    key = require_uuid(args.get("notification_id"), "notification_id")
    note = ctx.session.get(Notification, key)
    if note is None or note.user_id != ctx.user.id:
        raise NotFound("No such notification.")
    if note.read_at is None:
        note.read_at = ctx.captured_at
        change_feed.record(ctx.session, ctx.user.id, "notification", note.id)
        ctx.session.flush()
    return Outcome(APPLIED, entity=notification_dict(note))
