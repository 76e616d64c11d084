"""Shared steps of the payment tests: a fee dossier, its request, the sandbox's controls."""

from __future__ import annotations

from typing import Any

from app.extensions import db as _db
from app.models.dossiers import Dossier
from app.models.payments import FeeReceipt, PaymentNotice
from app.services import lifecycle as lc
from tests.factories import make_dossier

CRIMINAL = "criminal-record-certificate"


def unpaid_dossier(db: Any, citizen: Any, official: Any, procedure: str = CRIMINAL,
                   status: str = lc.SUBMITTED) -> Dossier:
    dossier = make_dossier(db.session, citizen.user, procedure, status=status,
                           official=official.user, pay=False)
    db.session.rollback()
    return dossier


def released(fn: Any) -> Any:
    """The test client shares the test's app context, so its requests share the test's
    session: end its transaction around each call, or on SQLite it holds the write lock a
    webhook on another thread needs (a real request ends its own at teardown)."""
    def call(*args: Any, **kwargs: Any) -> Any:
        _db.session.rollback()
        try:
            return fn(*args, **kwargs)
        finally:
            _db.session.rollback()
    return call


@released
def open_request(client: Any, citizen: Any, dossier_id: Any) -> dict[str, Any]:
    response = client.post(f"/api/v1/dossiers/{dossier_id}/payment", headers=citizen.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def link_id(payment: dict[str, Any]) -> str:
    return payment["checkout_url"].rsplit("/", 1)[1]


@released
def sandbox_pay(client: Any, payment: dict[str, Any], **body: Any) -> dict[str, Any]:
    response = client.post(f"/payos-sandbox/test/pay/{link_id(payment)}", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


@released
def sandbox_deliver(client: Any, **body: Any) -> list[int]:
    response = client.post("/payos-sandbox/test/deliver", json=body)
    assert response.status_code == 200
    return response.get_json()["statuses"]


@released
def dossier_state(client: Any, citizen: Any, dossier_id: Any) -> dict[str, Any]:
    return client.get(f"/api/v1/dossiers/{dossier_id}", headers=citizen.headers).get_json()


def counts(db: Any, dossier_id: Any) -> tuple[int, int]:
    """(fee receipts, applied notices) of the dossier."""
    db.session.rollback()
    receipts = db.session.query(FeeReceipt).filter_by(dossier_id=dossier_id).count()
    notices = db.session.query(PaymentNotice).filter_by(outcome="applied").count()
    db.session.rollback()
    return receipts, notices
