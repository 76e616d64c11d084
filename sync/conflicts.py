"""Conflict records: values that did not stand, kept for the owner to see and reverse.

`conflict.resolve` args: `conflict_id`, `use` = "kept" (the standing value stays; the
record is closed) or "other" (the other value is put back on the draft, and the value it
replaces stays in the record).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import NotFound, TransitionNotAllowed, ValidationFailed
from app.models.dossiers import Dossier
from app.models.sync import ConflictRecord
from app.services import change_feed, clock, dossiers, forms, lifecycle
from app.services.ids import as_uuid
from app.services.representations import dossier_dict
from sync.merge import Clash, parse_stamp
from sync.mutations import APPLIED, Context, Outcome, mutation


def conflict_dict(record: ConflictRecord) -> dict[str, Any]:
    """The pull `data` of a conflict (and the items of a result's `conflicts`)."""
    return {
        "id": str(record.id), "dossier_id": str(record.dossier_id), "field": record.field,
        "reason": record.reason, "mutation": record.mutation,
        "kept": record.kept, "kept_captured_at": clock.iso(record.kept_captured_at),
        "other": record.other, "other_captured_at": clock.iso(record.other_captured_at),
        "dossier_version": record.dossier_version, "version": record.version,
        "created_at": clock.iso(record.created_at),
        "resolved_at": clock.iso(record.resolved_at), "resolution": record.resolution,
    }


def result_conflict(record: ConflictRecord) -> dict[str, Any]:
    """What a push result lists: `{field, kept, other, other_captured_at}` plus the record id."""
    return {"id": str(record.id), "field": record.field, "kept": record.kept,
            "other": record.other, "other_captured_at": clock.iso(record.other_captured_at),
            "reason": record.reason}


def _add(session: Session, dossier: Dossier, record: ConflictRecord) -> ConflictRecord:
    session.add(record)
    session.flush()
    change_feed.record(session, dossier.owner_id, "conflict", record.id)
    return record


def record_clashes(session: Session, dossier: Dossier, clashes: list[Clash], mutation_name: str
                   ) -> list[ConflictRecord]:
    """One record per clashing field of a merge."""
    return [_add(session, dossier, clash_record(dossier.owner_id, dossier.id, dossier.version, c,
                                                mutation_name))
            for c in clashes]


def clash_record(owner_id: int, dossier_id: uuid.UUID, dossier_version: int, clash: Clash,
                 mutation_name: str) -> ConflictRecord:
    """The record of one clashing field (its id set now: the save fast path lists it before
    any flush)."""
    return ConflictRecord(
        id=uuid.uuid4(), user_id=owner_id, dossier_id=dossier_id, field=clash.field, reason="edit",
        mutation=mutation_name, kept=clash.kept, kept_captured_at=clash.kept_captured_at,
        other=clash.other, other_captured_at=clash.other_captured_at,
        dossier_version=dossier_version, version=1, created_at=clock.now())


def record_refused_values(session: Session, dossier: Dossier, values: dict[str, Any],
                          captured_at: datetime, mutation_name: str, *, reason: str = "status"
                          ) -> list[ConflictRecord]:
    """Values that could not be applied (status changed, form moved on): keep each one."""
    stamps = dossier.field_stamps or {}
    return [
        _add(session, dossier, ConflictRecord(
            user_id=dossier.owner_id, dossier_id=dossier.id, field=name, reason=reason,
            mutation=mutation_name, kept=(dossier.fields or {}).get(name),
            kept_captured_at=parse_stamp(stamps.get(name)), other=value,
            other_captured_at=captured_at, dossier_version=dossier.version,
            created_at=clock.now()))
        for name, value in sorted(values.items())
    ]


def get_own(session: Session, user_id: int, conflict_id: Any, *, lock: bool = False
            ) -> ConflictRecord:
    key = as_uuid(conflict_id)
    if key is None:
        raise NotFound("No such conflict.")
    stmt = select(ConflictRecord).where(ConflictRecord.id == key)
    if lock:
        stmt = stmt.with_for_update()
    record = session.scalars(stmt).first()
    if record is None or record.user_id != user_id:
        raise NotFound("No such conflict.")
    return record


@mutation("conflict.resolve")
def resolve(ctx: Context, args: dict[str, Any]) -> Outcome:
    record = get_own(ctx.session, ctx.user.id, args.get("conflict_id"), lock=True)
    use = args.get("use", "kept")
    if use not in ("kept", "other"):
        raise ValidationFailed("`use` must be \"kept\" or \"other\".",
                               errors={"use": ["kept | other"]})
    dossier = dossiers.get_owned(ctx.session, ctx.user, record.dossier_id, lock=True)
    if record.resolved_at is not None:
        return Outcome(APPLIED, entity=dossier_dict(dossier), extra={"conflict": conflict_dict(record)})
    if use == "other":
        _put_back(ctx, dossier, record)
    record.resolved_at, record.resolution = clock.now(), use
    record.version += 1
    change_feed.record(ctx.session, ctx.user.id, "conflict", record.id)
    ctx.session.flush()
    return Outcome(APPLIED, entity=dossier_dict(dossier), extra={"conflict": conflict_dict(record)})


def _put_back(ctx: Context, dossier: Dossier, record: ConflictRecord) -> None:
    """Reverse a clash: the other value stands; the value it replaces is kept in the record."""
    if dossier.status != lifecycle.DRAFT:
        raise TransitionNotAllowed("Only a draft's fields can be changed here.",
                                   extra={"current_status": dossier.status})
    form = dossiers.form_version(ctx.session, dossier.procedure_code, dossier.form_version).form
    values = {**dossier.fields}
    if record.other is None:
        values.pop(record.field, None)
    else:
        values[record.field] = record.other
    errors = forms.validate(form, values, ctx.lang, complete=False, today=clock.today())
    if record.field in errors or any(k.startswith(f"{record.field}.") for k in errors):
        raise ValidationFailed("The other value does not fit the form any more.", errors=errors)
    current, current_at = dossier.fields.get(record.field), dossier.field_stamps.get(record.field)
    stamps = {**dossier.field_stamps}
    if record.other is None:
        stamps.pop(record.field, None)
    else:
        stamps[record.field] = ctx.captured_at.isoformat()
    dossier.fields, dossier.field_stamps = values, stamps
    # The record now holds the value that was standing, so reversing loses nothing.
    record.other, record.other_captured_at = current, parse_stamp(current_at)
    record.kept, record.kept_captured_at = values.get(record.field), ctx.captured_at
    dossiers.bump(ctx.session, dossier, clock.now())
