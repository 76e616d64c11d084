"""The desk's lists (docs/desk.md): views, search, sort and paging over an agency's dossiers,
the counts behind the view tabs, and each dossier's deadline as the desk shows it.

Views: `waiting` (everything the desk still has to do, the default), `new_today`,
`to_accept` (submitted, waiting for reception), `due_today`, `due_soon` (the next two
working days), `overdue` (open and past the appointment), `mine` (I hold it), `approval`
(a draft result waits for a leader), `finished` (refused, withdrawn, stopped, returned).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import and_, func, select, true
from sqlalchemy.orm import Session, selectinload

from app.models.accounts import User
from app.models.dossiers import Dossier
from app.services import clock, lifecycle
from app.services.desk_search import terms
from app.services.dossiers import not_a_bundle, overdue_clause
from app.services.pagination import page_of
from app.services.workdays import add_working_days, holidays, working_days_between

VIEWS = ("waiting", "new_today", "to_accept", "due_today", "due_soon", "overdue", "mine",
         "approval", "finished", "all")
SORTS = {
    "submitted": (Dossier.submitted_at,), "-submitted": (Dossier.submitted_at.desc(),),
    "due": (Dossier.appointment_date.is_(None), Dossier.appointment_date, Dossier.submitted_at),
    "-due": (Dossier.appointment_date.desc(),), "receipt": (Dossier.receipt_code,),
    "updated": (Dossier.updated_at.desc(),),
}
# The next two working days count as "due soon".
SOON_DAYS = 2
# The rule this desk keeps (docs/desk.md): a new submission is accepted or refused by the end
# of the working day after it arrives.
ACCEPT_WITHIN_DAYS = 1


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=clock.TZ)


def _due() -> Any:
    return func.coalesce(Dossier.new_appointment_date, Dossier.appointment_date)


def view_clause(view: str, official: User, today: date, soon: date) -> Any:
    """The SQL of one view (only that one is built: the desk's list asks for one)."""
    def open_() -> Any:
        return Dossier.status.not_in(lifecycle.CLOSED)

    def running() -> Any:
        return and_(Dossier.status.in_(lifecycle.HELD - {lifecycle.SUBMITTED,
                                                          lifecycle.RESULT_READY}),
                    Dossier.paused_on.is_(None))

    views: dict[str, Callable[[], Any]] = {
        "waiting": open_,
        "new_today": lambda: Dossier.submitted_at >= _start_of(today),
        "to_accept": lambda: Dossier.status == lifecycle.SUBMITTED,
        "due_today": lambda: and_(running(), _due() == today),
        "due_soon": lambda: and_(running(), _due() > today, _due() <= soon),
        "overdue": lambda: and_(open_(), Dossier.status != lifecycle.SUBMITTED,
                                overdue_clause(today)),
        "mine": lambda: and_(open_(), Dossier.assignee_id == official.id),
        "approval": lambda: and_(Dossier.status == lifecycle.IN_PROGRESS,
                                 Dossier.awaiting_approval),
        "finished": lambda: Dossier.status.in_(lifecycle.CLOSED),
        "all": true,
    }
    return views[view]()


def _filtered(session: Session, official: User, filters: dict[str, Any], today: date) -> Any:
    stmt = select(Dossier).where(Dossier.agency_code == official.agency_code,
                                 Dossier.status != lifecycle.DRAFT, not_a_bundle())
    if filters.get("status"):
        stmt = stmt.where(Dossier.status == filters["status"])
    if filters.get("procedure"):
        stmt = stmt.where(Dossier.procedure_code == filters["procedure"])
    if filters.get("receipt_code"):
        stmt = stmt.where(Dossier.receipt_code.contains(filters["receipt_code"].strip().upper(),
                                                        autoescape=True))
    for word in terms(filters.get("q") or ""):
        stmt = stmt.where(Dossier.search_text.contains(word, autoescape=True))
    if filters.get("submitted_from"):
        stmt = stmt.where(Dossier.submitted_at >= _start_of(filters["submitted_from"]))
    if filters.get("submitted_to"):
        end = _start_of(filters["submitted_to"]).replace(hour=23, minute=59, second=59)
        stmt = stmt.where(Dossier.submitted_at <= end)
    if filters.get("fee_status"):
        stmt = stmt.where(Dossier.fee_status == filters["fee_status"])
    if filters.get("overdue") is not None:
        clause = overdue_clause(today)
        stmt = stmt.where(clause if filters["overdue"] else ~clause)
    if filters.get("assignee_id"):
        stmt = stmt.where(Dossier.assignee_id == filters["assignee_id"])
    return stmt


def list_for_agency(session: Session, official: User, filters: dict[str, Any], *, page: int,
                    per_page: int, today: date) -> dict[str, Any]:
    """A page of the agency's dossiers (drafts never) in one view, with filters, search and
    a sort; the page says the total it comes from."""
    soon = add_working_days(today, SOON_DAYS, holidays(session))
    view = filters.get("view") or "all"
    stmt = _filtered(session, official, filters, today).where(
        view_clause(view, official, today, soon)).options(
        selectinload(Dossier.owner), selectinload(Dossier.assignee))  # one query each per page
    order = SORTS.get(filters.get("sort") or "") or (
        SORTS["due"] if view in ("due_today", "due_soon", "overdue") else SORTS["-submitted"])
    found = page_of(session, stmt, *order, Dossier.id, page=page, per_page=per_page)
    found["view"] = view
    return found


def summary(session: Session, official: User, today: date) -> dict[str, Any]:
    """How many dossiers each view holds, and the latest change in the agency: the desk polls
    this (one query) and reloads its list only when something changed."""
    soon = add_working_days(today, SOON_DAYS, holidays(session))
    counts = [func.count().filter(view_clause(v, official, today, soon)) for v in VIEWS[:-1]]
    row = session.execute(
        select(*counts, func.count(), func.max(Dossier.updated_at))
        .where(Dossier.agency_code == official.agency_code, Dossier.status != lifecycle.DRAFT,
               not_a_bundle())
    ).one()
    views = dict(zip(VIEWS, row[:-1], strict=True))
    return {"views": views, "latest": clock.iso(row[-1])}


def deadline(dossier: Dossier, today: date, off: frozenset[date]) -> dict[str, Any]:
    """What the desk says of the dossier's time: its state against the date last promised,
    working days late, and for a new submission the day it must be accepted by."""
    from app.services.dossiers import is_overdue
    from app.services.handoffs import due_date

    due = due_date(dossier)
    info: dict[str, Any] = {"due_date": clock.iso(due), "state": None, "days_late": 0,
                            "accept_by": None}
    if dossier.status == lifecycle.SUBMITTED and dossier.submitted_at is not None:
        accept_by = add_working_days(clock.local_date(dossier.submitted_at), ACCEPT_WITHIN_DAYS, off)
        info["accept_by"] = accept_by.isoformat()
        if accept_by < today:
            info["state"] = "accept_late"
        return info
    if dossier.appointment_date is None:
        return info
    if is_overdue(dossier, today):
        end = dossier.finished_on or dossier.paused_on or today
        info["state"] = "overdue"
        info["days_late"] = working_days_between(dossier.appointment_date, end, off)
    elif dossier.status in lifecycle.HELD and dossier.paused_on is None and due is not None:
        if due == today:
            info["state"] = "due_today"
        elif today < due <= add_working_days(today, SOON_DAYS, off):
            info["state"] = "due_soon"
    return info


def desk_fields(dossier: Dossier, today: date, off: frozenset[date]) -> dict[str, Any]:
    """What the desk adds to a dossier: who holds it, the draft waiting for the leader, the
    apology's new date and the deadline as `deadline()` tells it."""
    holder = dossier.assignee
    return {
        "assignee": None if holder is None else {"id": holder.id, "name": holder.full_name,
                                                 "role": holder.role},
        "awaiting_approval": bool(dossier.awaiting_approval),
        "draft_result": dossier.draft_result,
        "new_appointment_date": clock.iso(dossier.new_appointment_date),
        "deadline": deadline(dossier, today, off),
    }


def official_names(session: Session, ids: set[int]) -> dict[int, str]:
    """Who each official or citizen in a history is, by name."""
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.full_name).where(User.id.in_(ids))).all())


def name_history(session: Session, history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The history with each step's actor named (the citizen as "the applicant" stays named)."""
    names = official_names(session, {e["actor_id"] for e in history if e.get("actor_id")})
    return [{**e, "actor_name": names.get(e.get("actor_id"))} for e in history]


def officials(session: Session, agency_code: str) -> list[dict[str, Any]]:
    """The agency's officials, for the desk's "assign to" choice."""
    rows = session.scalars(select(User).where(User.kind == "official",
                                              User.agency_code == agency_code)
                           .order_by(User.role, User.full_name, User.id))
    return [{"id": u.id, "name": u.full_name, "role": u.role} for u in rows]


def bulk_accept(session: Session, official: User, ids: list[str], lang: str,
                moment: datetime | None = None) -> list[dict[str, Any]]:
    """Accept several submitted dossiers, each complete one on its own (a savepoint each):
    one that cannot be accepted is reported with its problem and leaves the others alone."""
    from app.errors import DomainError
    from app.services.dossiers import check_complete, get_for_official, transition
    from app.services.problem_texts import localise_problem

    results: list[dict[str, Any]] = []
    for dossier_id in dict.fromkeys(ids):
        try:
            with session.begin_nested():
                dossier = get_for_official(session, official, dossier_id, lock=True)
                if dossier.status == lifecycle.SUBMITTED:
                    check_complete(session, dossier, lang, clock.today())
                transition(session, dossier, official, "accept", lang=lang, moment=moment)
            results.append({"id": str(dossier.id), "ok": True,
                            "receipt_code": dossier.receipt_code, "problem": None})
        except DomainError as err:
            results.append({"id": str(dossier_id), "ok": False, "receipt_code": None,
                            "problem": localise_problem(err.to_problem(), lang)})
    return results
