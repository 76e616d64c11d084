"""A citizen's own dossiers with their status history (changes go through sync)."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from api.dossiers.schemas import DossierListQuery, DossierOut, DossierPageOut
from api.security import BEARER, citizen_required
from app.extensions import db
from app.services.dossiers import get_owned, list_owned
from app.services.representations import dossier_dict

blp = Blueprint("dossiers", __name__, url_prefix="/api/v1/dossiers",
                description="A citizen's dossiers")


@blp.get("")
@blp.arguments(DossierListQuery, location="query")
@blp.response(200, DossierPageOut)
@blp.doc(security=BEARER)
@citizen_required
def list_dossiers(query: dict[str, Any]) -> dict[str, Any]:
    """My dossiers, newest change first."""
    found = list_owned(db.session, current_user, status=query.get("status"), page=query["page"],
                       per_page=query["per_page"])
    found["items"] = [dossier_dict(d, history=False) for d in found["items"]]
    return found


@blp.get("/<dossier_id>")
@blp.response(200, DossierOut)
@blp.doc(security=BEARER)
@citizen_required
def get_dossier(dossier_id: str) -> dict[str, Any]:
    """One of my dossiers with its status history."""
    return dossier_dict(get_owned(db.session, current_user, dossier_id))


@blp.get("/<dossier_id>/slips/<kind>/pdf")
@blp.response(200, content_type="application/pdf", description="A slip as a PDF")
@blp.doc(security=BEARER)
@citizen_required
def get_slip_pdf(dossier_id: str, kind: str) -> Response:
    """A slip the office made for my dossier (receipt with the appointment date, supplement
    request, refusal, apology with a new date), signed by the agency when it has a key."""
    from api.office import slip_response

    return slip_response(get_owned(db.session, current_user, dossier_id), kind)
