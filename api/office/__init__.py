"""The back office: an official works the dossiers of their own agency."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from flask_jwt_extended import current_user
from flask_smorest import Blueprint
from sqlalchemy import and_, func, or_, select

from api.dossiers.schemas import DossierOut, DossierPageOut
from api.office.schemas import OfficeListQuery, TransitionIn
from api.security import BEARER, official_required, request_language
from app.errors import Conflict
from app.extensions import db
from app.models.dossiers import Dossier
from app.services import clock, device_signatures, lifecycle
from app.services.dossiers import get_for_official, transition
from app.services.representations import dossier_dict

blp = Blueprint("office", __name__, url_prefix="/api/v1/office", description="Back office")


def _start_of(day: Any) -> datetime:
    return datetime.combine(day, time.min, tzinfo=clock.TZ)


def overdue_clause(today: Any) -> Any:
    """SQL twin of services.dossiers.is_overdue."""
    due = Dossier.appointment_date
    return and_(due.is_not(None), or_(
        and_(Dossier.finished_on.is_not(None), Dossier.finished_on > due),
        and_(Dossier.finished_on.is_(None), Dossier.paused_on.is_not(None),
             Dossier.paused_on > due),
        and_(Dossier.finished_on.is_(None), Dossier.paused_on.is_(None), due < today),
    ))


@blp.get("/dossiers")
@blp.arguments(OfficeListQuery, location="query")
@blp.response(200, DossierPageOut)
@blp.doc(security=BEARER)
@official_required
def list_dossiers(query: dict[str, Any]) -> dict[str, Any]:
    """Dossiers of my agency, oldest submission first, with filters."""
    today = clock.today()
    stmt = select(Dossier).where(Dossier.agency_code == current_user.agency_code,
                                 Dossier.status != lifecycle.DRAFT)
    if query.get("status"):
        stmt = stmt.where(Dossier.status == query["status"])
    if query.get("procedure"):
        stmt = stmt.where(Dossier.procedure_code == query["procedure"])
    if query.get("receipt_code"):
        stmt = stmt.where(Dossier.receipt_code == query["receipt_code"].strip().upper())
    if query.get("submitted_from"):
        stmt = stmt.where(Dossier.submitted_at >= _start_of(query["submitted_from"]))
    if query.get("submitted_to"):
        end = _start_of(query["submitted_to"]).replace(hour=23, minute=59, second=59)
        stmt = stmt.where(Dossier.submitted_at <= end)
    if query.get("overdue") is not None:
        clause = overdue_clause(today)
        stmt = stmt.where(clause if query["overdue"] else ~clause)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    page, per_page = query["page"], query["per_page"]
    rows = db.session.scalars(stmt.order_by(Dossier.submitted_at, Dossier.id)
                              .limit(per_page).offset((page - 1) * per_page))
    return {"items": [dossier_dict(d, history=False, for_official=True, today=today)
                      for d in rows],
            "page": page, "per_page": per_page, "total": total}


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
def post_transition(body: dict[str, Any], dossier_id: str) -> dict[str, Any]:
    """Accept, refuse, request a supplement, decide, return the result…"""
    dossier = get_for_official(db.session, current_user, dossier_id, lock=True)
    if body.get("expected_version") is not None and body["expected_version"] != dossier.version:
        raise Conflict("The dossier changed since you opened it; reload it.",
                       extra={"version": dossier.version, "current_status": dossier.status})
    result = body.get("result")
    if result is not None:
        result = {**result, "issued_on": (result.get("issued_on") or clock.today()).isoformat()}
    transition(db.session, dossier, current_user, body["action"], note=body.get("note"),
               fields=body.get("fields_"), documents=body.get("documents"), result=result,
               lang=request_language())
    db.session.commit()
    data = dossier_dict(dossier, for_official=True)
    data["allowed_actions"] = lifecycle.allowed_actions(dossier.status, lifecycle.OFFICIAL, current_user.role)
    return data
