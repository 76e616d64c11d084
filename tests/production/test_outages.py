"""PostgreSQL and Redis restarted under the production shape while phones push: the app
answers 503 with Retry-After while the database is gone (never 500), recovers by itself,
applies everything exactly once, and push deliveries queued in Redis are delivered once."""

from __future__ import annotations

import os
import signal
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from app import create_app
from app.models.catalog import Procedure
from app.models.push import SENT, PushDelivery
from app.services import accounts
from app.services import lifecycle as lc
from tests.factories import make_dossier
from tests.production.phones import acknowledged, check_exactly_once, run, seed
from tests.production.shape import Shape, unhandled
from tests.servers import TEST_KEY, wait_for

# The production shape starts once (about 100 s on a loaded machine) within the first test.
pytestmark = pytest.mark.timeout(600)

PHONES, SUBMISSIONS, BATCH = 20, 8, 4


def _finish(threads: list[Any], timeout: float = 240) -> None:
    for t in threads:
        t.join(timeout)
    assert all(not t.is_alive() for t in threads), "phones still syncing"


def test_postgres_restart_is_503_with_retry_after_then_recovers(shape: Shape, private_pg: Any) -> None:
    phones = seed(shape.env["DATABASE_URL"], PHONES, SUBMISSIONS, BATCH, shape.cert)
    total = sum(p.total for p in phones)
    threads = run(phones, lambda: shape.url, timeout=240)
    wait_for(lambda: acknowledged(phones) >= total // 4, 120, "a quarter acknowledged", interval=0.01)
    acked_before = acknowledged(phones)
    private_pg.restart("immediate")  # a crash, then recovery from the WAL
    _finish(threads)
    seen = sum((p.seen for p in phones), start=Counter())
    print(f"\nacknowledged before the restart: {acked_before}/{total}; answers other than 200: {dict(seen)}")
    assert acked_before < total, "the restart came after the end"
    assert seen["503"] > 0, "no request met the outage"  # and each carried Retry-After (phones check)
    assert set(seen) <= {"503", "pull 503"}, dict(seen)  # never a 500
    assert shape.ready()  # the same nodes answer again, with no restart
    check_exactly_once(shape.env["DATABASE_URL"], phones)
    assert not unhandled(shape)


def _push_case(shape: Shape, dossiers: int, *, status: str = lc.IN_PROGRESS,
               phone: str = "0988000111", email: str = "leader@office.test",
               ) -> tuple[str, str, list[tuple[str, str]]]:
    """A citizen with `dossiers` dossiers in `status` and an official of their agency."""
    url = shape.env["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": TEST_KEY, "JWT_SECRET_KEY": TEST_KEY})
    engine = create_engine(url)
    with app.app_context(), Session(engine) as session:
        citizen = accounts.register(session, password="Khong-doan-duoc-42", phone=phone,
                                    full_name="Trần Thị Bình", language="vi")
        agency = session.get(Procedure, "birth-registration").agency_code
        official = accounts.create_official(session, email=email,
                                            password="Can-bo-mot-cua-2026", full_name="Cán bộ",
                                            agency_code=agency, role="leader")
        made = [make_dossier(session, citizen, status=status, official=official)
                for _ in range(dossiers)]
        ids = [(str(d.id), next(iter(d.fields))) for d in made]
        tokens = (accounts.issue_tokens(session, citizen)["access_token"],
                  accounts.issue_tokens(session, official)["access_token"])
        session.commit()
    engine.dispose()
    return tokens[0], tokens[1], ids


def _outbox(shape: Shape) -> Counter[str]:
    engine = create_engine(shape.env["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with Session(engine) as session:
            return Counter(session.scalars(select(PushDelivery.state)))
    finally:
        engine.dispose()


def test_the_worker_signs_a_receipt_after_its_accept_answered(shape: Shape) -> None:
    """Through nginx and a node: the accept answers, then the RQ worker signs its receipt
    (the nodes have REDIS_URL); the citizen opens it, and /verify says it is valid."""
    with ThreadPoolExecutor(1) as pool:
        citizen, official, dossiers = pool.submit(
            _push_case, shape, 1, status=lc.SUBMITTED, phone="0988000222",
            email="receipts@office.test").result()
    http = shape.session()
    dossier_id = dossiers[0][0]
    accept = http.post(f"{shape.url}/api/v1/office/dossiers/{dossier_id}/transitions",
                       json={"action": "accept"}, headers={"Authorization": f"Bearer {official}"})
    assert accept.status_code == 200, accept.text
    mine = {"Authorization": f"Bearer {citizen}"}

    def receipt() -> dict[str, Any] | None:
        items = http.get(f"{shape.url}/api/v1/dossiers/{dossier_id}/issued", headers=mine).json()["items"]
        found = [i for i in items if i["kind"] == "receipt"]
        return found[0] if found and found[0]["ready"] else None

    wait_for(lambda: receipt() is not None, 60, "the receipt signed by the worker", interval=0.5)
    doc = receipt()
    assert doc is not None and doc["signed_at"] >= doc["issued_at"]
    pdf = http.get(shape.url + doc["pdf_url"], headers=mine)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    verdict = http.get(f"{shape.url}/verify/{doc['code']}", headers={"Accept": "application/json"}).json()
    assert verdict["state"] == "valid", verdict


def test_redis_restart_loses_no_queued_push_and_phones_carry_on(
        shape: Shape, private_redis: Any, shape_push: Any) -> None:
    # In a thread of its own: accepting a dossier signs its receipt (pyHanko runs asyncio),
    # and a browser test's Playwright loop may still run in this one.
    with ThreadPoolExecutor(1) as pool:
        citizen, official, dossiers = pool.submit(_push_case, shape, 6).result()
    http = shape.session()
    device = shape_push.new_device()
    resp = http.post(shape.url + "/api/v1/push/subscriptions", json=device.subscription(),
                     headers={"Authorization": f"Bearer {citizen}"})
    assert resp.status_code == 201, resp.text
    sent_before = _outbox(shape)[SENT]
    worker = int((shape.dir / "run" / "worker.pid").read_text())
    phones = seed(shape.env["DATABASE_URL"], PHONES, SUBMISSIONS, BATCH, shape.cert)
    threads = run(phones, lambda: shape.url, timeout=240)

    def complete(dossier: tuple[str, str]) -> None:
        r = http.post(f"{shape.url}/api/v1/office/dossiers/{dossier[0]}/transitions",
                      json={"action": "request_supplement", "note": "Thiếu bản sao", "fields": [dossier[1]]},
                      headers={"Authorization": f"Bearer {official}"})
        assert r.status_code == 200, r.text

    os.killpg(worker, signal.SIGSTOP)  # the worker paused: deliveries wait in Redis
    try:
        for dossier in dossiers[:3]:
            complete(dossier)
        private_redis.stop()  # a clean shutdown: the queued deliveries are in its append-only file
        for dossier in dossiers[3:]:
            complete(dossier)  # Redis down: committed; the worker's sweep hands them over later
        private_redis.start()
    finally:
        os.killpg(worker, signal.SIGCONT)
    shape_push.wait_until(lambda: len(shape_push.accepted(device)) >= len(dossiers), timeout=60)
    expected = {SENT: sent_before + len(dossiers)}  # other tests' deliveries were sent before
    wait_for(lambda: _outbox(shape) == expected, 30, "every delivery marked sent")
    _finish(threads)
    assert len(shape_push.accepted(device)) == len(dossiers)  # once each: sent rows are never resent
    check_exactly_once(shape.env["DATABASE_URL"], phones)
    assert not unhandled(shape)
