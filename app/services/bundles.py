"""Bundles (liên thông): one filing, several dossiers.

A bundle is a procedure whose `members` name other procedures, each at the form version
the bundle's current form was written for (only the current version can be submitted: a
draft on an older one moves to it first, sync/form_drift.py); its own form asks once for
everything. Submitting it makes, in the same transaction, one dossier per member (a member
may be left out by a condition on the answers, `include_if`): the member takes the bundle's
values of the fields it lists (same name, or renamed in `from`; fixed values in `set`; a
value translated to the member's options through `values`, left out when the table has none
for it; through `agency_of`, the name of the agency a member listed before it went to, e.g.
the health-insurance card's "place of birth registration") and the documents its form asks
for, is routed to its own competent agency by the bundle's coded addresses, and is
submitted. The members are then handled each on its own desk; the bundle's dossier is the
citizen's view of them and is handled by no desk.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import ValidationFailed
from app.models.accounts import Agency
from app.models.catalog import Procedure
from app.models.dossiers import Dossier, DossierEvent
from app.models.uploads import DocumentLink
from app.services import clock, directory, dossiers, forms
from app.services.i18n import localise


def check_members(session: Session, code: str, members: Any) -> list[dict[str, Any]]:
    """A bundle's `members` entry, checked against the catalog loaded before it."""
    if not isinstance(members, list):
        raise ValueError(f"{code}: members must be a list")
    for member in members:
        proc = session.get(Procedure, member.get("procedure"))
        if proc is None or proc.members:
            raise ValueError(f"{code}: member {member.get('procedure')!r} is not a single procedure")
        if not isinstance(member.get("fields", []), list) or not isinstance(member.get("from", {}), dict):
            raise ValueError(f"{code}: a member's fields is a list of names and from maps names")
        values = member.get("values", {})
        if not isinstance(values, dict) or not all(isinstance(t, dict) for t in values.values()):
            raise ValueError(f"{code}: a member's values maps a field to a table of values")
        before = [m.get("procedure") for m in members[:members.index(member)]]
        if any(sibling not in before for sibling in member.get("agency_of", {}).values()):
            raise ValueError(f"{code}: agency_of names a member listed before this one")
    return members


def mapping(member: dict[str, Any]) -> dict[str, str]:
    """Member field name → the bundle's field name it takes its value from."""
    return {**{name: name for name in member.get("fields", [])}, **member.get("from", {})}


def members_of(session: Session, bundle: Dossier) -> list[Dossier]:
    return list(session.scalars(select(Dossier).where(Dossier.bundle_id == bundle.id)
                                .order_by(Dossier.procedure_code)))


def siblings_of(session: Session, member: Dossier) -> list[Dossier]:
    """The other dossiers filed with a member in its bundle (none for a lone dossier)."""
    if member.bundle_id is None:
        return []
    return list(session.scalars(select(Dossier).where(Dossier.bundle_id == member.bundle_id,
                                                      Dossier.id != member.id)
                                .order_by(Dossier.procedure_code)))


def make_members(session: Session, bundle: Dossier, moment: datetime, lang: str) -> list[Dossier]:
    """The bundle's member dossiers, made and submitted now (once: their ids derive from
    the bundle's, so a second attempt would collide, never duplicate)."""
    today = clock.local_date(moment)
    bundle_form = dossiers.form_version(session, bundle.procedure_code, bundle.form_version).form
    defined = forms.field_map(bundle_form)
    values = forms.visible_values(bundle_form, bundle.fields or {}, today)
    links = session.scalars(select(DocumentLink).where(DocumentLink.dossier_id == bundle.id)).all()
    made = []
    routed: dict[str, Agency] = {}  # member procedure → the agency it went to
    for member in bundle.procedure.members:
        if not forms.evaluate(member.get("include_if"), values, today):
            continue
        proc = session.get(Procedure, member["procedure"])
        names = mapping(member)
        taken = {m: values[b] for m, b in names.items() if values.get(b) not in (None, "", [], {})}
        for name, table in member.get("values", {}).items():
            if name in taken:
                taken[name] = table.get(taken[name])
                if taken[name] is None:  # no member option for this answer: the desk asks
                    del taken[name]
        for name, sibling in member.get("agency_of", {}).items():
            if sibling in routed:
                taken[name] = localise(routed[sibling].name, "vi")
        taken.update(member.get("set", {}))
        version = member.get("form_version", proc.current_version)
        form = dossiers.form_version(session, proc.code, version).form
        errors = forms.validate(form, taken, lang, complete=False, today=today)
        if errors:
            back = {k: names.get(k.split(".")[0], k) for k in errors}
            raise ValidationFailed(f"The answers do not fit {proc.code}.",
                                   errors={back[k]: v for k, v in errors.items()})
        dossier = dossiers.create_draft(session, bundle.owner, uuid.uuid5(bundle.id, proc.code),
                                        proc, version, moment)
        dossier.bundle_id = bundle.id
        dossier.fields = taken
        dossier.field_stamps = dict.fromkeys(taken, moment.isoformat())
        asked = {d["code"] for d in form.get("documents", [])}
        dossier.documents = {c: item for c, item in (bundle.documents or {}).items() if c in asked}
        for link in links:  # the member's desk may open the files, as the bundle's links say
            if link.document_code in asked:
                session.add(DocumentLink(dossier_id=dossier.id, document_code=link.document_code,
                                         upload_id=link.upload_id, record_id=link.record_id))
        # Routed by the bundle's coded addresses, under the member's field names.
        coded = {"sections": [{"fields": [{**defined[b], "name": m} for m, b in names.items()
                                          if b in defined]}]}
        dossier.agency_code = directory.route(session, proc, coded, taken, lang)
        routed[proc.code] = session.get(Agency, dossier.agency_code)
        dossiers.transition(session, dossier, bundle.owner, "submit", lang=lang, moment=moment)
        made.append(dossier)
    return made


def on_transition(session: Session, dossier: Dossier, event: DossierEvent) -> None:
    if event.action == "submit" and dossier.procedure.members:
        made = make_members(session, dossier, event.at, "vi")
        event.data = {**(event.data or {}), "members": [str(m.id) for m in made]}


if on_transition not in dossiers.transition_listeners:
    dossiers.transition_listeners.append(on_transition)
