"""What the desk reads about payments: daily reconciliation, refunds and flags to work
through, and the share of fee dossiers paid online (a service-quality index input)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.errors import Conflict, NotFound, ValidationFailed
from app.models.accounts import User
from app.models.dossiers import Dossier
from app.models.payments import FeeReceipt, Payment, PaymentNotice, Refund
from app.services import clock
from app.services.ids import as_uuid as parse_uuid

REFUND_METHODS = ("transfer", "cash")


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=clock.TZ)
    return start, start + timedelta(days=1)


def reconciliation(session: Session, agency_code: str, day: date) -> dict[str, Any]:
    """Every payment received that (local) day, totals by method, each with its reference."""
    start, end = _day_bounds(day)
    rows = session.execute(
        select(Payment, Dossier.receipt_code, FeeReceipt.series, FeeReceipt.number)
        .join(Dossier, Dossier.id == Payment.dossier_id)
        .outerjoin(FeeReceipt, FeeReceipt.payment_id == Payment.id)
        .where(Payment.agency_code == agency_code, Payment.status == "paid",
               Payment.paid_at >= start, Payment.paid_at < end)
        .order_by(Payment.paid_at, Payment.id)).all()
    totals: dict[str, dict[str, int]] = {}
    items = []
    for payment, receipt_code, series, number in rows:
        bucket = totals.setdefault(payment.method, {"count": 0, "amount": 0})
        bucket["count"] += 1
        bucket["amount"] += payment.amount
        items.append({
            "payment_id": str(payment.id), "dossier_id": str(payment.dossier_id),
            "receipt_code": receipt_code, "procedure_code": payment.procedure_code,
            "method": payment.method, "provider": payment.provider, "amount": payment.amount,
            "currency": payment.currency, "order_code": payment.order_code,
            "provider_reference": payment.provider_reference,
            "paid_at": payment.paid_at.isoformat() if payment.paid_at else None,
            "official_id": payment.official_id,
            "fee_receipt": f"{series} {number:07d}" if series else None,
            "refund": None,
        })
    refunds = {str(r.payment_id): r.status for r in session.scalars(
        select(Refund).where(Refund.payment_id.in_([parse_uuid(i["payment_id"]) for i in items])))}
    for item in items:
        item["refund"] = refunds.get(item["payment_id"])
    return {"day": day.isoformat(), "agency_code": agency_code, "totals": totals,
            "total_amount": sum(t["amount"] for t in totals.values()), "items": items}


CSV_COLUMNS = ("paid_at", "receipt_code", "procedure_code", "method", "provider", "amount",
               "currency", "order_code", "provider_reference", "fee_receipt", "refund")


def reconciliation_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for item in report["items"]:
        writer.writerow(["" if item[c] is None else item[c] for c in CSV_COLUMNS])
    for method, total in sorted(report["totals"].items()):
        writer.writerow(["TOTAL", "", "", method, "", total["amount"], "VND", "", "", "",
                         f"{total['count']} payments"])
    return out.getvalue()


def online_share(session: Session, agency_code: str | None = None) -> list[dict[str, Any]]:
    """Per agency and procedure: fee dossiers paid, and how many of them online."""
    paid_online = func.sum(case((Payment.method == "online", 1), else_=0))
    stmt = (select(Payment.agency_code, Payment.procedure_code,
                   func.count(func.distinct(Payment.dossier_id)), paid_online)
            .join(Refund, Refund.payment_id == Payment.id, isouter=True)
            .where(Payment.status == "paid", Refund.id.is_(None))
            .group_by(Payment.agency_code, Payment.procedure_code)
            .order_by(Payment.agency_code, Payment.procedure_code))
    if agency_code:
        stmt = stmt.where(Payment.agency_code == agency_code)
    return [{"agency_code": a, "procedure_code": p, "paid": int(n), "paid_online": int(o or 0),
             "online_share": round(int(o or 0) / int(n), 4) if n else None}
            for a, p, n, o in session.execute(stmt)]


def refunds(session: Session, agency_code: str, status: str | None) -> list[Refund]:
    stmt = select(Refund).where(Refund.agency_code == agency_code)
    if status:
        stmt = stmt.where(Refund.status == status)
    return list(session.scalars(stmt.order_by(Refund.created_at)))


def refund_dict(refund: Refund) -> dict[str, Any]:
    return {"id": str(refund.id), "payment_id": str(refund.payment_id),
            "dossier_id": str(refund.dossier_id), "amount": refund.amount,
            "reason": refund.reason, "status": refund.status, "method": refund.method,
            "note": refund.note, "refunded_by": refund.refunded_by,
            "refunded_at": refund.refunded_at.isoformat() if refund.refunded_at else None,
            "created_at": refund.created_at.isoformat()}


def work_refund(session: Session, official: User, refund_id: Any, method: str,
                note: str | None) -> Refund:
    """The desk paid the money back: who, when, how."""
    if method not in REFUND_METHODS:
        raise ValidationFailed("Unknown refund method.", errors={"method": list(REFUND_METHODS)})
    key = parse_uuid(refund_id)
    refund = session.scalars(select(Refund).where(Refund.id == key).with_for_update()).first() \
        if key else None
    if refund is None or refund.agency_code != official.agency_code:
        raise NotFound("No such refund in your agency.")
    if refund.status == "done":
        raise Conflict("This refund was already made.", extra={"refund": refund_dict(refund)})
    refund.status, refund.method, refund.note = "done", method, note
    refund.refunded_by, refund.refunded_at = official.id, clock.now()
    session.flush()
    return refund


def flagged_notices(session: Session, agency_code: str) -> list[dict[str, Any]]:
    """Money the gateway reported that matched no quote (wrong amount) or no request."""
    rows = session.execute(
        select(PaymentNotice, Payment.dossier_id, Payment.amount)
        .join(Payment, Payment.id == PaymentNotice.payment_id, isouter=True)
        .where(PaymentNotice.outcome.in_(("mismatch", "unmatched")),
               PaymentNotice.resolved_at.is_(None),
               (Payment.agency_code == agency_code) | Payment.id.is_(None))
        .order_by(PaymentNotice.received_at)).all()
    return [{"id": n.id, "outcome": n.outcome, "order_code": n.order_code,
             "reference": n.reference, "amount": n.amount, "currency": n.currency,
             "expected_amount": expected, "dossier_id": str(d) if d else None,
             "received_at": n.received_at.isoformat()} for n, d, expected in rows]


def resolve_flag(session: Session, official: User, notice_id: Any) -> PaymentNotice:
    """The desk looked into a flagged transfer (and refunded or matched it by hand)."""
    notice = session.get(PaymentNotice, notice_id) if isinstance(notice_id, int) else None
    payment = session.get(Payment, notice.payment_id) if notice and notice.payment_id else None
    if notice is None or notice.outcome not in ("mismatch", "unmatched") or (
            payment is not None and payment.agency_code != official.agency_code):
        raise NotFound("No such flagged transfer in your agency.")
    if notice.resolved_at is None:
        notice.resolved_by, notice.resolved_at = official.id, clock.now()
        session.flush()
    return notice
