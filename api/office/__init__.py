"""The back office: an official works the dossiers of their own agency."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Response
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from api.office.schemas import (
    AuditPageOut,
    AuditQuery,
    BulkAcceptIn,
    BulkOut,
    OfficeDossierOut,
    OfficeListQuery,
    OfficePageOut,
    OfficialsOut,
    SlipOut,
    SummaryOut,
    TransitionIn,
    WorkloadOut,
    WorkloadQuery,
)
from api.security import BEARER, official_required, request_language
from api.transactions import commits
from app.errors import Conflict
from app.extensions import db
from app.models.dossiers import Dossier
from app.services import (
    bundles,
    clock,
    desk,
    desk_reports,
    desk_slips,
    device_signatures,
    handoffs,
    signed_documents,
    workdays,
)
from app.services.dossiers import get_for_official, transition
from app.services.representations import dossier_dict, sibling_dict
from app.services.signed_documents import decode_base64

blp = Blueprint("office", __name__, url_prefix="/api/v1/office", description="Back office")


def office_dict(dossier: Dossier, *, history: bool = True) -> dict[str, Any]:
    """A dossier as the desk shows it: the citizen's visible answers, who holds it, its
    deadline, the history with names, and the steps this official may take now."""
    today = clock.today()
    data = dossier_dict(dossier, history=history, for_official=True, today=today)
    data.update(desk.desk_fields(dossier, today, workdays.holidays(db.session)))
    if history:
        data["history"] = desk.name_history(db.session, data["history"])
        data["allowed_actions"] = handoffs.allowed(dossier, current_user, today)
    return data


@blp.get("/dossiers")
@blp.arguments(OfficeListQuery, location="query")
@blp.response(200, OfficePageOut)
@blp.doc(security=BEARER)
@official_required
def list_dossiers(query: dict[str, Any]) -> dict[str, Any]:
    """Dossiers of my agency in one view (docs/desk.md), searched, sorted, a page at a time."""
    found = desk.list_for_agency(db.session, current_user, query, page=query["page"],
                                 per_page=query["per_page"], today=clock.today())
    found["items"] = [office_dict(d, history=False) for d in found["items"]]
    return found


@blp.get("/summary")
@blp.response(200, SummaryOut)
@blp.doc(security=BEARER)
@official_required
def summary() -> dict[str, Any]:
    """How many dossiers each view holds, and the agency's latest change (the desk polls it)."""
    return desk.summary(db.session, current_user, clock.today())


@blp.get("/officials")
@blp.response(200, OfficialsOut)
@blp.doc(security=BEARER)
@official_required
def officials() -> dict[str, Any]:
    return {"items": desk.officials(db.session, current_user.agency_code)}


@blp.get("/dossiers/<dossier_id>")
@blp.response(200, OfficeDossierOut)
@blp.doc(security=BEARER)
@official_required
def get_dossier(dossier_id: str) -> dict[str, Any]:
    dossier = get_for_official(db.session, current_user, dossier_id)
    data = office_dict(dossier)
    # Signed on the citizen's phone (which device) or not: the desk shows it.
    data["submission_signature"] = device_signatures.signature_dict(db.session, dossier.id)
    # A bundle's member: the dossiers filed with it, each at its own agency (read-only).
    data["linked"] = [sibling_dict(m) for m in bundles.siblings_of(db.session, dossier)]
    return data


@blp.post("/dossiers/<dossier_id>/transitions")
@blp.arguments(TransitionIn)
@blp.response(200, OfficeDossierOut)
@blp.doc(security=BEARER)
@official_required
@commits
def post_transition(body: dict[str, Any], dossier_id: str) -> dict[str, Any]:
    """Accept, refuse, assign, request a supplement, propose, decide, return the result…"""
    dossier = get_for_official(db.session, current_user, dossier_id, lock=True)
    if body.get("expected_version") is not None and body["expected_version"] != dossier.version:
        raise Conflict("The dossier changed since you opened it; reload it.",
                       extra={"version": dossier.version, "current_status": dossier.status})
    result = body.get("result")
    if result is not None:
        result = {**result, "issued_on": (result.get("issued_on") or clock.today()).isoformat()}
        scan = result.pop("scan", None)
        if scan and body["action"] == "complete":
            signed_documents.attach_scan(db.session, dossier.id, decode_base64(scan))
    transition(db.session, dossier, current_user, body["action"], note=body.get("note"),
               fields=body.get("fields_"), documents=body.get("documents"), result=result,
               assignee_id=body.get("assignee_id"), new_date=body.get("new_date"),
               lang=request_language())
    return office_dict(dossier)


@blp.get("/dossiers/<dossier_id>/slips/<kind>")
@blp.response(200, SlipOut)
@blp.doc(security=BEARER)
@official_required
def get_slip(dossier_id: str, kind: str) -> dict[str, Any]:
    """A slip's content (receipt, supplement, refusal, apology), for the desk's print layout."""
    dossier = get_for_official(db.session, current_user, dossier_id)
    return desk_slips.slip(db.session, dossier, kind)


@blp.get("/dossiers/<dossier_id>/slips/<kind>/pdf")
@blp.response(200, content_type="application/pdf", description="The slip as a PDF")
@blp.doc(security=BEARER)
@official_required
def get_slip_pdf(dossier_id: str, kind: str) -> Response:
    dossier = get_for_official(db.session, current_user, dossier_id)
    return slip_response(dossier, kind)


def slip_response(dossier: Dossier, kind: str) -> Response:
    data = desk_slips.pdf(db.session, dossier, kind, signed_documents.settings().keys)
    name = f"{kind}-{dossier.receipt_code or str(dossier.id)[:8]}.pdf"
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


@blp.post("/dossiers/accept")
@blp.arguments(BulkAcceptIn)
@blp.response(200, BulkOut)
@blp.doc(security=BEARER)
@official_required
@commits
def bulk_accept(body: dict[str, Any]) -> dict[str, Any]:
    """Accept several complete submissions at once; each is reported on its own."""
    return {"items": desk.bulk_accept(db.session, current_user, body["ids"], request_language())}


@blp.get("/audit")
@blp.arguments(AuditQuery, location="query")
@blp.response(200, AuditPageOut)
@blp.doc(security=BEARER)
@official_required
def audit(query: dict[str, Any]) -> dict[str, Any]:
    """Every step on my agency's dossiers and who took it, newest first (for inspectors)."""
    return desk_reports.audit(db.session, current_user, query, page=query["page"],
                              per_page=query["per_page"])


@blp.get("/audit.csv")
@blp.arguments(AuditQuery, location="query")
@blp.response(200, content_type="text/csv", description="The same steps as CSV, oldest first")
@blp.doc(security=BEARER)
@official_required
def audit_csv(query: dict[str, Any]) -> Response:
    return Response(desk_reports.audit_csv(db.session, current_user, query), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="nhat-ky-xu-ly.csv"'})


@blp.get("/workload")
@blp.arguments(WorkloadQuery, location="query")
@blp.response(200, WorkloadOut)
@blp.doc(security=BEARER)
@official_required
def workload(query: dict[str, Any]) -> dict[str, Any]:
    """Per official: dossiers held now (late ones too), steps and dossiers finished since."""
    today = clock.today()
    return desk_reports.workload(db.session, current_user, today,
                                 query.get("since") or today - timedelta(days=30))
