"""`dossier.save`: create or update a draft by a three-way merge, moving it off an outdated form.

args: `dossier_id`, `procedure_code`, `form_version`, `base_version`, `fields` (only the
fields changed since `base_version`; a value of null clears the field).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import NotFound, TransitionNotAllowed, ValidationFailed
from app.models.dossiers import Dossier, DossierVersion
from app.models.sync import ClientWrite
from app.services import catalog, clock, dossiers, forms, lifecycle
from app.services.ids import require_uuid
from app.services.representations import dossier_dict
from sync.conflicts import record_clashes, record_refused_values, result_conflict
from sync.form_drift import drift_outcome, map_values, move_if_outdated, move_to_version
from sync.merge import merge
from sync.mutations import CONFLICT, LOCKED, REJECTED, Context, Outcome, mutation


def load_dossier(session: Session, dossier_id: uuid.UUID) -> Dossier | None:
    """The dossier, locked FOR UPDATE (already locked and loaded if the engine did it)."""
    if dossier_id in session.info.get(LOCKED, ()):
        return session.get(Dossier, dossier_id)
    return session.scalars(
        select(Dossier).where(Dossier.id == dossier_id).with_for_update(of=Dossier)
    ).first()


def _int_arg(args: dict[str, Any], name: str, *, required: bool) -> int | None:
    value = args.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed(f"`{name}` must be an integer.", errors={name: ["integer"]})
    if not 0 <= value < 2**31:
        # Past what an integer column holds: no such version can exist.
        raise ValidationFailed(f"`{name}` is out of range.",
                               errors={name: ["integer from 0 to 2147483647"]})
    return value


def _create(ctx: Context, dossier_id: uuid.UUID, args: dict[str, Any]) -> Dossier:
    code = args.get("procedure_code")
    if not isinstance(code, str):
        raise ValidationFailed("A new draft needs `procedure_code`.",
                               errors={"procedure_code": ["required"]})
    proc = catalog.get_procedure(ctx.session, code)
    version = _int_arg(args, "form_version", required=False) or proc.current_version
    dossiers.form_version(ctx.session, code, version)
    return dossiers.create_draft(ctx.session, ctx.user, dossier_id, proc, version, clock.now())


def _base_fields(session: Session, dossier: Dossier, base_version: int | None) -> dict[str, Any]:
    if base_version is None or base_version < 1:
        return {}
    if base_version > dossier.version:
        raise ValidationFailed(f"`base_version` {base_version} is ahead of the server's "
                               f"{dossier.version}.", errors={"base_version": ["unknown version"]})
    found = session.get(DossierVersion, (dossier.id, base_version))
    return dict(found.fields) if found is not None else {}


@mutation("dossier.save")
def save(ctx: Context, args: dict[str, Any]) -> Outcome:
    session, today = ctx.session, clock.today()
    dossier_id = require_uuid(args.get("dossier_id"), "dossier_id")
    changes = args.get("fields", {})
    if not isinstance(changes, dict):
        raise ValidationFailed("`fields` must be an object.", errors={"fields": ["object"]})
    base_version = _int_arg(args, "base_version", required=False)
    dossier = load_dossier(session, dossier_id)
    created = dossier is None
    if dossier is None:
        dossier = _create(ctx, dossier_id, args)
        session.info.setdefault(LOCKED, set()).add(dossier.id)
    elif dossier.owner_id != ctx.user.id:
        raise NotFound("No such dossier.")
    if dossier.status != lifecycle.DRAFT:
        return refused_by_status(ctx, dossier, "dossier.save", changes,
                                 "The dossier is no longer a draft.", history=False)
    base = {} if created else _base_fields(session, dossier, base_version)
    own = session.get(ClientWrite, (ctx.client_id, dossier.id))
    if own is not None:
        # This phone's own later writes are part of what it edited from.
        base.update({k: v for k, (v, at) in own.fields.items() if at > (base_version or 0)})
    moved = move_if_outdated(ctx, dossier)
    from_version, dropped = moved if moved is not None else (None, {})
    phone_version = _int_arg(args, "form_version", required=False) or dossier.form_version
    if phone_version != dossier.form_version:
        phone_form = dossiers.find_form_version(session, dossier.procedure_code, phone_version)
        if phone_form is None:
            raise NotFound(f"Procedure {dossier.procedure_code!r} has no form version "
                           f"{phone_version}.")
        proc = dossier.procedure
        if phone_version > dossier.form_version and catalog.is_accepted(
                phone_form, proc.current_version, today):
            # The phone already moved the draft to a newer form: follow it.
            dropped.update(move_to_version(ctx, dossier, phone_version))
        else:
            changes, lost = _onto_form(session, dossier, changes, ctx.lang, today)
            dropped.update(lost)
            from_version = from_version or phone_version
    form = dossiers.form_version(session, dossier.procedure_code, dossier.form_version).form

    candidate = {**(dossier.fields or {}), **{k: v for k, v in changes.items() if v is not None}}
    errors = forms.validate(form, candidate, ctx.lang, complete=False, today=today,
                            only=changes.keys())
    mine = {k: v for k, v in errors.items() if k.split(".")[0] in changes}
    if mine:
        raise ValidationFailed("Some fields are invalid.", errors=mine)
    result = merge(base, dossier.fields or {}, dossier.field_stamps or {}, changes,
                   ctx.captured_at)
    records = []
    if result.taken or result.clashes or from_version is not None or dropped:
        dossier.fields, dossier.field_stamps = result.fields, result.stamps
        dossiers.bump(session, dossier, clock.now())
        records = record_clashes(session, dossier, result.clashes, "dossier.save")
    _remember(session, ctx, dossier, own, changes)
    conflicts = [result_conflict(r) for r in records]
    if from_version is not None:
        outcome = drift_outcome(ctx, dossier, from_version, dropped, "dossier.save", conflicts,
                                history=False)
    else:
        lost = record_refused_values(session, dossier, dropped, ctx.captured_at, "dossier.save",
                                     reason="form_outdated")
        conflicts += [result_conflict(r) for r in lost]
        status = CONFLICT if conflicts else result.status
        # The current server copy without its history (pull carries the history).
        outcome = Outcome(status, entity=dossier_dict(dossier, history=False), conflicts=conflicts)
    session.flush()
    return outcome


def _remember(session: Session, ctx: Context, dossier: Dossier, own: ClientWrite | None,
              changes: dict[str, Any]) -> None:
    if not changes:
        return
    written = {k: [v, dossier.version] for k, v in changes.items()}
    if own is None:
        session.add(ClientWrite(client_id=ctx.client_id, dossier_id=dossier.id, fields=written))
    else:
        own.fields = {**own.fields, **written}


def _onto_form(session: Session, dossier: Dossier, changes: dict[str, Any], lang: str,
               today: date) -> tuple[dict[str, Any], dict[str, Any]]:
    """The phone edited on an older form version than the draft's: keep what maps over."""
    form = dossiers.form_version(session, dossier.procedure_code, dossier.form_version).form
    present = {k: v for k, v in changes.items() if v is not None}
    kept, dropped = map_values(form, present, lang, today, context=dossier.fields or {})
    kept.update({k: None for k, v in changes.items() if v is None})
    return kept, dropped


def refused_by_status(ctx: Context, dossier: Dossier, name: str, values: dict[str, Any],
                      detail: str, *, history: bool = True) -> Outcome:
    """Status is the server's: refuse the mutation, keep what it carried in conflict records."""
    records = record_refused_values(ctx.session, dossier, values, ctx.captured_at, name)
    error = TransitionNotAllowed(detail, extra={
        "current_status": dossier.status,
        "allowed_actions": lifecycle.allowed_actions(dossier.status, lifecycle.CITIZEN)})
    return Outcome(REJECTED, entity=dossier_dict(dossier, history=history),
                   conflicts=[result_conflict(r) for r in records], error=error.to_problem())
