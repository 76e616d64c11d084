"""Where citizens fail, per procedure: the funnel (opened → started → submitted → accepted →
returned), the fields that stop people, time to fill, and failures by network condition.

Opened and started come from the phones' telemetry (those that send it, for every agency
handling the procedure); submitted, accepted and returned from the agency's dossiers
(the quality facts). docs/quality.md says what each number is.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from app.models.quality import QualityFact, TelemetryDrop, TelemetryEvent
from app.services.quality_index import offered

TOP = 10


def _median(session: Session, where: Any) -> int | None:
    """The median of `value` over the rows matching `where`, portably (no percentile_cont
    on SQLite): the middle row by order."""
    e = TelemetryEvent
    n = session.scalar(select(func.count()).where(where))
    if not n:
        return None
    return session.scalar(select(e.value).where(where).order_by(e.value).offset((n - 1) // 2).limit(1))


def report(session: Session, agency_code: str, start: date, end: date) -> dict[str, Any]:
    """The agency's procedures' funnels, stopping fields, times and the network failure rates."""
    e, f = TelemetryEvent, QualityFact
    codes = sorted(offered(session, agency_code).get(agency_code, set()))
    period = and_(e.day >= start, e.day <= end)
    phone = dict(session.execute(
        select(e.procedure_code, func.count()).where(period, e.kind == "form_opened",
                                                      e.procedure_code.in_(codes))
        .group_by(e.procedure_code)).all())
    started = dict(session.execute(
        select(e.procedure_code, func.count()).where(period, e.kind == "draft_started",
                                                      e.procedure_code.in_(codes))
        .group_by(e.procedure_code)).all())

    def within(column: Any) -> Any:
        return func.coalesce(func.sum(case((and_(column >= start, column <= end), 1), else_=0)), 0)

    steps = {row[0]: row[1:] for row in session.execute(
        select(f.procedure_code, within(f.submitted_on), within(f.received_on),
               within(f.returned_on))
        .where(f.agency_code == agency_code).group_by(f.procedure_code))}
    procedures = []
    for code in codes:
        submitted, accepted, returned = steps.get(code, (0, 0, 0))
        mine = and_(period, e.procedure_code == code)
        fields = session.execute(
            select(e.field, e.rule, func.count().label("n")).where(mine, e.kind == "validation_failed")
            .group_by(e.field, e.rule).order_by(func.count().desc(), e.field).limit(TOP)).all()
        left = session.execute(
            select(e.section, func.count()).where(mine, e.kind == "draft_left")
            .group_by(e.section).order_by(func.count().desc(), e.section).limit(TOP)).all()
        sections = session.execute(
            select(e.section, func.avg(e.value), func.count()).where(mine, e.kind == "section_time")
            .group_by(e.section).order_by(e.section)).all()
        procedures.append({
            "procedure_code": code,
            "funnel": {"opened": phone.get(code, 0), "started": started.get(code, 0),
                       "submitted": int(submitted), "accepted": int(accepted),
                       "returned": int(returned)},
            "failing_fields": [{"field": fd, "rule": rule, "count": n} for fd, rule, n in fields],
            "left_at": [{"section": s, "count": n} for s, n in left],
            "section_ms": [{"section": s, "average_ms": round(float(avg)), "count": n}
                           for s, avg, n in sections],
            "median_fill_ms": _median(session, and_(mine, e.kind == "submitted")),
        })
    return {"agency_code": agency_code,
            "period": {"from": start.isoformat(), "to": end.isoformat()},
            "procedures": procedures, "networks": networks(session, start, end),
            "dropped": dict(session.execute(
                select(TelemetryDrop.reason, func.sum(TelemetryDrop.count))
                .where(TelemetryDrop.day >= start, TelemetryDrop.day <= end)
                .group_by(TelemetryDrop.reason)).all())}


def networks(session: Session, start: date, end: date) -> list[dict[str, Any]]:
    """Per network condition: sync attempts and how many failed, upload retries and failures,
    payment failures (from every phone that sends telemetry)."""
    e = TelemetryEvent

    def total(kind: str, column: Any = None) -> Any:
        value = 1 if column is None else column
        return func.coalesce(func.sum(case((e.kind == kind, value), else_=0)), 0)

    rows = session.execute(
        select(e.network, total("sync_summary", e.value), total("sync_summary", e.count),
               total("upload_retry"), total("upload_failed"), total("payment_failed"))
        .where(e.day >= start, e.day <= end, e.network.is_not(None))
        .group_by(e.network).order_by(e.network)).all()
    out = []
    for network, attempts, failures, retries, uploads, payments in rows:
        out.append({"network": network, "sync_attempts": int(attempts),
                    "sync_failures": int(failures),
                    "sync_failure_rate": round(int(failures) / int(attempts), 4) if attempts else None,
                    "upload_retries": int(retries), "upload_failures": int(uploads),
                    "payment_failures": int(payments)})
    return out
