"""The back office: an official works the dossiers of their own agency."""

from __future__ import annotations

from typing import Any

from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from api.dossiers.schemas import DossierOut, DossierPageOut
from api.office.schemas import OfficeListQuery, TransitionIn
from api.security import BEARER, official_required, request_language
from api.transactions import commits
from app.errors import Conflict
from app.extensions import db
from app.services import clock, device_signatures, lifecycle, signed_documents
from app.services.dossiers import get_for_official, list_for_agency, transition
from app.services.representations import dossier_dict
from app.services.signed_documents import decode_base64

blp = Blueprint("office", __name__, url_prefix="/api/v1/office", description="Back office")


@blp.get("/dossiers")
@blp.arguments(OfficeListQuery, location="query")
@blp.response(200, DossierPageOut)
@blp.doc(security=BEARER)
@official_required
def list_dossiers(query: dict[str, Any]) -> dict[str, Any]:
    """Dossiers of my agency, oldest submission first, with filters."""
    today = clock.today()
    found = list_for_agency(db.session, current_user, query, page=query["page"],
                            per_page=query["per_page"], today=today)
    found["items"] = [dossier_dict(d, history=False, for_official=True, today=today)
                      for d in found["items"]]
    return found


@blp.get("/dossiers/<dossier_id>")
@blp.response(200, DossierOut)
@blp.doc(security=BEARER)
@official_required
def get_dossier(dossier_id: str) -> dict[str, Any]:
    dossier = get_for_official(db.session, current_user, dossier_id)
    data = dossier_dict(dossier, for_official=True)
    data["allowed_actions"] = lifecycle.allowed_actions(dossier.status, lifecycle.OFFICIAL, current_user.role)
    # Signed on the citizen's phone (which device) or not: the desk shows it.
    data["submission_signature"] = device_signatures.signature_dict(db.session, dossier.id)
    return data


@blp.post("/dossiers/<dossier_id>/transitions")
@blp.arguments(TransitionIn)
@blp.response(200, DossierOut)
@blp.doc(security=BEARER)
@official_required
@commits
def post_transition(body: dict[str, Any], dossier_id: str) -> dict[str, Any]:
    """Accept, refuse, request a supplement, decide, return the result…"""
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
               lang=request_language())
    data = dossier_dict(dossier, for_official=True)
    data["allowed_actions"] = lifecycle.allowed_actions(dossier.status, lifecycle.OFFICIAL, current_user.role)
    return data
