"""Satisfaction: the citizen rates a returned dossier once (five levels, the provinces' nine
criteria, reasons, a comment); the agency reads the ratings and answers (docs/quality.md)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Conflict, NotFound, ValidationFailed
from app.models.accounts import User
from app.models.dossiers import Dossier
from app.models.quality import Rating
from app.services import clock
from app.services.ids import as_uuid
from app.services.notifications import TEXTS, notify_status
from app.services.pagination import page_of

LEVELS = (1, 2, 3, 4, 5)
# The criteria provinces rate agencies on (domain.md), in their order.
CRITERIA = ("total_time", "time_per_agency", "contacts", "agencies_contacted", "one_stop",
            "procedures_published", "staff_attitude", "feedback_handling", "online_quality")
REASONS = ("fast", "clear_guidance", "helpful_staff", "easy_online", "no_trips",
           "slow", "extra_papers", "unclear_guidance", "many_trips", "staff_attitude",
           "app_errors", "payment_problem", "other")
ANSWER_MAX_LENGTH = 2000

# The inbox line a citizen gets when the agency answers their rating.
TEXTS["rating_answer"] = (
    "normal",
    {"vi": "Cơ quan đã trả lời đánh giá của bạn", "en": "The agency answered your rating"},
    {"vi": "{name} ({receipt}): {answer}", "en": "{name} ({receipt}): {answer}"})


def details(criteria: Any, reasons: Any) -> tuple[dict[str, int], list[str]]:
    """The optional parts of a rating, checked: {criterion: level} and known reason codes."""
    errors: dict[str, list[str]] = {}
    criteria = {} if criteria is None else criteria
    reasons = [] if reasons is None else reasons
    if not isinstance(criteria, dict) or any(
            k not in CRITERIA or isinstance(v, bool) or v not in LEVELS for k, v in criteria.items()):
        errors["criteria"] = [f"An object of {', '.join(CRITERIA)}, each 1 to 5."]
    if (not isinstance(reasons, list) or len(reasons) > len(REASONS)
            or any(r not in REASONS for r in reasons)):
        errors["reasons"] = [f"A list of: {', '.join(REASONS)}."]
    if errors:
        raise ValidationFailed("The rating's criteria or reasons are not valid.", errors=errors)
    return dict(criteria), list(dict.fromkeys(reasons))


def record(session: Session, dossier: Dossier, criteria: dict[str, int], reasons: list[str],
           moment: datetime) -> Rating:
    """Keep the details of the rating the state machine just accepted (it refuses a second)."""
    rating = Rating(dossier_id=dossier.id, owner_id=dossier.owner_id,
                    agency_code=dossier.agency_code, procedure_code=dossier.procedure_code,
                    level=dossier.rating, criteria=criteria, reasons=reasons,
                    comment=dossier.rating_comment, rated_at=moment)
    session.add(rating)
    session.flush()
    return rating


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=clock.TZ)


def list_for_agency(session: Session, official: User, filters: dict[str, Any], *, page: int,
                    per_page: int) -> dict[str, Any]:
    """A page of the official's agency's ratings, newest first; `filters`: from, to (dates),
    level, answered, commented."""
    stmt = select(Rating).where(Rating.agency_code == official.agency_code)
    if filters.get("since"):
        stmt = stmt.where(Rating.rated_at >= _start(filters["since"]))
    if filters.get("until"):
        stmt = stmt.where(Rating.rated_at < _start(filters["until"] + timedelta(days=1)))
    if filters.get("level"):
        stmt = stmt.where(Rating.level == filters["level"])
    if filters.get("answered") is not None:
        stmt = stmt.where(Rating.answer.is_not(None) if filters["answered"] else Rating.answer.is_(None))
    if filters.get("commented"):
        stmt = stmt.where(Rating.comment.is_not(None), Rating.comment != "")
    found = page_of(session, stmt, Rating.rated_at.desc(), Rating.dossier_id, page=page,
                    per_page=per_page)
    codes = {d.id: d.receipt_code for d in session.scalars(
        select(Dossier).where(Dossier.id.in_([r.dossier_id for r in found["items"]])))}
    found["items"] = [rating_dict(r, codes.get(r.dossier_id)) for r in found["items"]]
    return found


def rating_dict(r: Rating, receipt_code: str | None) -> dict[str, Any]:
    return {"dossier_id": str(r.dossier_id), "receipt_code": receipt_code,
            "procedure_code": r.procedure_code, "level": r.level, "criteria": r.criteria,
            "reasons": r.reasons, "comment": r.comment, "rated_at": clock.iso(r.rated_at),
            "answer": r.answer, "answered_at": clock.iso(r.answered_at)}


def answer(session: Session, official: User, dossier_id: Any, text: str) -> dict[str, Any]:
    """The agency answers a rating once; the citizen gets it in the inbox (and by push)."""
    key = as_uuid(dossier_id)
    rating = session.scalars(select(Rating).where(Rating.dossier_id == key).with_for_update()
                             ).first() if key else None
    if rating is None or rating.agency_code != official.agency_code:
        raise NotFound("No such rating in your agency.")
    if rating.answer is not None:
        raise Conflict("This rating was already answered.")
    text = text.strip()
    if not text:
        raise ValidationFailed("An answer needs some text.", errors={"answer": ["required"]})
    rating.answer, rating.answered_at, rating.answered_by = text, clock.now(), official.id
    dossier = session.get(Dossier, rating.dossier_id)
    notify_status(session, dossier, dossier.owner, kind="rating_answer",
                  params={"answer": text})
    session.flush()
    return rating_dict(rating, dossier.receipt_code)


def criteria_summary(session: Session, agency_code: str, start: date, end: date,
                     procedure: str | None = None) -> dict[str, Any]:
    """Average level of each criterion over the period's ratings, and how often each reason
    was ticked (the period's ratings of one agency are few enough to read)."""
    stmt = select(Rating.criteria, Rating.reasons).where(
        Rating.agency_code == agency_code, Rating.rated_at >= _start(start),
        Rating.rated_at < _start(end + timedelta(days=1)))
    if procedure:
        stmt = stmt.where(Rating.procedure_code == procedure)
    sums = {c: [0, 0] for c in CRITERIA}
    reasons = dict.fromkeys(REASONS, 0)
    for criteria, ticked in session.execute(stmt):
        for key, level in (criteria or {}).items():
            if key in sums:
                sums[key][0] += level
                sums[key][1] += 1
        for reason in ticked or []:
            if reason in reasons:
                reasons[reason] += 1
    return {"criteria": {c: {"average": round(s / n, 2) if n else None, "count": n}
                         for c, (s, n) in sums.items()},
            "reasons": reasons}
