"""The service-quality index for an agency's leaders (docs/quality.md)."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from api.quality.schemas import JSON_OK, AnswerIn, IndexQuery, PeriodQuery, RatingsQuery, TrendQuery
from api.security import BEARER, official_required
from api.transactions import commits
from app.extensions import db
from app.services import clock, funnel, quality_index, satisfaction

blp = Blueprint("quality", __name__, url_prefix="/api/v1/quality",
                description="Service quality: the Decision 766 index")


def _private(resp: Response) -> Response:
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def _index(query: dict[str, Any]) -> dict[str, Any]:
    quality_index.require_leader(current_user)
    start, end = quality_index.check_period(query["since"], query["until"], clock.today())
    return quality_index.agency_report(db.session, current_user.agency_code, start, end,
                                       query["procedure"])


@blp.get("/index")
@blp.arguments(IndexQuery, location="query")
@blp.doc(security=BEARER, responses=JSON_OK)
@official_required
def index(query: dict[str, Any]) -> Response:
    """My agency's index for a period (or one procedure's), each indicator with its points,
    formula and source; not measured where Hoso cannot know."""
    return _private(current_app.json.response(_index(query)))


@blp.get("/index.csv")
@blp.arguments(IndexQuery, location="query")
@blp.response(200, content_type="text/csv", description="The index, one line per indicator")
@blp.doc(security=BEARER)
@official_required
def index_csv(query: dict[str, Any]) -> Response:
    report = _index(query)
    name = f"chi-so-766-{report['agency']['code']}-{report['period']['from']}-{report['period']['to']}.csv"
    return _private(Response(quality_index.report_csv(report), mimetype="text/csv",
                             headers={"Content-Disposition": f'attachment; filename="{name}"'}))


@blp.get("/trend")
@blp.arguments(TrendQuery, location="query")
@blp.doc(security=BEARER, responses=JSON_OK)
@official_required
def trend(query: dict[str, Any]) -> Response:
    """My agency's points month by month (the last `months`, 12 by default)."""
    quality_index.require_leader(current_user)
    return _private(current_app.json.response({"months": quality_index.trend(
        db.session, current_user.agency_code, clock.today(), query["months"])}))


@blp.get("/agencies")
@blp.arguments(PeriodQuery, location="query")
@blp.doc(security=BEARER, responses=JSON_OK)
@official_required
def agencies(query: dict[str, Any]) -> Response:
    """Every agency's index for the period, best first (the province's ranking)."""
    quality_index.require_leader(current_user)
    start, end = quality_index.check_period(query["since"], query["until"], clock.today())
    return _private(current_app.json.response(quality_index.all_agencies(db.session, start, end)))


@blp.get("/funnel")
@blp.arguments(PeriodQuery, location="query")
@blp.doc(security=BEARER, responses=JSON_OK)
@official_required
def funnel_report(query: dict[str, Any]) -> Response:
    """Per procedure of my agency: opened → started → submitted → accepted → returned, the
    fields that stop people, time to fill; failures by network condition."""
    quality_index.require_leader(current_user)
    start, end = quality_index.check_period(query["since"], query["until"], clock.today())
    return _private(current_app.json.response(
        funnel.report(db.session, current_user.agency_code, start, end)))


@blp.get("/ratings")
@blp.arguments(RatingsQuery, location="query")
@blp.doc(security=BEARER, responses=JSON_OK)
@official_required
def ratings(query: dict[str, Any]) -> Response:
    """My agency's ratings, newest first, with their criteria, reasons, comment and answer."""
    found = satisfaction.list_for_agency(db.session, current_user, query, page=query["page"],
                                         per_page=query["per_page"])
    return _private(current_app.json.response(found))


@blp.post("/ratings/<dossier_id>/answer")
@blp.arguments(AnswerIn)
@blp.doc(security=BEARER, responses=JSON_OK)
@official_required
@commits
def answer(body: dict[str, Any], dossier_id: str) -> Response:
    """Answer a citizen's rating (once); the citizen is told in the inbox."""
    return _private(current_app.json.response(
        satisfaction.answer(db.session, current_user, dossier_id, body["answer"])))
