"""Paying a fee exactly once through payOS's SDK and the sandbox gateway (docs/payments.md)."""

from __future__ import annotations

import threading
from typing import Any

from app.models.catalog import Procedure
from app.models.notifications import Notification
from app.models.payments import Payment, PaymentNotice, Refund
from app.models.warehouse import WarehouseRecord
from app.services import lifecycle as lc
from app.services import payments
from app.services.dossiers import transition
from app.services.payment_providers import ProviderError
from tests.payments.helpers import (
    CRIMINAL,
    counts,
    dossier_state,
    link_id,
    open_request,
    sandbox_deliver,
    sandbox_pay,
    unpaid_dossier,
)


def test_quote_is_stored_and_an_unpaid_fee_holds_the_dossier(client, db, citizen, make_official):
    leader = make_official(procedure=CRIMINAL)
    dossier = unpaid_dossier(db, citizen, leader)
    state = dossier_state(client, citizen, dossier.id)
    assert state["fee_status"] == "unpaid"
    assert state["fee_amount"] == 200000  # the charge: no reduction, no online rate for it
    assert state["fee_quote"]["rule"] == "base" and state["fee_quote"]["due"] == "filing"
    refused = client.post(f"/api/v1/office/dossiers/{dossier.id}/transitions",
                          json={"action": "accept"}, headers=leader.headers)
    assert refused.status_code == 409 and refused.get_json()["reason"] == "fee_unpaid"
    paid = client.post(f"/api/v1/office/dossiers/{dossier.id}/payments", json={"method": "cash"},
                       headers=leader.headers)
    assert paid.status_code == 200 and paid.get_json()["method"] == "cash"
    ok = client.post(f"/api/v1/office/dossiers/{dossier.id}/transitions",
                     json={"action": "accept"}, headers=leader.headers)
    assert ok.status_code == 200 and ok.get_json()["fee_status"] == "paid"
    db.session.rollback()
    assert db.session.query(Payment).filter_by(official_id=leader.id, method="cash").count() == 1


def test_a_fee_due_after_the_decision_holds_the_result_not_the_decision(client, db, citizen,
                                                                        make_official):
    # The catalog leaves the marital-status fee to each province (null); a province that
    # states its rate (here 3 000 đ) has it owed after the decision.
    proc = db.session.get(Procedure, "marital-status-confirmation")
    catalog_fees = proc.fees
    proc.fees = {**catalog_fees, "amount": 3000}
    db.session.commit()
    try:
        leader = make_official(procedure="marital-status-confirmation")
        dossier = unpaid_dossier(db, citizen, leader, "marital-status-confirmation", lc.IN_PROGRESS)
        assert dossier.fee_quote["due"] == "decision" and dossier.fee_status == "unpaid"
        url = f"/api/v1/office/dossiers/{dossier.id}/transitions"
        assert client.post(url, json={"action": "complete"}, headers=leader.headers).status_code == 200
        held = client.post(url, json={"action": "return_result", "result": {"number": "12/2026"}},
                           headers=leader.headers)
        assert held.status_code == 409 and held.get_json()["reason"] == "fee_unpaid"
        client.post(f"/api/v1/office/dossiers/{dossier.id}/payments", json={"method": "transfer"},
                    headers=leader.headers)
        done = client.post(url, json={"action": "return_result", "result": {"number": "12/2026"}},
                           headers=leader.headers)
        assert done.status_code == 200 and done.get_json()["status"] == lc.RETURNED
    finally:
        proc = db.session.get(Procedure, "marital-status-confirmation")
        proc.fees = catalog_fees
        db.session.commit()


def test_a_fee_the_catalog_does_not_state_is_not_collected(client, db, citizen, make_official):
    leader = make_official(procedure="marital-status-confirmation")
    dossier = unpaid_dossier(db, citizen, leader, "marital-status-confirmation", lc.IN_PROGRESS)
    assert (dossier.fee_amount, dossier.fee_status) == (None, "none")
    assert dossier.fee_quote["amount"] is None and dossier.fee_quote["label"]["vi"]
    url = f"/api/v1/office/dossiers/{dossier.id}/transitions"
    assert client.post(url, json={"action": "complete"}, headers=leader.headers).status_code == 200
    done = client.post(url, json={"action": "return_result", "result": {"number": "12/2026"}},
                       headers=leader.headers)
    assert done.status_code == 200 and done.get_json()["status"] == lc.RETURNED


def test_paid_in_the_sandbox_the_webhook_marks_it_paid_with_a_receipt(client, db, citizen,
                                                                     make_official):
    leader = make_official(procedure=CRIMINAL)
    dossier = unpaid_dossier(db, citizen, leader)
    payment = open_request(client, citizen, dossier.id)
    assert payment["status"] == "pending" and payment["amount"] == 200000
    assert payment["qr_code"].startswith("000201") and payment["qr_svg"].startswith("data:image/svg")
    again = open_request(client, citizen, dossier.id)  # a second tap: the same request
    assert again["id"] == payment["id"] and again["order_code"] == payment["order_code"]
    sandbox_pay(client, payment)
    state = dossier_state(client, citizen, dossier.id)
    assert state["fee_status"] == "paid"
    assert [e["action"] for e in state["history"]][-1] == "fee_paid"
    mine = client.get(f"/api/v1/dossiers/{dossier.id}/payments", headers=citizen.headers).get_json()
    receipt = mine["items"][0]["receipt"]
    assert mine["items"][0]["provider_reference"].startswith("FT") and receipt["number"] == "0000001"
    db.session.rollback()
    record = db.session.query(WarehouseRecord).filter_by(kind="fee_receipt").one()
    assert record.owner_id == citizen.id and record.data["amount"] == 200000
    assert db.session.query(Notification).filter_by(kind="fee_paid").one().title == "Đã thanh toán"
    pdf = client.get(f"/api/v1/fee-receipts/{receipt['id']}.pdf", headers=citizen.headers)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert client.get(f"/api/v1/fee-receipts/{receipt['id']}.pdf").status_code == 401


def test_a_replayed_webhook_is_applied_once(client, db, citizen, make_official):
    leader = make_official(procedure=CRIMINAL)
    dossier = unpaid_dossier(db, citizen, leader)
    payment = open_request(client, citizen, dossier.id)
    sandbox_pay(client, payment, hold=True)
    assert dossier_state(client, citizen, dossier.id)["fee_status"] == "unpaid"
    assert sandbox_deliver(client, replay=3) == [200, 200, 200, 200]
    sandbox_deliver(client, all=True)  # and once more, later
    assert counts(db, dossier.id) == (1, 1)
    assert dossier_state(client, citizen, dossier.id)["fee_status"] == "paid"


def test_a_forged_or_unsigned_webhook_is_refused_and_changes_nothing(client, db, citizen,
                                                                    make_official, caplog):
    leader = make_official(procedure=CRIMINAL)
    dossier = unpaid_dossier(db, citizen, leader)
    payment = open_request(client, citizen, dossier.id)
    sandbox_pay(client, payment, hold=True)
    with caplog.at_level("WARNING"):
        assert sandbox_deliver(client, forged=True) == [401]
    assert "webhook refused" in caplog.text
    unsigned = client.post("/api/v1/payments/payos/webhook", json={
        "code": "00", "desc": "success", "data": {"orderCode": payment["order_code"]}})
    assert unsigned.status_code == 401
    assert unsigned.headers["Content-Type"].startswith("application/problem+json")
    garbage = client.post("/api/v1/payments/payos/webhook", data=b"[1", content_type="application/json")
    assert garbage.status_code in (400, 401)
    assert dossier_state(client, citizen, dossier.id)["fee_status"] == "unpaid"
    assert counts(db, dossier.id) == (0, 0)


def test_a_wrong_amount_is_refused_and_flagged_for_the_desk(client, db, citizen, make_official):
    leader = make_official(procedure=CRIMINAL)
    dossier = unpaid_dossier(db, citizen, leader)
    payment = open_request(client, citizen, dossier.id)
    sandbox_pay(client, payment, amount=50000)
    assert dossier_state(client, citizen, dossier.id)["fee_status"] == "unpaid"
    flags = client.get("/api/v1/office/payments/flags", headers=leader.headers).get_json()["items"]
    assert [(f["outcome"], f["amount"], f["expected_amount"]) for f in flags] == [
        ("mismatch", 50000, 200000)]
    done = client.post(f"/api/v1/office/payments/flags/{flags[0]['id']}", headers=leader.headers)
    assert done.status_code == 200 and done.get_json()["resolved_by"] == leader.id
    assert client.get("/api/v1/office/payments/flags", headers=leader.headers).get_json()["items"] == []


def test_a_webhook_before_the_request_is_committed_is_applied_once(app, client, db, citizen,
                                                                  make_official):
    """The money arrives while the request that created it has not stored its answer."""
    leader = make_official(procedure=CRIMINAL)
    dossier = unpaid_dossier(db, citizen, leader)
    gateway = app.extensions["payment_provider"]

    class PaidAtOnce:
        name = gateway.name

        def create(self, **kwargs: Any) -> Any:
            made = gateway.create(**kwargs)
            # the bank pays and payOS calls the webhook before this answer is stored
            assert client.post(f"/payos-sandbox/test/pay/{made.payment_link_id}",
                               json={}).status_code == 200
            return made

        def __getattr__(self, name: str) -> Any:
            return getattr(gateway, name)

    payment = payments.open_request(db.session, citizen.user, dossier.id, PaidAtOnce(),
                                    return_url="http://x/", cancel_url="http://x/")
    assert payment.status == "paid"
    assert counts(db, dossier.id) == (1, 1)
    assert dossier_state(client, citizen, dossier.id)["fee_status"] == "paid"


def test_a_double_tap_makes_one_request(app, client, db, citizen, make_official):
    leader = make_official(procedure=CRIMINAL)
    dossier_id = unpaid_dossier(db, citizen, leader).id
    db.session.rollback()  # hold no transaction (on SQLite, no lock) while the taps run
    answers: list[Any] = []

    def tap() -> None:
        with app.app_context():
            answers.append(app.test_client().post(f"/api/v1/dossiers/{dossier_id}/payment",
                                                  headers=citizen.headers).get_json())

    taps = [threading.Thread(target=tap) for _ in range(4)]
    for t in taps:
        t.start()
    for t in taps:
        t.join()
    assert len({a["id"] for a in answers}) == 1, answers
    assert len({a["checkout_url"] for a in answers}) == 1
    db.session.rollback()
    assert db.session.query(Payment).filter_by(dossier_id=dossier_id).count() == 1


def test_a_retry_after_a_lost_answer_gets_a_working_request(app, client, db, citizen, make_official):
    leader = make_official(procedure=CRIMINAL)
    dossier = unpaid_dossier(db, citizen, leader)
    gateway = app.extensions["payment_provider"]

    class LostAnswer:
        name = gateway.name

        def create(self, **kwargs: Any) -> Any:
            gateway.create(**kwargs)  # payOS made it; the answer never came back
            raise ProviderError("read timeout")

        def __getattr__(self, name: str) -> Any:
            return getattr(gateway, name)

    try:
        payments.open_request(db.session, citizen.user, dossier.id, LostAnswer(),
                              return_url="http://x/", cancel_url="http://x/")
        raise AssertionError("the lost answer should fail the first tap")
    except payments.GatewayUnavailable:
        pass
    retry = open_request(client, citizen, dossier.id)
    assert retry["status"] == "pending" and retry["checkout_url"]
    db.session.rollback()
    rows = db.session.query(Payment).filter_by(dossier_id=dossier.id).all()
    assert sorted(p.status for p in rows) == ["cancelled", "pending"]
    lost = next(p for p in rows if p.status == "cancelled")
    assert gateway.status(lost.order_code).status == "CANCELLED"  # nobody can pay it


def test_the_status_poll_racing_the_webhook_applies_once(app, client, db, citizen, make_official):
    leader = make_official(procedure=CRIMINAL)
    dossier = unpaid_dossier(db, citizen, leader)
    payment = open_request(client, citizen, dossier.id)
    sandbox_pay(client, payment, hold=True)
    db.session.rollback()
    barrier = threading.Barrier(2)
    results: list[Any] = []

    def poll() -> None:
        with app.app_context():
            barrier.wait()
            results.append(app.test_client().post(f"/api/v1/payments/{payment['id']}/refresh",
                                                  headers=citizen.headers).status_code)

    def hook() -> None:
        with app.app_context():
            barrier.wait()
            results.extend(app.test_client().post("/payos-sandbox/test/deliver", json={})
                           .get_json()["statuses"])

    threads = [threading.Thread(target=poll), threading.Thread(target=hook)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results and all(code == 200 for code in results), results
    assert counts(db, dossier.id) == (1, 1)
    db.session.rollback()
    assert db.session.query(PaymentNotice).count() == 1


def test_money_after_a_withdrawal_becomes_a_refund_the_desk_works(app, client, db, citizen,
                                                                 make_official):
    leader = make_official(procedure=CRIMINAL)
    dossier = unpaid_dossier(db, citizen, leader)
    payment = open_request(client, citizen, dossier.id)
    db.session.rollback()
    fresh = db.session.get(type(dossier), dossier.id)
    transition(db.session, fresh, citizen.user, "withdraw", note="Không cần nữa")
    db.session.commit()
    gateway = app.extensions["payment_provider"]
    assert gateway.status(payment["order_code"]).status == "CANCELLED"
    sandbox_pay(client, payment)  # the bank transfer was already on its way
    state = dossier_state(client, citizen, dossier.id)
    assert state["status"] == lc.WITHDRAWN and state["fee_status"] == "unpaid"
    refunds = client.get("/api/v1/office/payments/refunds", headers=leader.headers).get_json()
    [refund] = refunds["items"]
    assert refund["reason"] == lc.WITHDRAWN and refund["amount"] == 200000
    done = client.post(f"/api/v1/office/payments/refunds/{refund['id']}",
                       json={"method": "transfer", "note": "Hoàn qua tài khoản"},
                       headers=leader.headers)
    assert done.status_code == 200
    body = done.get_json()
    assert body["status"] == "done" and body["refunded_by"] == leader.id and body["refunded_at"]
    again = client.post(f"/api/v1/office/payments/refunds/{refund['id']}",
                        json={"method": "transfer"}, headers=leader.headers)
    assert again.status_code == 409
    db.session.rollback()
    assert db.session.query(Refund).count() == 1


def test_reconciliation_totals_by_method_with_references_and_csv(client, db, citizen,
                                                                make_official):
    leader = make_official(procedure=CRIMINAL)
    online = unpaid_dossier(db, citizen, leader)
    sandbox_pay(client, open_request(client, citizen, online.id))
    desk = unpaid_dossier(db, citizen, leader)
    client.post(f"/api/v1/office/dossiers/{desk.id}/payments", json={"method": "cash"},
                headers=leader.headers)
    report = client.get("/api/v1/office/payments/reconciliation", headers=leader.headers).get_json()
    assert report["totals"] == {"online": {"count": 1, "amount": 200000},
                                "cash": {"count": 1, "amount": 200000}}
    online_item = next(i for i in report["items"] if i["method"] == "online")
    assert online_item["provider_reference"].startswith("FT") and online_item["fee_receipt"]
    csv = client.get("/api/v1/office/payments/reconciliation.csv", headers=leader.headers)
    assert csv.mimetype == "text/csv" and online_item["provider_reference"] in csv.get_data(as_text=True)
    share = client.get("/api/v1/office/payments/online-share", headers=leader.headers).get_json()
    assert share["items"] == [{"agency_code": leader.user.agency_code, "procedure_code": CRIMINAL,
                               "paid": 2, "paid_online": 1, "online_share": 0.5}]
    unpaid = client.get("/api/v1/office/dossiers?fee_status=unpaid", headers=leader.headers)
    assert unpaid.status_code == 200 and unpaid.get_json()["total"] == 0


def test_payment_requests_are_the_owners_only(client, db, citizen, make_citizen, make_official):
    leader = make_official(procedure=CRIMINAL)
    dossier = unpaid_dossier(db, citizen, leader)
    stranger = make_citizen()
    assert client.post(f"/api/v1/dossiers/{dossier.id}/payment",
                       headers=stranger.headers).status_code == 404
    assert client.post("/api/v1/dossiers/not-a-uuid/payment",
                       headers=citizen.headers).status_code == 404
    payment = open_request(client, citizen, dossier.id)
    assert client.post(f"/api/v1/payments/{payment['id']}/refresh",
                       headers=stranger.headers).status_code == 404
    assert link_id(payment)


def test_an_expired_request_is_closed_and_cancelled_at_the_gateway(app, client, db, citizen,
                                                                  make_official):
    from datetime import timedelta

    from app.services import clock

    leader = make_official(procedure=CRIMINAL)
    dossier = unpaid_dossier(db, citizen, leader)
    first = open_request(client, citizen, dossier.id)
    db.session.rollback()
    row = db.session.query(Payment).filter_by(dossier_id=dossier.id).one()
    row.expires_at = clock.now() - timedelta(minutes=1)
    db.session.commit()
    gateway = app.extensions["payment_provider"]
    assert payments.expire_stale(db.session, gateway) == 1
    assert gateway.status(first["order_code"]).status == "CANCELLED"
    fresh = open_request(client, citizen, dossier.id)  # the next tap gets a new request
    assert fresh["id"] != first["id"] and fresh["status"] == "pending"
