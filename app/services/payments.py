"""Paying a dossier's fee exactly once, whatever the network does (docs/payments.md).

- One open payment per dossier (a partial unique index): a double tap or a retry after a
  lost answer gets the same request. Creating it at the gateway happens OUTSIDE any
  transaction, under a lease on the committed `creating` row, so a webhook racing the
  creation always finds its row.
- A notice (webhook or status read) is applied once, keyed by (gateway, reference).
- A wrong amount or currency is refused and flagged; money for a dossier that no longer
  owes it becomes a refund the desk works through.

`open_request` and `refresh` commit (they are entry points around a gateway call); the
others only flush.
"""

from __future__ import annotations

import logging
import secrets
import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import Conflict, DomainError, Forbidden, ValidationFailed
from app.models.accounts import User
from app.models.dossiers import Dossier, DossierEvent
from app.models.payments import OPEN_STATUSES, Payment, PaymentNotice, Refund
from app.services import clock, fee_receipts, fees
from app.services import dossiers as dossier_svc
from app.services import lifecycle as lc
from app.services.notifications import notify_status
from app.services.owned import get_owned_row
from app.services.payment_providers import Notice, OrderExists, PaymentProvider, ProviderError

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)
EXPIRY = timedelta(minutes=30)
WAIT_FOR_OTHER_SECONDS = 10.0
DESK_METHODS = ("cash", "transfer")
# Statuses after which the dossier no longer owes anything: money then is refunded.
CLOSED = frozenset({lc.WITHDRAWN, lc.REFUSED, lc.STOPPED})


class GatewayUnavailable(DomainError):
    status, slug, title = 503, "payment-gateway-unavailable", "Payment gateway unavailable"


class GatewayOff(DomainError):
    status, slug, title = 503, "payment-gateway-off", "Online payment is not available"


def _order_code() -> int:
    # payOS wants a positive integer below 2^53; 15 random digits make collisions moot
    # (and the unique constraint catches the rest).
    return 10**14 + secrets.randbelow(9 * 10**14)


def _payable(dossier: Dossier) -> None:
    if dossier.status == lc.DRAFT or dossier.status in CLOSED or dossier.status == lc.RETURNED:
        raise Conflict("This dossier does not take payments now.",
                       extra={"current_status": dossier.status, "fee_status": dossier.fee_status})
    if dossier.fee_status != fees.FEE_UNPAID:
        raise Conflict("Nothing to pay on this dossier.",
                       extra={"current_status": dossier.status, "fee_status": dossier.fee_status})


def _open_payment(session: Session, dossier_id: Any) -> Payment | None:
    return session.scalars(select(Payment).where(Payment.dossier_id == dossier_id,
                                                 Payment.status.in_(OPEN_STATUSES))).first()


def _lock_payment(session: Session, payment_id: Any) -> Payment:
    return session.scalars(select(Payment).where(Payment.id == payment_id)
                           .with_for_update(of=Payment).execution_options(populate_existing=True)
                           ).one()


def open_request(session: Session, user: User, dossier_id: Any,
                 provider: PaymentProvider | None, *, return_url: str, cancel_url: str
                 ) -> Payment:
    """The open payment request of the citizen's dossier, made at the gateway if needed
    (GatewayOff when none is configured)."""
    deadline = time.monotonic() + WAIT_FOR_OTHER_SECONDS
    while True:
        now = clock.now()
        dossier = dossier_svc.get_owned(session, user, dossier_id, lock=True)
        payment = _open_payment(session, dossier.id)
        if provider is None:
            _payable(dossier)
            raise GatewayOff("Online payment is not available here; pay at the desk.")
        if payment is not None and payment.status == "pending":
            if payment.expires_at is None or payment.expires_at > now:
                session.commit()
                return payment
            payment.status, payment.updated_at = "expired", now
            session.flush()
            _cancel_at_gateway(provider, payment, "expired")
            payment = None
        if payment is None and dossier.fee_status == fees.FEE_PAID:
            paid = _latest_paid(session, dossier.id)  # a double tap after a fast payment
            if paid is not None:
                session.commit()
                return paid
        _payable(dossier)
        if payment is not None and payment.lease_until and payment.lease_until > now:
            session.commit()  # another request is creating it: wait for its answer
            if time.monotonic() > deadline:
                raise GatewayUnavailable("The payment request is still being prepared; "
                                         "try again in a moment.")
            time.sleep(0.2)
            continue
        resumed = payment is not None
        if payment is None:
            payment = Payment(dossier_id=dossier.id, owner_id=dossier.owner_id,
                              agency_code=dossier.agency_code,
                              procedure_code=dossier.procedure_code, provider=provider.name,
                              method="online", status="creating", amount=dossier.fee_amount,
                              currency=(dossier.fee_quote or {}).get("currency", "VND"),
                              order_code=_order_code(), created_at=now, updated_at=now)
            session.add(payment)
        payment.lease_until = now + LEASE
        payment.expires_at = now + EXPIRY
        session.flush()
        # Read now: after the commit no attribute may be touched until the gateway answers,
        # or reloading it opens a transaction (on SQLite a write lock) the webhook waits on.
        call = {"order_code": payment.order_code, "amount": payment.amount,
                "expires_at": payment.expires_at, "buyer_name": dossier.owner.full_name,
                "description": f"HS {dossier.receipt_code or str(dossier.id)[:8]}"}
        payment_id = payment.id
        session.commit()
        break
    try:
        try:
            made = provider.create(**call, return_url=return_url, cancel_url=cancel_url)
        except OrderExists:
            if not resumed:
                raise
            _replace_lost(session, payment_id, call["order_code"], provider)
            return open_request(session, user, dossier_id, provider, return_url=return_url,
                                cancel_url=cancel_url)
    except ProviderError as exc:
        log.warning("payment request for %s failed: %s", call["order_code"], exc)
        payment = _lock_payment(session, payment_id)
        payment.lease_until = None  # the next tap may try again at once
        session.commit()
        raise GatewayUnavailable("The payment gateway did not answer; try again.") from exc
    payment = _lock_payment(session, payment_id)
    payment.payment_link_id, payment.checkout_url = made.payment_link_id, made.checkout_url
    payment.qr_code, payment.lease_until = made.qr_code, None
    payment.expires_at = made.expires_at or payment.expires_at
    if payment.status == "creating":  # a webhook may already have marked it paid
        payment.status = "pending"
    payment.updated_at = clock.now()
    session.commit()
    return payment


def _latest_paid(session: Session, dossier_id: Any) -> Payment | None:
    return session.scalars(select(Payment).where(Payment.dossier_id == dossier_id,
                                                 Payment.status == "paid")
                           .order_by(Payment.paid_at)).first()


def _replace_lost(session: Session, payment_id: Any, order_code: int,
                  provider: PaymentProvider) -> None:
    """A request made earlier whose answer was lost (nobody saw its QR code): read it; if
    it was paid, apply that; else cancel it and start a fresh order code."""
    state = provider.status(order_code)
    for notice in state.notices:
        apply_notice(session, provider.name, notice, "poll")
    payment = _lock_payment(session, payment_id)
    if payment.status == "creating":
        payment.status, payment.lease_until = "cancelled", None
        session.commit()
        _cancel_at_gateway(provider, payment, "lost answer, replaced")
    else:
        session.commit()


def _cancel_at_gateway(provider: PaymentProvider, payment: Payment, reason: str) -> None:
    if payment.provider != provider.name or payment.order_code is None:
        return
    try:
        provider.cancel(payment.order_code, reason)
    except ProviderError as exc:  # money that still arrives becomes a refund
        log.warning("cancelling payment %s at the gateway failed: %s", payment.order_code, exc)


def apply_notice(session: Session, provider_name: str, notice: Notice, source: str) -> str:
    """Apply one verified notice once; returns the outcome (see PaymentNotice.outcome)."""
    if not notice.success:
        return "ignored"
    row = PaymentNotice(provider=provider_name, reference=notice.reference[:64],
                        order_code=notice.order_code, amount=notice.amount,
                        currency=notice.currency, source=source, outcome="unmatched",
                        payload=notice.payload, received_at=clock.now())
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return "duplicate"
    found = session.scalars(select(Payment).where(Payment.order_code == notice.order_code,
                                                  Payment.provider == provider_name)).first()
    if found is None:
        log.warning("payment notice for unknown order %s flagged", notice.order_code)
        session.flush()
        return row.outcome
    dossier = session.scalars(select(Dossier).where(Dossier.id == found.dossier_id)
                              .with_for_update(of=Dossier)).one()
    payment = _lock_payment(session, found.id)
    row.payment_id = payment.id
    if notice.amount != payment.amount or notice.currency != payment.currency:
        row.outcome = "mismatch"
        payment.note = (f"Received {notice.amount} {notice.currency}, expected "
                        f"{payment.amount} {payment.currency} (ref {notice.reference})")
        log.warning("payment %s: amount mismatch flagged for the desk", payment.order_code)
    elif payment.status == "paid" or dossier.status in CLOSED or payment.status in (
            "cancelled", "expired") or dossier.fee_status != fees.FEE_UNPAID:
        row.outcome = "refund"
        second = payment.status == "paid"
        if not second:
            _mark_paid(payment, notice.reference, clock.now())
        reason = "duplicate" if second else (dossier.status if dossier.status in CLOSED
                                             else "not_owed")
        _refund(session, payment, dossier, reason, notice)
    else:
        row.outcome = "applied"
        moment = clock.now()
        _mark_paid(payment, notice.reference, moment)
        _settle(session, dossier, payment, moment)
    session.flush()
    return row.outcome


def _mark_paid(payment: Payment, reference: str | None, moment: datetime) -> None:
    payment.status, payment.provider_reference = "paid", reference
    payment.paid_at = payment.updated_at = moment
    payment.lease_until = None


def _refund(session: Session, payment: Payment, dossier: Dossier, reason: str,
            notice: Notice) -> None:
    if session.scalars(select(Refund).where(Refund.payment_id == payment.id)).first() is None \
            and reason != "duplicate":
        session.add(Refund(payment_id=payment.id, dossier_id=dossier.id,
                           agency_code=dossier.agency_code, amount=notice.amount, reason=reason,
                           status="open", created_at=clock.now()))
        return
    # A second transfer for the same fee: its own payment row, refunded.
    extra = Payment(dossier_id=dossier.id, owner_id=dossier.owner_id,
                    agency_code=dossier.agency_code, procedure_code=dossier.procedure_code,
                    provider=payment.provider, method="online", status="paid",
                    amount=notice.amount, currency=notice.currency, order_code=None,
                    provider_reference=notice.reference, paid_at=clock.now())
    session.add(extra)
    session.flush()
    session.add(Refund(payment_id=extra.id, dossier_id=dossier.id, agency_code=dossier.agency_code,
                       amount=notice.amount, reason=reason, status="open",
                       created_at=clock.now()))


def _settle(session: Session, dossier: Dossier, payment: Payment, moment: datetime) -> None:
    """The fee is paid: the dossier says so, a receipt is issued, the phone hears of it."""
    dossier.fee_status = fees.FEE_PAID
    receipt = fee_receipts.issue(session, dossier, payment, moment)
    dossier.events.append(DossierEvent(
        dossier_id=dossier.id, at=moment, actor_id=payment.official_id,
        actor_kind=lc.OFFICIAL if payment.official_id else "system", action="fee_paid",
        from_status=dossier.status, to_status=dossier.status,
        data={"amount": payment.amount, "method": payment.method,
              "receipt": f"{receipt.series}/{receipt.number:07d}",
              "reference": payment.provider_reference}))
    dossier_svc.bump(session, dossier, moment)
    notify_status(session, dossier, dossier.owner, kind="fee_paid")


def refresh(session: Session, user: User, payment_id: Any, provider: PaymentProvider | None
            ) -> Payment:
    """Read the request's status at the gateway (the phone's "check"), apply what it says."""
    payment = get_payment_owned(session, user, payment_id)
    if provider is None:
        return payment
    if payment.status in OPEN_STATUSES and payment.provider == provider.name:
        order_code, payment_id = payment.order_code, payment.id
        session.commit()  # no transaction held while the gateway answers
        try:
            state = provider.status(order_code)
        except ProviderError as exc:
            raise GatewayUnavailable("The payment gateway did not answer; try again.") from exc
        for notice in state.notices:
            apply_notice(session, provider.name, notice, "poll")
        payment = _lock_payment(session, payment_id)
        if payment.status == "pending" and state.status in ("CANCELLED", "EXPIRED"):
            payment.status, payment.updated_at = state.status.lower(), clock.now()
        session.commit()
    return payment


def get_payment_owned(session: Session, user: User, payment_id: Any) -> Payment:
    return get_owned_row(session, Payment, user, payment_id, "No such payment.")


def dossier_of(session: Session, payment: Payment) -> Dossier:
    return session.get(Dossier, payment.dossier_id)


def payments_of(session: Session, dossier: Dossier) -> list[Payment]:
    return list(session.scalars(select(Payment).where(Payment.dossier_id == dossier.id)
                                .order_by(Payment.created_at)))


def record_desk_payment(session: Session, official: User, dossier_id: Any, method: str,
                        note: str | None = None, provider: PaymentProvider | None = None
                        ) -> Payment:
    """Cash or a transfer taken at the desk, recorded with its method and the official."""
    if method not in DESK_METHODS:
        raise ValidationFailed("Unknown payment method.", errors={"method": list(DESK_METHODS)})
    if not official.is_official:
        raise Forbidden("Only an official records a payment at the desk.")
    dossier = dossier_svc.get_for_official(session, official, dossier_id, lock=True)
    _payable(dossier)
    moment = clock.now()
    open_payment = _open_payment(session, dossier.id)
    if open_payment is not None:
        open_payment.status, open_payment.updated_at = "cancelled", moment
        session.flush()
        if provider is not None:
            _cancel_at_gateway(provider, open_payment, "paid at the desk")
    payment = Payment(dossier_id=dossier.id, owner_id=dossier.owner_id,
                      agency_code=dossier.agency_code, procedure_code=dossier.procedure_code,
                      provider="desk", method=method, status="paid", amount=dossier.fee_amount,
                      currency=(dossier.fee_quote or {}).get("currency", "VND"),
                      official_id=official.id, paid_at=moment, note=note, created_at=moment,
                      updated_at=moment)
    session.add(payment)
    session.flush()
    _settle(session, dossier, payment, moment)
    session.flush()
    return payment


def expire_stale(session: Session, provider: PaymentProvider | None) -> int:
    """Requests past their expiry are closed here and cancelled at the gateway, so a
    forgotten QR code cannot be paid (money that still comes is refunded). Commits:
    an entry point for the operator command and the sweep."""
    now = clock.now()
    stale = list(session.scalars(select(Payment).where(
        Payment.status.in_(OPEN_STATUSES), Payment.expires_at < now,
        (Payment.lease_until.is_(None)) | (Payment.lease_until < now))
        .with_for_update(skip_locked=True)))
    for payment in stale:
        payment.status, payment.updated_at, payment.lease_until = "expired", now, None
    session.commit()
    for payment in stale:
        if provider is not None:
            _cancel_at_gateway(provider, payment, "expired")
    return len(stale)


def on_transition(session: Session, dossier: Dossier, event: DossierEvent) -> None:
    """A dossier that stops owing (withdrawn, refused, stopped) cancels its open request."""
    if dossier.status not in CLOSED:
        return
    payment = _open_payment(session, dossier.id)
    if payment is None:
        return
    payment.status, payment.updated_at = "cancelled", clock.now()
    session.flush()
    from app.services import payment_providers

    try:
        provider = payment_providers.current()
    except ProviderError:
        return
    _cancel_at_gateway(provider, payment, f"dossier {dossier.status}")


if on_transition not in dossier_svc.transition_listeners:
    dossier_svc.transition_listeners.append(on_transition)
