"""Plain-dict views of domain objects: the API dumps them, pull sends them as `data`."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import object_session

from app.models.accounts import User
from app.models.catalog import FormVersion, Procedure
from app.models.dossiers import Dossier, DossierEvent
from app.models.notifications import Notification
from app.services import bundles, clock, directory, forms, lifecycle, links, notifications
from app.services.dossiers import find_form_version, is_overdue

# Hand-offs inside the agency (services/handoffs.py): the desk's history, not the citizen's.
INTERNAL_ACTIONS = frozenset({"assign", "propose", "send_back"})


def user_dict(user: User) -> dict[str, Any]:
    return {
        "id": user.id, "kind": user.kind, "full_name": user.full_name, "phone": user.phone,
        "email": user.email, "language": user.language, "agency_code": user.agency_code,
        "role": user.role,
        "agency": directory.agency_dict(user.agency) if user.agency is not None else None,
    }


def procedure_dict(proc: Procedure, *, brief: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": proc.code, "name": proc.name, "summary": proc.summary,
        "category": proc.category, "processing_days": proc.processing_days,
        "fees": proc.fees, "current_version": proc.current_version,
        "agency": {"code": proc.agency.code, "name": proc.agency.name,
                   "level": proc.agency.level},
        "competent": directory.competent_dict(proc),
        "members": [m["procedure"] for m in proc.members or []],
        "result": proc.result,
    }
    if proc.members and object_session(proc) is not None:
        # A bundle: who handles each member and in what time (the bundle's own are no one's).
        found = [object_session(proc).get(Procedure, m["procedure"]) for m in proc.members]
        data["member_terms"] = [
            {"procedure": m.code, "name": m.name, "processing_days": m.processing_days,
             "agency": directory.competent_dict(m)["label"]} for m in found if m is not None]
    if not brief:
        data["legal_basis"] = proc.legal_basis or []
        data["checked_on"] = clock.iso(proc.checked_on)
        data["versions"] = [
            {"version": v.version, "published_at": clock.iso(v.published_at),
             "accepted_until": clock.iso(v.accepted_until), "etag": v.etag}
            for v in proc.versions
        ]
    return data


def form_dict(fv: FormVersion) -> dict[str, Any]:
    # Only immutable parts: the body must match its strong ETag forever.
    return {"procedure_code": fv.procedure_code, "version": fv.version,
            "published_at": clock.iso(fv.published_at), "form": fv.form}


def event_dict(e: DossierEvent | Any, *, with_actor: bool = False) -> dict[str, Any]:
    data = {"at": clock.iso(e.at), "actor_kind": e.actor_kind, "action": e.action,
            "from_status": e.from_status, "to_status": e.to_status, "note": e.note,
            "data": e.data or {}}
    if with_actor:
        data["actor_id"] = e.actor_id
    return data


def dossier_dict(d: Dossier | Any, *, history: bool = True, for_official: bool = False,
                 today: date | None = None, procedure_name: str | None = None,
                 events: list[Any] | None = None) -> dict[str, Any]:
    """`d` is a Dossier, or a row with a dossier's columns (a bulk read) given with its
    `procedure_name` and `events` (rows with the event columns, in order)."""
    today = today or clock.today()
    data: dict[str, Any] = {
        "id": str(d.id), "procedure_code": d.procedure_code,
        "procedure_name": d.procedure.name if procedure_name is None else procedure_name,
        "agency_code": d.agency_code, "form_version": d.form_version, "status": d.status,
        "status_code": lifecycle.STATUS_CODES.get(d.status), "version": d.version,
        "fields": d.fields, "field_stamps": d.field_stamps, "documents": d.documents,
        "receipt_code": d.receipt_code, "submitted_at": clock.iso(d.submitted_at),
        "accepted_at": clock.iso(d.accepted_at), "appointment_date": clock.iso(d.appointment_date),
        "overdue": is_overdue(d, today), "paused": d.paused_on is not None,
        "finished_at": clock.iso(d.finished_at), "supplement_request": d.supplement_request,
        "result": d.result, "fee_amount": d.fee_amount, "fee_quote": d.fee_quote,
        "fee_status": d.fee_status or "none", "rating": d.rating,
        "rating_comment": d.rating_comment, "created_at": clock.iso(d.created_at),
        "updated_at": clock.iso(d.updated_at),
        "allowed_actions": lifecycle.allowed_actions(d.status, lifecycle.CITIZEN),
        "bundle_id": str(d.bundle_id) if d.bundle_id else None,
    }
    is_bundle = bool(d.procedure.members if isinstance(d, Dossier)
                     else getattr(d, "procedure_members", None))
    if is_bundle and d.status != lifecycle.DRAFT:
        data["allowed_actions"] = []  # the citizen acts on each linked dossier
    if is_bundle and isinstance(d, Dossier) and object_session(d) is not None:
        data["members"] = [member_dict(m, today) for m in bundles.members_of(object_session(d), d)]
    if for_official:
        data["fields"], data["field_stamps"] = official_fields(d, today)
        data["owner"] = {"id": d.owner.id, "full_name": d.owner.full_name,
                         "phone": d.owner.phone, "email": d.owner.email}
    if history:
        data["history"] = [event_dict(e, with_actor=for_official)
                           for e in (d.events if events is None else events)
                           if for_official or e.action not in INTERNAL_ACTIONS]
    return data


def _where(m: Dossier) -> dict[str, Any]:
    """A bundle's dossier seen from elsewhere: its procedure, agency and where it stands."""
    return {"procedure_code": m.procedure_code, "procedure_name": m.procedure.name,
            "agency_code": m.agency_code, "agency_name": m.agency.name if m.agency else None,
            "status": m.status, "status_code": lifecycle.STATUS_CODES.get(m.status),
            "receipt_code": m.receipt_code}


def sibling_dict(m: Dossier) -> dict[str, Any]:
    """What the desk of one member shows of another member of its bundle: where it is and,
    once its result is issued, the result's reference (the health-insurance desk needs the
    birth certificate's number); none of its answers or files."""
    issued = m.status in (lifecycle.RESULT_READY, lifecycle.RETURNED) and m.result
    return {**_where(m), "result": {"number": m.result.get("number"),
                                    "issued_on": m.result.get("issued_on")} if issued else None}


def member_dict(m: Dossier, today: date) -> dict[str, Any]:
    """What a bundle's dossier shows of one linked dossier: where it is and its result."""
    return {**_where(m), "id": str(m.id), "appointment_date": clock.iso(m.appointment_date),
            "overdue": is_overdue(m, today), "result": m.result}


def official_fields(d: Dossier, today: date) -> tuple[dict[str, Any], dict[str, Any]]:
    """What officials (and exports, results) see of a dossier's values: only the fields its
    answers show. A value left in a field that was later hidden (`child_ethnicity_other`
    after choosing Kinh, father details after unticking "father known") stays on the
    citizen's own copy, which may show it again, but never reaches the desk."""
    session = object_session(d)
    fv = find_form_version(session, d.procedure_code, d.form_version) if session else None
    values = d.fields or {}
    if fv is None:
        return values, d.field_stamps or {}
    shown = forms.visible_values(fv.form, values, today)
    return shown, {k: v for k, v in (d.field_stamps or {}).items() if k in shown}


def notification_dict(n: Notification) -> dict[str, Any]:
    """`texts` holds the title and body in both languages when they can be rendered again
    (the reader's language wins over the one at creation); `data.url` always comes from the
    route table, so rows stored with an older link open the right screen too."""
    data = {**(n.data or {}), "url": links.dossier(n.dossier_id)}
    params = data.get("params")
    texts = notifications.render(n.kind, params) if isinstance(params, dict) else {}
    return {"id": str(n.id), "dossier_id": str(n.dossier_id) if n.dossier_id else None,
            "kind": n.kind, "title": n.title, "body": n.body, "urgency": n.urgency,
            "texts": texts or {lang: {"title": n.title, "body": n.body} for lang in ("vi", "en")},
            "data": data, "created_at": clock.iso(n.created_at), "read_at": clock.iso(n.read_at)}
