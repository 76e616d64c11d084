"""Paying fees: the citizen's payment request and receipt, payOS webhooks, the desk's
payments, refunds and reconciliation (docs/payments.md)."""

from __future__ import annotations

import base64
import io
import logging
from typing import Any

import segno
from flask import Response, current_app, request
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from api.payments.schemas import (
    DayQuery,
    DeskPaymentIn,
    FlagResolvedOut,
    ListOut,
    PaymentListOut,
    PaymentOut,
    ReconciliationOut,
    RefundIn,
    RefundListOut,
    RefundOut,
    RefundQuery,
    WebhookOut,
)
from api.security import BEARER, citizen_required, official_required, user_required
from api.transactions import commits
from app.errors import Unauthorized
from app.extensions import db
from app.models.payments import Payment
from app.public_urls import public_url
from app.services import clock, fee_receipts, payment_reports, payments
from app.services.dossiers import get_for_official, get_owned
from app.services.payment_providers import InvalidNotice, PaymentProvider
from app.services.representations import dossier_dict

blp = Blueprint("payments", __name__, url_prefix="/api/v1", description="Fees and payments")
log = logging.getLogger(__name__)


def _provider() -> PaymentProvider | None:
    """This app's gateway (app/payments.py), or None when online payment is off."""
    return current_app.extensions.get("payment_provider")


def _qr_svg(payload: str | None) -> str | None:
    if not payload:
        return None
    buffer = io.BytesIO()
    segno.make(payload, error="m").save(buffer, kind="svg", scale=4, border=2, xmldecl=False)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def payment_dict(payment: Payment, with_dossier: bool = False) -> dict[str, Any]:
    receipt = None
    if payment.status == "paid":
        found = fee_receipts.of_payment(db.session, payment.id)
        if found is not None:
            receipt = {"id": str(found.id), "series": found.series,
                       "number": f"{found.number:07d}", "record_id": str(found.record_id or "")}
    data = {
        "id": str(payment.id), "dossier_id": str(payment.dossier_id), "status": payment.status,
        "method": payment.method, "provider": payment.provider, "amount": payment.amount,
        "currency": payment.currency, "order_code": payment.order_code,
        "checkout_url": payment.checkout_url if payment.status == "pending" else None,
        "qr_code": payment.qr_code if payment.status == "pending" else None,
        "qr_svg": _qr_svg(payment.qr_code) if payment.status == "pending" else None,
        "expires_at": payment.expires_at.isoformat() if payment.expires_at else None,
        "paid_at": payment.paid_at.isoformat() if payment.paid_at else None,
        "provider_reference": payment.provider_reference, "receipt": receipt,
    }
    if with_dossier:
        data["dossier"] = dossier_dict(payments.dossier_of(db.session, payment), history=False)
    return data


@blp.post("/dossiers/<dossier_id>/payment")
@blp.response(200, PaymentOut)
@blp.doc(security=BEARER)
@citizen_required
def open_payment(dossier_id: str) -> dict[str, Any]:
    """The open payment request of my dossier's fee: the same one however often I tap."""
    # The gateway sends the browser back here: an absolute address (app/public_urls.py).
    back = public_url(f"/#/d/{dossier_id}", absolute=True)
    payment = payments.open_request(db.session, current_user, dossier_id, _provider(),
                                    return_url=back, cancel_url=back)
    return payment_dict(payment, with_dossier=True)


@blp.get("/dossiers/<dossier_id>/payments")
@blp.response(200, PaymentListOut)
@blp.doc(security=BEARER)
@citizen_required
def list_payments(dossier_id: str) -> dict[str, Any]:
    """Payments of my dossier, oldest first."""
    dossier = get_owned(db.session, current_user, dossier_id)
    return {"items": [payment_dict(p) for p in payments.payments_of(db.session, dossier)]}


@blp.post("/payments/<payment_id>/refresh")
@blp.response(200, PaymentOut)
@blp.doc(security=BEARER)
@citizen_required
def refresh_payment(payment_id: str) -> dict[str, Any]:
    """Ask the gateway for the request's status now (the webhook may be late)."""
    payment = payments.refresh(db.session, current_user, payment_id, _provider())
    return payment_dict(payment, with_dossier=True)


@blp.get("/fee-receipts/<receipt_id>.pdf")
@blp.alt_response(200, success=True, content_type="application/pdf", description="The receipt")
@blp.doc(security=BEARER)
@user_required
def receipt_pdf(receipt_id: str) -> Response:
    """The electronic fee receipt (biên lai) as a PDF, for its payer or the agency."""
    receipt, dossier = fee_receipts.get_for(db.session, current_user, receipt_id)
    pdf = fee_receipts.pdf(db.session, receipt, dossier)
    name = f"bien-lai-{receipt.number:07d}.pdf"
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "private, max-age=3600"})


@blp.post("/payments/payos/webhook")
@blp.response(200, WebhookOut)
@commits
def payos_webhook() -> dict[str, Any]:
    """payOS calls this when money arrives; anything not signed with the checksum key is
    refused (401) and changes nothing."""
    provider = _provider()
    body = request.get_data(cache=False)  # past MAX_CONTENT_LENGTH: 413 before anything
    if provider is None:
        raise Unauthorized("No payment gateway is configured here.")
    try:
        notice = provider.verify(body)
    except InvalidNotice as exc:
        log.warning("payOS webhook refused (%s) from %s", exc, request.remote_addr)
        raise Unauthorized("The webhook signature does not verify.") from exc
    outcome = payments.apply_notice(db.session, provider.name, notice, "webhook")
    log.info("payOS webhook %s for order %s: %s", notice.reference, notice.order_code, outcome)
    return {"success": True, "outcome": outcome}


# ---- The desk --------------------------------------------------------------------------

@blp.post("/office/dossiers/<dossier_id>/payments")
@blp.arguments(DeskPaymentIn)
@blp.response(200, PaymentOut)
@blp.doc(security=BEARER)
@official_required
@commits
def desk_payment(body: dict[str, Any], dossier_id: str) -> dict[str, Any]:
    """Cash or a transfer taken at the desk, recorded with its method and the official."""
    payment = payments.record_desk_payment(db.session, current_user, dossier_id, body["method"],
                                           body.get("note"), _provider())
    return payment_dict(payment)


@blp.get("/office/dossiers/<dossier_id>/payments")
@blp.response(200, PaymentListOut)
@blp.doc(security=BEARER)
@official_required
def desk_list_payments(dossier_id: str) -> dict[str, Any]:
    dossier = get_for_official(db.session, current_user, dossier_id)
    return {"items": [payment_dict(p) for p in payments.payments_of(db.session, dossier)]}


@blp.get("/office/payments/reconciliation")
@blp.arguments(DayQuery, location="query")
@blp.response(200, ReconciliationOut)
@blp.doc(security=BEARER)
@official_required
def reconciliation(query: dict[str, Any]) -> dict[str, Any]:
    """One day's payments of my agency: totals by method, each with its provider reference."""
    day = query.get("day") or clock.today()
    return payment_reports.reconciliation(db.session, current_user.agency_code, day)


@blp.get("/office/payments/reconciliation.csv")
@blp.arguments(DayQuery, location="query")
@blp.response(200, content_type="text/csv", description="The day's reconciliation as CSV")
@blp.doc(security=BEARER)
@official_required
def reconciliation_csv(query: dict[str, Any]) -> Response:
    day = query.get("day") or clock.today()
    report = payment_reports.reconciliation(db.session, current_user.agency_code, day)
    return Response(payment_reports.reconciliation_csv(report), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="doi-soat-{day.isoformat()}.csv"'})


@blp.get("/office/payments/online-share")
@blp.response(200, ListOut)
@blp.doc(security=BEARER)
@official_required
def online_share() -> dict[str, Any]:
    """Share of paid fee dossiers paid online, per procedure of my agency."""
    return {"items": payment_reports.online_share(db.session, current_user.agency_code)}


@blp.get("/office/payments/refunds")
@blp.arguments(RefundQuery, location="query")
@blp.response(200, RefundListOut)
@blp.doc(security=BEARER)
@official_required
def list_refunds(query: dict[str, Any]) -> dict[str, Any]:
    status = None if query["status"] == "all" else query["status"]
    rows = payment_reports.refunds(db.session, current_user.agency_code, status)
    return {"items": [payment_reports.refund_dict(r) for r in rows]}


@blp.post("/office/payments/refunds/<refund_id>")
@blp.arguments(RefundIn)
@blp.response(200, RefundOut)
@blp.doc(security=BEARER)
@official_required
@commits
def work_refund(body: dict[str, Any], refund_id: str) -> dict[str, Any]:
    """Record that the money was paid back: by whom, when, how."""
    refund = payment_reports.work_refund(db.session, current_user, refund_id, body["method"],
                                         body.get("note"))
    return payment_reports.refund_dict(refund)


@blp.get("/office/payments/flags")
@blp.response(200, ListOut)
@blp.doc(security=BEARER)
@official_required
def flags() -> dict[str, Any]:
    """Money reported with the wrong amount or for no known request: the desk resolves it."""
    return {"items": payment_reports.flagged_notices(db.session, current_user.agency_code)}



@blp.post("/office/payments/flags/<int:notice_id>")
@blp.response(200, FlagResolvedOut)
@blp.doc(security=BEARER)
@official_required
@commits
def resolve_flag(notice_id: int) -> dict[str, Any]:
    """Mark a flagged transfer as looked into, by me, now."""
    notice = payment_reports.resolve_flag(db.session, current_user, notice_id)
    return {"id": notice.id, "resolved_by": notice.resolved_by,
            "resolved_at": notice.resolved_at.isoformat() if notice.resolved_at else None}
