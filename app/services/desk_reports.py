"""Who did what at the desk (docs/desk.md): the audit log an inspector reads (every step on
the agency's dossiers, who took it, filterable, as CSV too) and the workload per official."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from app.models.accounts import User
from app.models.dossiers import Dossier, DossierEvent
from app.services import clock, lifecycle
from app.services.dossiers import not_a_bundle, overdue_clause

# The steps that end an official's part in a dossier, counted as "finished" in the workload.
FINISHING = ("refuse", "complete", "return_result", "stop")
CSV_LIMIT = 20_000


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=clock.TZ)


def _audit_query(official: User, filters: dict[str, Any]) -> Any:
    actor = aliased(User)
    stmt = (select(DossierEvent.id, DossierEvent.at, DossierEvent.action, DossierEvent.actor_kind,
                   DossierEvent.from_status, DossierEvent.to_status, DossierEvent.note,
                   DossierEvent.actor_id, actor.full_name.label("actor_name"),
                   actor.role.label("actor_role"), Dossier.id.label("dossier_id"),
                   Dossier.receipt_code, Dossier.procedure_code,
                   (Dossier.agency_code == official.agency_code).label("here"))
            .join(Dossier, Dossier.id == DossierEvent.dossier_id)
            .outerjoin(actor, actor.id == DossierEvent.actor_id)
            .where(or_(Dossier.agency_code == official.agency_code,
                       # A dossier since transferred to another agency (dossiers._transfer):
                       # the steps this agency's officials took on it, and the transfer.
                       actor.agency_code == official.agency_code,
                       and_(DossierEvent.action == "transfer",
                            DossierEvent.data["from_agency"].as_string() == official.agency_code)),
                   DossierEvent.action != "create", not_a_bundle()))
    if filters.get("day_from"):
        stmt = stmt.where(DossierEvent.at >= _start_of(filters["day_from"]))
    if filters.get("day_to"):
        stmt = stmt.where(DossierEvent.at < _start_of(filters["day_to"] + timedelta(days=1)))
    if filters.get("actor_id"):
        stmt = stmt.where(DossierEvent.actor_id == filters["actor_id"])
    if filters.get("action"):
        stmt = stmt.where(DossierEvent.action == filters["action"])
    if filters.get("receipt_code"):
        stmt = stmt.where(Dossier.receipt_code.contains(filters["receipt_code"].strip().upper(),
                                                        autoescape=True))
    return stmt


def _row(r: Any) -> dict[str, Any]:
    return {"id": r.id, "at": clock.iso(r.at), "action": r.action, "actor_kind": r.actor_kind,
            "actor_id": r.actor_id, "actor_name": r.actor_name, "actor_role": r.actor_role,
            "from_status": r.from_status, "to_status": r.to_status, "note": r.note,
            "dossier_id": str(r.dossier_id), "receipt_code": r.receipt_code,
            "procedure_code": r.procedure_code, "here": bool(r.here)}


def audit(session: Session, official: User, filters: dict[str, Any], *, page: int,
          per_page: int) -> dict[str, Any]:
    """A page of the agency's steps, newest first."""
    stmt = _audit_query(official, filters)
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.execute(stmt.order_by(DossierEvent.at.desc(), DossierEvent.id.desc())
                            .limit(per_page).offset((page - 1) * per_page))
    return {"items": [_row(r) for r in rows], "page": page, "per_page": per_page, "total": total}


CSV_HEADER = ("Thời điểm", "Cán bộ / người nộp", "Vai trò", "Thao tác", "Từ trạng thái",
              "Sang trạng thái", "Mã hồ sơ", "Thủ tục", "Ghi chú", "Mã nội bộ hồ sơ")


def audit_csv(session: Session, official: User, filters: dict[str, Any]) -> str:
    """The same steps as CSV (UTF-8 with BOM so a spreadsheet reads the accents), oldest first."""
    stmt = _audit_query(official, filters).order_by(DossierEvent.at, DossierEvent.id).limit(CSV_LIMIT)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for r in session.execute(stmt):
        local = r.at.astimezone(clock.TZ).strftime("%d/%m/%Y %H:%M")
        writer.writerow((local, r.actor_name or "", r.actor_role or r.actor_kind, r.action,
                         r.from_status or "", r.to_status, r.receipt_code or "",
                         r.procedure_code, (r.note or "").replace("\n", " "), str(r.dossier_id)))
    return out.getvalue()


def workload(session: Session, official: User, today: date, since: date) -> dict[str, Any]:
    """Per official of the agency: dossiers held now (and how many of them are late), steps
    taken since `since`, and dossiers they finished since then."""
    open_ = Dossier.status.not_in(lifecycle.CLOSED)
    held = dict(session.execute(
        select(Dossier.assignee_id, func.count())
        .where(Dossier.agency_code == official.agency_code, open_, Dossier.assignee_id.is_not(None))
        .group_by(Dossier.assignee_id)).all())
    late = dict(session.execute(
        select(Dossier.assignee_id, func.count())
        .where(Dossier.agency_code == official.agency_code, open_, Dossier.assignee_id.is_not(None),
               overdue_clause(today))
        .group_by(Dossier.assignee_id)).all())
    steps = {r[0]: (r[1], r[2]) for r in session.execute(
        select(DossierEvent.actor_id, func.count(),
               func.sum(case((DossierEvent.action.in_(FINISHING), 1), else_=0)))
        .join(Dossier, Dossier.id == DossierEvent.dossier_id)
        .where(and_(Dossier.agency_code == official.agency_code,
                    DossierEvent.actor_kind == lifecycle.OFFICIAL,
                    DossierEvent.at >= _start_of(since)))
        .group_by(DossierEvent.actor_id))}
    people = session.scalars(select(User).where(User.kind == "official",
                                                User.agency_code == official.agency_code)
                             .order_by(User.role, User.full_name))
    items = [{"id": u.id, "name": u.full_name, "role": u.role, "holding": held.get(u.id, 0),
              "holding_overdue": late.get(u.id, 0), "steps": steps.get(u.id, (0, 0))[0],
              "finished": int(steps.get(u.id, (0, 0))[1] or 0)} for u in people]
    waiting = session.execute(
        select(Dossier.status, func.count())
        .where(Dossier.agency_code == official.agency_code, open_, Dossier.assignee_id.is_(None),
               Dossier.status != lifecycle.DRAFT, not_a_bundle())
        .group_by(Dossier.status)).all()
    return {"since": since.isoformat(), "items": items,
            "unassigned": {status: n for status, n in waiting}}

