"""An official's decision reaches the citizen's phones: one decrypted push per device."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from typing import Any

import pytest
from rq import SimpleWorker
from sqlalchemy import select

from app.jobs import push_worker
from app.models.catalog import Procedure
from app.models.push import GONE, PENDING, SENDING, SENT, PushAttempt, PushDelivery, PushSubscription
from app.services import lifecycle as lc
from tests.factories import make_dossier
from tests.push.conftest import release, subscribe, transition, wait_idle

# The lock screen shows the status and the procedure, never the receipt code.
TEXT = {
    "vi": ("Cần bổ sung hồ sơ", "{name}: có cập nhật mới. Mở Hồ sơ để xem."),
    "en": ("More information needed", "{name}: there is an update. Open Hoso to see it."),
}


def _deliveries(db: Any) -> list[SimpleNamespace]:
    """A snapshot of the outbox; the read transaction ends at once (see conftest.release)."""
    rows = [SimpleNamespace(
        id=r.id, state=r.state, attempts=r.attempts, subscription_id=r.subscription_id,
        attempt_log=[SimpleNamespace(status_code=a.status_code, at=a.at, error=a.error,
                                     retry_after=a.retry_after) for a in r.attempt_log])
        for r in db.session.scalars(select(PushDelivery).order_by(PushDelivery.created_at))]
    release()
    return rows


def _statuses(row: SimpleNamespace) -> list[int | None]:
    return [a.status_code for a in row.attempt_log]


def _in_progress(db: Any, citizen: Any, official: Any) -> Any:
    return make_dossier(db.session, citizen.user, status=lc.IN_PROGRESS, official=official.user)


@pytest.mark.parametrize("mode,language", [("in-process", "vi"), ("rq", "en")])
def test_supplement_request_pushes_once_to_each_device(
        request: pytest.FixtureRequest, app: Any, db: Any, client: Any, make_citizen: Any,
        official: Any, push_env: Any, mode: str, language: str) -> None:
    queue = request.getfixturevalue("rq_env") if mode == "rq" else None
    service = push_env.service
    citizen, neighbour = make_citizen(language=language), make_citizen()
    dossier = _in_progress(db, citizen, official)
    phone, tablet, other = service.new_device(), service.new_device(), service.new_device()
    assert subscribe(client, citizen, phone, device_id="phone").status_code == 201
    assert subscribe(client, citizen, tablet, device_id="tablet").status_code == 201
    assert subscribe(client, neighbour, other).status_code == 201

    field = next(iter(dossier.fields))
    transition(client, official, dossier, "request_supplement", note="Thiếu bản sao", fields=[field])
    if queue is not None:
        assert len(queue) == 2  # one job per device, enqueued after the commit
        push_worker.sweep(app, inline=False)  # a second hand-over of queued jobs adds nothing
        assert len(queue) == 2
        assert SimpleWorker([queue], connection=queue.connection).work(burst=True)
    service.wait_until(lambda: len(service.received) >= 2)
    wait_idle(app)

    assert [r.status for r in service.for_device(phone)] == [201]
    assert [r.status for r in service.for_device(tablet)] == [201]
    assert service.for_device(other) == []
    name = db.session.get(Procedure, "birth-registration").name[language]
    title, body = TEXT[language]
    for got in service.received:
        assert got.problems == []
        assert got.vapid_key == push_env.public_key
        assert got.claims["aud"] == service.origin and got.claims["sub"] == "mailto:ops@hoso.test"
        assert got.message == {
            "title": title, "body": body.format(name=name),
            "url": f"/#/d/{dossier.id}", "dossier_id": str(dossier.id),
            "notification_id": got.message["notification_id"], "tag": f"dossier-{dossier.id}"}
        assert dossier.receipt_code not in str(got.message)
        assert got.headers["urgency"] == "high"
        assert got.headers["topic"] == dossier.id.hex
        assert 0 < int(got.headers["ttl"]) <= 3 * 86400
    rows = _deliveries(db)
    assert sorted(r.state for r in rows) == [SENT, SENT]
    assert all(_statuses(r) == [201] for r in rows)

    # A later sweep finds nothing to do: the phones never get it twice.
    with app.app_context():
        assert push_worker.sweep(app, inline=True) == {}
    assert len(service.received) == 2


def test_result_ready_is_high_urgency_and_acceptance_normal(
        app: Any, db: Any, client: Any, citizen: Any, official: Any, push_env: Any) -> None:
    service = push_env.service
    dossier = make_dossier(db.session, citizen.user, status=lc.SUBMITTED, official=official.user)
    phone = service.new_device()
    subscribe(client, citizen, phone)
    transition(client, official, dossier, "accept")
    service.wait_until(lambda: len(service.received) == 1)
    transition(client, official, dossier, "start")  # no notification for this one
    transition(client, official, dossier, "complete")
    service.wait_until(lambda: len(service.received) == 2)
    wait_idle(app)
    accepted, ready = service.accepted(phone)
    assert accepted.headers["urgency"] == "normal"
    assert accepted.message["title"] == "Hồ sơ đã được tiếp nhận"
    assert ready.headers["urgency"] == "high"
    assert ready.message["title"] == "Đã có kết quả"
    assert accepted.headers["topic"] == ready.headers["topic"] == dossier.id.hex
    assert len(service.received) == 2


def test_gone_subscription_is_removed_and_busy_services_are_retried(
        app: Any, db: Any, client: Any, citizen: Any, official: Any, push_env: Any) -> None:
    service = push_env.service
    dossier = _in_progress(db, citizen, official)
    busy, broken, gone = service.new_device(), service.new_device(), service.new_device()
    for device, name in ((busy, "busy"), (broken, "broken"), (gone, "gone")):
        assert subscribe(client, citizen, device, device_id=name).status_code == 201
    service.script(busy, (429, {"Retry-After": "1"}))
    service.script(broken, 500)
    service.script(gone, 410)

    transition(client, official, dossier, "complete")
    service.wait_until(lambda: len(service.accepted()) == 2 and len(service.received) == 5)
    wait_idle(app)

    first, second = service.for_device(busy)
    assert (first.status, second.status) == (429, 201)
    assert second.at - first.at >= 1.0  # Retry-After honoured
    assert [r.status for r in service.for_device(broken)] == [500, 201]
    assert [r.status for r in service.for_device(gone)] == [410]
    assert all(r.message["title"] == "Đã có kết quả" for r in service.received)

    rows = {r.id: r for r in _deliveries(db)}
    by_status = {tuple(_statuses(r)): r for r in rows.values()}
    assert by_status[(429, 201)].state == SENT and by_status[(500, 201)].state == SENT
    assert by_status[(410,)].state == GONE and by_status[(410,)].subscription_id is None
    retried = by_status[(429, 201)].attempt_log
    assert retried[0].retry_after == 1 and retried[0].error.startswith("429")
    assert (retried[1].at - retried[0].at).total_seconds() >= 1.0
    devices = db.session.scalars(select(PushSubscription.device_id)).all()
    db.session.commit()
    assert sorted(devices) == ["broken", "busy"]

    # The next update is not even tried on the dead endpoint.
    transition(client, official, dossier, "return_result",
               result={"number": "12/2026", "method": "electronic"})
    service.wait_until(lambda: len(service.accepted()) == 4)
    wait_idle(app)
    assert len(service.for_device(gone)) == 1
    assert len(service.received) == 7


def test_outbox_survives_a_lost_hand_over(app: Any, db: Any, client: Any, citizen: Any,
                                          official: Any, push_env: Any,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Redis unreachable at commit time: the rows wait in the outbox for `push deliver`."""
    service = push_env.service
    dossier = _in_progress(db, citizen, official)
    phone = service.new_device()
    subscribe(client, citizen, phone)
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:9/0")  # nothing listens
    monkeypatch.delitem(app.extensions, "hoso_push_rq", raising=False)
    transition(client, official, dossier, "request_fee")
    assert service.received == []
    assert [r.state for r in _deliveries(db)] == [PENDING]

    result = app.test_cli_runner().invoke(args=["push", "deliver"])
    assert result.exit_code == 0, result.output
    assert "1 deliveries tried (sent 1)" in result.output
    assert [r.message["title"] for r in service.accepted(phone)] == ["Cần nộp phí, lệ phí"]
    again = app.test_cli_runner().invoke(args=["push", "deliver"])
    assert "nothing due" in again.output
    assert len(service.received) == 1


def test_a_delivery_is_claimed_once_even_when_two_workers_race(
        app: Any, db: Any, client: Any, citizen: Any, official: Any, push_env: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    service = push_env.service
    dossier = _in_progress(db, citizen, official)
    phone = service.new_device()
    subscribe(client, citizen, phone)
    monkeypatch.setattr(push_worker, "dispatch", lambda *a, **k: None)  # keep it in the outbox
    transition(client, official, dossier, "complete")
    (row,) = _deliveries(db)
    barrier = threading.Barrier(4)
    states: list[str] = []

    def run() -> None:
        with app.app_context():
            barrier.wait()
            states.append(push_worker.process(app, row.id).state)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    # What each worker saw and what the send recorded, should the push service get nothing.
    assert len(service.received) == 1, (
        states, [(a.status_code, a.error) for a in _deliveries(db)[0].attempt_log])
    assert len(states) == 4 and set(states) <= {SENT, SENDING, "missing"}
    (done,) = _deliveries(db)
    assert done.state == SENT and done.attempts == 1 and _statuses(done) == [201]


def test_a_claim_left_by_a_crashed_worker_is_retried_after_its_lease(
        app: Any, db: Any, client: Any, citizen: Any, official: Any, push_env: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker died after claiming (maybe after the 201): resent once the lease runs out."""
    service = push_env.service
    dossier = _in_progress(db, citizen, official)
    phone = service.new_device()
    subscribe(client, citizen, phone)
    monkeypatch.setattr(push_worker, "dispatch", lambda *a, **k: None)
    transition(client, official, dossier, "complete")
    (row,) = _deliveries(db)
    delivery = db.session.get(PushDelivery, row.id)
    delivery.state, delivery.attempts = SENDING, 1
    delivery.lease_until = delivery.created_at.replace(year=delivery.created_at.year + 1)
    db.session.commit()
    with app.app_context():
        assert push_worker.sweep(app, inline=True) == {}  # lease still held: not touched
    delivery = db.session.get(PushDelivery, row.id)
    delivery.lease_until = delivery.created_at
    db.session.commit()
    with app.app_context():
        assert push_worker.sweep(app, inline=True) == {SENT: 1}
    assert len(service.accepted(phone)) == 1
    (done,) = _deliveries(db)
    assert done.attempts == 2 and _statuses(done) == [201]
    assert db.session.scalar(select(PushAttempt.status_code)) == 201
    db.session.commit()


def test_rq_retries_go_through_the_scheduler(app: Any, db: Any, client: Any, citizen: Any,
                                             official: Any, push_env: Any, rq_env: Any) -> None:
    """A 503 from the push service: the RQ job schedules its retry; the worker's scheduler
    moves it to the queue when due, and the citizen gets the update once."""
    queue, env_service = rq_env, push_env.service
    dossier = _in_progress(db, citizen, official)
    phone = env_service.new_device()
    subscribe(client, citizen, phone)
    env_service.script(phone, 503)
    transition(client, official, dossier, "complete")
    worker = SimpleWorker([queue], connection=queue.connection)
    worker.work(burst=True)
    assert [r.status for r in env_service.for_device(phone)] == [503]
    assert queue.scheduled_job_registry.count == 1 and len(queue) == 0
    deadline = time.monotonic() + 15
    while not env_service.accepted(phone):
        assert time.monotonic() < deadline, "the retry never ran"
        worker.work(burst=True, with_scheduler=True)
        time.sleep(0.05)  # poll interval
    assert [r.status for r in env_service.for_device(phone)] == [503, 201]
    (row,) = _deliveries(db)
    assert row.state == SENT and _statuses(row) == [503, 201]


def test_the_in_process_worker_sweeps_the_outbox(app: Any, db: Any, client: Any, citizen: Any,
                                                 official: Any, push_env: Any,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Deliveries whose hand-over was lost are found by the worker threads' periodic sweep."""
    service = push_env.service
    dossier = _in_progress(db, citizen, official)
    phone = service.new_device()
    subscribe(client, citizen, phone)
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:9/0")  # hand-over fails
    monkeypatch.delitem(app.extensions, "hoso_push_rq", raising=False)
    transition(client, official, dossier, "request_supplement", note="Thiếu giấy",
               fields=[next(iter(dossier.fields))])
    assert [r.state for r in _deliveries(db)] == [PENDING]
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    worker = push_worker.in_process_worker(app)
    worker.next_sweep = time.monotonic()  # the sweep is due now
    worker.submit([])  # wake the threads
    service.wait_until(lambda: len(service.accepted(phone)) == 1)
    wait_idle(app)
    assert [r.state for r in _deliveries(db)] == [SENT]
