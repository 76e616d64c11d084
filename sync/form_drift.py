"""Form drift: a draft made on a form version the catalog no longer accepts moves to the
current version; values that no longer fit are kept as conflict records, and the phone is
told which newly required fields are missing (`form_outdated`, docs/sync-protocol.md)."""

from __future__ import annotations

from datetime import date
from typing import Any

from app.models.dossiers import Dossier
from app.services import catalog, clock, dossiers, forms
from app.services.representations import dossier_dict
from sync.conflicts import record_refused_values, result_conflict
from sync.mutations import CONFLICT, Context, Outcome


def map_values(form: dict[str, Any], values: dict[str, Any], lang: str, today: date,
               context: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split values into those that fit `form` and those that do not. A value fits when its
    field is there and would take it if shown, judged beside the draft's other values
    (`context`): a free-text address does not fit a coded one even while it is hidden."""
    shown = _all_shown(form)
    known = forms.field_map(shown)
    errors = forms.validate(shown, {**(context or {}), **values}, lang, complete=False,
                            today=today, only=list(values), fields=known)
    refused = {key.split(".")[0] for key in errors}
    kept = {k: v for k, v in values.items() if k in known and k not in refused}
    return kept, {k: v for k, v in values.items() if k not in kept}


def _all_shown(form: dict[str, Any]) -> dict[str, Any]:
    """The form with no top-level field hidden, to judge a value whatever the others say."""
    return {**form, "sections": [
        {**section, "fields": [{k: v for k, v in f.items() if k != "visible_if"}
                               for f in section.get("fields", [])]}
        for section in form.get("sections", [])]}


def _new_required(old: dict[str, Any], new: dict[str, Any], values: dict[str, Any], lang: str,
                  today: date) -> list[str]:
    """Fields the new version requires that the old did not, and that have no value yet."""
    before = forms.field_map(old)
    fresh = {f["name"] for f in forms.iter_fields(new)
             if f.get("required") and not before.get(f["name"], {}).get("required")}
    errors = forms.validate(new, values, lang, complete=True, today=today)
    return sorted(n for n in fresh if n in errors)


def move_to_version(ctx: Context, dossier: Dossier, version: int) -> dict[str, Any]:
    """Move a draft's fields onto another form version; returns the values that do not fit."""
    target = dossiers.form_version(ctx.session, dossier.procedure_code, version)
    kept, dropped = map_values(target.form, dossier.fields or {}, ctx.lang, clock.today())
    dossier.fields = kept
    dossier.field_stamps = {k: v for k, v in (dossier.field_stamps or {}).items() if k in kept}
    dossier.form_version = version
    return dropped


def move_if_outdated(ctx: Context, dossier: Dossier) -> tuple[int, dict[str, Any]] | None:
    """A draft on a form version no longer accepted moves to the current one (flushes, no bump).

    Returns (the version it was on, the values that did not map over), or None if accepted.
    """
    proc = dossier.procedure
    fv = dossiers.form_version(ctx.session, dossier.procedure_code, dossier.form_version)
    if catalog.is_accepted(fv, proc.current_version, clock.today()):
        return None
    return fv.version, move_to_version(ctx, dossier, proc.current_version)


def drift_outcome(ctx: Context, dossier: Dossier, from_version: int, dropped: dict[str, Any],
                  name: str, conflicts: list[dict[str, Any]] | None = None, *,
                  history: bool = True) -> Outcome:
    """`conflict` / `form_outdated`: new required fields listed, values that did not fit kept."""
    old = dossiers.form_version(ctx.session, dossier.procedure_code, from_version).form
    new = dossiers.form_version(ctx.session, dossier.procedure_code, dossier.form_version).form
    records = record_refused_values(ctx.session, dossier, dropped, ctx.captured_at, name,
                                    reason="form_outdated")
    return Outcome(CONFLICT, entity=dossier_dict(dossier, history=history),
                   conflicts=[*(conflicts or []), *(result_conflict(r) for r in records)],
                   extra={"reason": "form_outdated", "from_form_version": from_version,
                          "form_version": dossier.form_version,
                          "missing": _new_required(old, new, dossier.fields or {}, ctx.lang,
                                                   clock.today()),
                          "dropped": dropped})
