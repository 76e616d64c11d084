"""Dossier rules: drafts, transitions, deadlines. Views and the sync engine call these."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from app.errors import Forbidden, NotFound, TransitionNotAllowed, ValidationFailed
from app.models.accounts import Agency, User
from app.models.catalog import FormVersion, Procedure
from app.models.dossiers import Dossier, DossierEvent, DossierVersion
from app.services import change_feed, clock, desk_search, directory, fees, forms, handoffs, held, lifecycle
from app.services.i18n import message
from app.services.ids import as_uuid
from app.services.notifications import notify_status
from app.services.pagination import page_of
from app.services.receipts import next_receipt_code
from app.services.workdays import add_working_days, holidays, working_days_between

# Called after each transition is applied (session, dossier, event): e.g. the data
# warehouse stores a returned result.
transition_listeners: list[Callable[[Session, Dossier, DossierEvent], None]] = []
# Called once the step is decided (status, receipt code and dates set, the event made) and
# before the citizen's change feed grows: slow work goes here (rendering and signing a
# document, ≈ 0.1 s of CPU), so the citizen's user row, which the feed locks until commit
# and every push of their phones needs, is not held while it runs.
listeners_before_feed: list[Callable[[Session, Dossier, DossierEvent], None]] = []


def get_owned(session: Session, user: User, dossier_id: Any, *, lock: bool = False) -> Dossier:
    """A citizen's own dossier; another user's id looks exactly like a missing one."""
    dossier = _get(session, dossier_id, lock)
    if dossier is None or dossier.owner_id != user.id:
        raise NotFound("No such dossier.")
    return dossier


def get_for_official(session: Session, official: User, dossier_id: Any, *, lock: bool = False
                     ) -> Dossier:
    dossier = _get(session, dossier_id, lock)
    if (dossier is None or dossier.agency_code != official.agency_code
            or dossier.status == lifecycle.DRAFT or dossier.procedure.members):
        raise NotFound("No such dossier in your agency.")
    return dossier


@cache
def not_a_bundle() -> Any:
    """SQL: the dossier is not a bundle's own (no dossier names it as its bundle): no desk
    handles it, only its members (services/bundles.py). Built once: a fresh alias of the
    dossiers table each time cost every desk list more than its own query did."""
    member = aliased(Dossier)
    return ~exists(select(member.id).where(member.bundle_id == Dossier.id))


def _get(session: Session, dossier_id: Any, lock: bool) -> Dossier | None:
    key = as_uuid(dossier_id)
    if key is None:
        return None
    stmt = select(Dossier).where(Dossier.id == key)
    if lock:
        stmt = stmt.with_for_update(of=Dossier)
    return session.scalars(stmt).first()


FORM_VERSIONS = "dossiers.form_versions"  # what `held` keeps them under


def find_form_version(session: Session, procedure_code: str, version: int) -> FormVersion | None:
    """The form version, or None. The session's identity map holds objects weakly, so a
    form read for one dossier (or mutation) was loaded, and its JSON parsed, again for the
    next; the session keeps the ones it read for its life."""
    return held.remembered(session, FORM_VERSIONS, (procedure_code, version),
                           lambda: session.get(FormVersion, (procedure_code, version)))


def form_version(session: Session, procedure_code: str, version: int) -> FormVersion:
    found = find_form_version(session, procedure_code, version)
    if found is None:
        raise NotFound(f"Procedure {procedure_code!r} has no form version {version}.")
    return found


def bump(session: Session, dossier: Dossier, moment: datetime) -> None:
    """+1 version, keep that version's fields (for three-way merges), queue it for pull."""
    dossier.version += 1
    dossier.updated_at = moment
    session.add(DossierVersion(dossier_id=dossier.id, version=dossier.version,
                               fields=dict(dossier.fields), stamps=dict(dossier.field_stamps)))
    change_feed.record(session, dossier.owner_id, "dossier", dossier.id)


def create_draft(session: Session, owner: User, dossier_id: uuid.UUID, procedure: Procedure,
                 version: int, moment: datetime) -> Dossier:
    dossier = Dossier(
        id=dossier_id, owner_id=owner.id, procedure_code=procedure.code,
        agency_code=procedure.agency_code, form_version=version, status=lifecycle.DRAFT,
        version=1, fields={}, field_stamps={}, documents={}, created_at=moment,
        updated_at=moment,
    )
    dossier.procedure = procedure
    session.add(dossier)
    session.flush()
    session.add(DossierVersion(dossier_id=dossier.id, version=1, fields={}, stamps={}))
    session.add(DossierEvent(dossier_id=dossier.id, at=moment, actor_id=owner.id,
                             actor_kind=lifecycle.CITIZEN, action="create", to_status=lifecycle.DRAFT))
    change_feed.record(session, owner.id, "dossier", dossier.id)
    return dossier


def missing_documents(form: dict[str, Any], dossier: Dossier, lang: str, today: date
                      ) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for doc in forms.required_documents(form, dossier.fields, today):
        item = (dossier.documents or {}).get(doc["code"])
        if not item:
            errors[f"documents.{doc['code']}"] = [message("document_missing", lang)]
        elif item.get("status") != "ready":
            errors[f"documents.{doc['code']}"] = [message("document_uploading", lang)]
    return errors


def check_complete(session: Session, dossier: Dossier, lang: str, today: date) -> None:
    """Raise ValidationFailed listing every missing or invalid field and document."""
    form = form_version(session, dossier.procedure_code, dossier.form_version).form
    errors = forms.validate(form, dossier.fields, lang, complete=True, today=today)
    errors.update(missing_documents(form, dossier, lang, today))
    if errors:
        raise ValidationFailed("The dossier is incomplete.", errors=errors)


def is_overdue(dossier: Dossier, today: date) -> bool:
    """Derived, never stored: finished after the appointment, or still open past it."""
    due = dossier.appointment_date
    if due is None:
        return False
    if dossier.finished_on is not None:
        return dossier.finished_on > due
    if dossier.paused_on is not None:
        return dossier.paused_on > due
    return today > due


def overdue_clause(today: date) -> Any:
    """`is_overdue` in SQL, for the back office's filter (a test pins the two equal)."""
    due = Dossier.appointment_date
    return and_(due.is_not(None), or_(
        and_(Dossier.finished_on.is_not(None), Dossier.finished_on > due),
        and_(Dossier.finished_on.is_(None), Dossier.paused_on.is_not(None),
             Dossier.paused_on > due),
        and_(Dossier.finished_on.is_(None), Dossier.paused_on.is_(None), due < today),
    ))


def list_owned(session: Session, owner: User, *, status: str | None, page: int, per_page: int
               ) -> dict[str, Any]:
    """A page of the citizen's dossiers, newest change first."""
    stmt = select(Dossier).where(Dossier.owner_id == owner.id)
    if status:
        stmt = stmt.where(Dossier.status == status)
    return page_of(session, stmt, Dossier.updated_at.desc(), Dossier.id, page=page, per_page=per_page)


def transition(
    session: Session,
    dossier: Dossier,
    actor: User,
    action_name: str,
    *,
    note: str | None = None,
    fields: list[str] | None = None,
    documents: list[str] | None = None,
    result: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
    rating: int | None = None,
    assignee_id: int | None = None,
    new_date: date | None = None,
    lang: str = "vi",
    moment: datetime | None = None,
) -> DossierEvent:
    """Apply one action of the state machine, log it, and queue what the phones must pull."""
    moment = moment or clock.now()
    today = clock.local_date(moment)
    action = lifecycle.ACTIONS.get(action_name)
    if action is None:
        raise ValidationFailed(f"Unknown action {action_name!r}.",
                               errors={"action": [f"One of: {', '.join(lifecycle.ACTIONS)}."]})
    _check_actor(dossier, actor, action)
    # The history is read before anything changes: appending to it below then needs no
    # query, and so no autoflush that would write the dossier's row twice (status, then
    # version).
    dossier.events  # noqa: B018
    if dossier.procedure.members and action.name != "submit":
        raise TransitionNotAllowed(
            "A bundle is handled through its linked dossiers; act on each of them.",
            extra={"current_status": dossier.status, "allowed_actions": []})
    if dossier.status not in action.sources:
        raise TransitionNotAllowed(
            "This step is not possible in the dossier's current status.",
            extra={"current_status": dossier.status,
                   "allowed_actions": lifecycle.allowed_actions(dossier.status, action.actor, actor.role)},
        )
    if action.note_required and not (note or "").strip():
        raise ValidationFailed("A note is required for this action.",
                               errors={"note": [message("required", lang)]})
    if action.actor == lifecycle.OFFICIAL:
        reason = handoffs.refusal(dossier, actor, action.name, today)
        if reason is not None:
            raise TransitionNotAllowed(handoffs.REFUSALS[reason], extra={
                "current_status": dossier.status, "reason": reason})
    if fees.blocking_reason(dossier, action.name):
        raise TransitionNotAllowed(
            "The fee is not paid yet: this step has to wait.",
            extra={"current_status": dossier.status, "fee_status": dossier.fee_status,
                   "reason": "fee_unpaid"})
    data: dict[str, Any] = {}
    competent = dossier.agency_code
    off = holidays(session)
    before = dossier.status

    if action.name == "submit" and dossier.bundle_id is not None:
        # A bundle's member was checked and routed with its bundle, and is free with it
        # (services/bundles.py).
        dossier.submitted_at = moment
        data = {"bundle_id": str(dossier.bundle_id)}
    elif action.name == "submit":
        check_complete(session, dossier, lang, today)
        form = form_version(session, dossier.procedure_code, dossier.form_version).form
        dossier.agency_code = directory.route(session, dossier.procedure, form, dossier.fields,
                                              lang)
        dossier.submitted_at = moment
        quote = fees.apply_quote(dossier, dossier.procedure.fees or {}, today)
        data = {"fee": quote} if quote["amount"] else {}
    elif action.name == "accept":
        dossier.receipt_code = next_receipt_code(session, dossier.agency_code, today)
        dossier.accepted_at = moment
        dossier.appointment_date = add_working_days(today, dossier.procedure.processing_days, off)
        data = {"receipt_code": dossier.receipt_code,
                "appointment_date": dossier.appointment_date.isoformat()}
    elif action.name == "request_supplement":
        data = _supplement_request(session, dossier, fields or [], documents or [], note, lang)
        dossier.supplement_request = data
        dossier.paused_on = today
    elif action.name == "supplement":
        data = _apply_supplement(session, dossier, values or {}, lang, today, moment)
        # The answers may name another address: the agency competent for it now (checked
        # before anything is kept; a ward no agency serves refuses the supplement). A form
        # version that codes no address keeps the agency it has (a bundle's member was
        # routed by the bundle's coded fields, not its own).
        form = form_version(session, dossier.procedure_code, dossier.form_version).form
        if directory.routing_address(dossier.procedure, form, dossier.fields) is not None:
            competent = directory.route(session, dossier.procedure, form, dossier.fields, lang)
        if dossier.paused_on is not None and dossier.appointment_date is not None:
            paused = working_days_between(dossier.paused_on, today, off)
            dossier.appointment_date = add_working_days(dossier.appointment_date, paused, off)
            data["paused_working_days"] = paused
            data["appointment_date"] = dossier.appointment_date.isoformat()
        dossier.paused_on = None
        dossier.supplement_request = None
    elif action.name == "complete" and (result or dossier.draft_result) is not None:
        # The result given now, else the specialist's draft the leader approves; the signed
        # result document prints it.
        dossier.result = _result(result or handoffs.draft_as_result(dossier), lang)
        data = {"result": dossier.result}
    elif action.name == "propose":
        result = _result(result, lang)
    elif action.name == "return_result":
        dossier.result = _result(result, lang)
        data = {"result": dossier.result}
    elif action.name == "rate":
        if dossier.rating is not None:
            raise TransitionNotAllowed("This dossier was already rated.",
                                       extra={"current_status": dossier.status})
        if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
            raise ValidationFailed("Rating must be 1 to 5.", errors={"rating": ["1..5"]})
        dossier.rating, dossier.rating_comment = rating, (note or None)
        data = {"rating": rating}

    if action.target is not None:
        dossier.status = action.target
    if dossier.status in lifecycle.FINISHED and dossier.finished_on is None:
        dossier.finished_at, dossier.finished_on = moment, today
    if action.name == "resume":
        dossier.finished_at = dossier.finished_on = None
    if action.actor == lifecycle.OFFICIAL:
        data.update(handoffs.apply(session, dossier, actor, action.name, today=today, lang=lang,
                                   assignee_id=assignee_id, result=result, new_date=new_date))
    if dossier.status != lifecycle.DRAFT:
        dossier.search_text = desk_search.search_text(session, dossier, today)
    event = DossierEvent(dossier_id=dossier.id, at=moment, actor_id=actor.id,
                         actor_kind=action.actor, action=action.name, from_status=before,
                         to_status=dossier.status, note=note, data=data)
    dossier.events.append(event)
    for listener in listeners_before_feed:
        listener(session, dossier, event)
    bump(session, dossier, moment)
    if action.actor == lifecycle.OFFICIAL and (dossier.status != before or action.name == "apologise"):
        # A hand-off inside the agency is not news for the citizen; an apology is.
        notify_status(session, dossier, dossier.owner,
                      "apology" if action.name == "apologise" else None)
    if action.name == "supplement" and competent != dossier.agency_code:
        _transfer(session, dossier, competent, moment)
    for listener in transition_listeners:
        listener(session, dossier, event)
    session.flush()
    return event


def _transfer(session: Session, dossier: Dossier, agency_code: str, moment: datetime) -> None:
    """Hand the dossier to the agency now competent for it (docs/catalog.md, Transfer): a
    `transfer` step in its history (the citizen's, and both agencies' audit logs), the inbox
    told, nobody of the old agency holding it. The receipt code and the appointment date
    stay: the citizen does not wait again for the administration's move."""
    before, after = dossier.agency, session.get(Agency, agency_code)
    dossier.agency, dossier.agency_code = after, agency_code
    dossier.assignee = None
    dossier.draft_result = None
    data = {"from_agency": before.code, "from_agency_name": before.name,
            "to_agency": after.code, "to_agency_name": after.name}
    dossier.events.append(DossierEvent(
        dossier_id=dossier.id, at=moment, actor_id=None, actor_kind="system", action="transfer",
        from_status=dossier.status, to_status=dossier.status, data=data))
    dossier.search_text = desk_search.search_text(session, dossier, clock.local_date(moment))
    bump(session, dossier, moment)
    notify_status(session, dossier, dossier.owner, "transferred",
                  {"agency": after.name})


def _check_actor(dossier: Dossier, actor: User, action: lifecycle.Action) -> None:
    if action.actor == lifecycle.CITIZEN:
        if actor.is_official or dossier.owner_id != actor.id:
            raise Forbidden("Only the citizen who owns the dossier can do this.")
        return
    if not actor.is_official or actor.agency_code != dossier.agency_code:
        raise Forbidden("Only an official of the handling agency can do this.")
    if actor.role not in action.roles:
        raise Forbidden("Your role cannot take this step.",
                        extra={"role": actor.role, "action": action.name,
                               "allowed_roles": sorted(action.roles)})


def _supplement_request(session: Session, dossier: Dossier, fields: list[str],
                        documents: list[str], note: str | None, lang: str) -> dict[str, Any]:
    form = form_version(session, dossier.procedure_code, dossier.form_version).form
    known_fields = forms.field_map(form)
    known_docs = {d["code"] for d in form.get("documents", [])}
    errors: dict[str, list[str]] = {}
    bad_f = [f for f in fields if f not in known_fields]
    bad_d = [d for d in documents if d not in known_docs]
    if bad_f:
        errors["fields"] = [f"{message('unknown_field', lang)} {', '.join(bad_f)}"]
    if bad_d:
        errors["documents"] = [f"{message('unknown_field', lang)} {', '.join(bad_d)}"]
    if not fields and not documents:
        errors["fields"] = [message("required", lang)]
    if errors:
        raise ValidationFailed("The supplement request must name the items to fix.",
                               errors=errors)
    return {"fields": list(dict.fromkeys(fields)), "documents": list(dict.fromkeys(documents)),
            "note": note}


def _apply_supplement(session: Session, dossier: Dossier, values: dict[str, Any], lang: str,
                      today: date, moment: datetime) -> dict[str, Any]:
    request = dossier.supplement_request or {}
    allowed = set(request.get("fields", []))
    outside = [k for k in values if k not in allowed]
    if outside:
        raise ValidationFailed("Only the requested fields can be changed.",
                               errors={k: [message("unknown_field", lang)] for k in outside})
    # What the citizen changed, for the official's what-changed view (the event's data).
    before = {k: dossier.fields.get(k) for k in values}
    dossier.fields = {**dossier.fields, **values}
    stamp = moment.isoformat()
    dossier.field_stamps = {**dossier.field_stamps, **{k: stamp for k in values}}
    check_complete(session, dossier, lang, today)
    return {"fields": sorted(values), "request": request, "before": before}


def _result(result: dict[str, Any] | None, lang: str) -> dict[str, Any]:
    result = dict(result or {})
    method = result.get("method", "electronic")
    if method not in ("desk", "post", "electronic"):
        raise ValidationFailed("Unknown delivery method.",
                               errors={"result.method": ["desk, post or electronic"]})
    if not str(result.get("number") or "").strip():
        raise ValidationFailed("The result needs the number of the issued document.",
                               errors={"result.number": [message("required", lang)]})
    result["method"] = method
    result.setdefault("issued_on", clock.today().isoformat())
    return result
