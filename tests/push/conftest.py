"""Push fixtures: a real local push service, and the app pointed at it."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from app.extensions import db as _db
from app.jobs import push_worker
from app.services import vapid
from tests.push.pushservice import Device, PushService
from tests.queues import rq_queue

REDIS_URL = "redis://127.0.0.1:6379/5"
QUEUE = f"hoso-push-test-{os.getpid()}"  # a run of its own, should two run at once


@pytest.fixture(scope="session")
def push_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PushService]:
    service = PushService(tmp_path_factory.mktemp("push-tls"))
    yield service
    service.close()


@dataclass
class PushEnv:
    service: PushService
    public_key: str


def wait_idle(app: Any, timeout: float = 20.0) -> None:
    """Until the app's in-process push worker has nothing due and nothing running."""
    release()
    worker = push_worker.in_process_worker(app)
    deadline = time.monotonic() + timeout
    while not worker.idle():
        assert time.monotonic() < deadline, "the in-process push worker did not settle"
        time.sleep(0.02)


@pytest.fixture()
def push_env(app: Any, db: Any, push_service: PushService,
             monkeypatch: pytest.MonkeyPatch) -> Iterator[PushEnv]:
    push_service.reset()
    key = vapid.generate_private_key()
    monkeypatch.setitem(app.config, "PUSH_ALLOWED_HOSTS",
                        [*app.config["PUSH_ALLOWED_HOSTS"], f"localhost:{push_service.port}"])
    monkeypatch.setitem(app.config, "PUSH_CA_BUNDLE", str(push_service.ca))
    monkeypatch.setitem(app.config, "VAPID_PRIVATE_KEY", vapid.private_raw(key))
    monkeypatch.setitem(app.config, "VAPID_SUBJECT", "mailto:ops@hoso.test")
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    monkeypatch.setitem(app.config, "PUSH_RETRY_BASE_SECONDS", 0.2)
    # The periodic sweep is tested explicitly; it must not race the tests that call it.
    monkeypatch.setitem(app.config, "PUSH_SWEEP_SECONDS", 3600)
    worker = push_worker.in_process_worker(app)
    worker.next_sweep = max(worker.next_sweep, time.monotonic() + 3600)
    monkeypatch.delitem(app.extensions, "hoso_vapid", raising=False)
    yield PushEnv(push_service, vapid.VapidKeys(key, "mailto:x@y.z").public_key)
    wait_idle(app)


@pytest.fixture()
def rq_env(app: Any, push_env: PushEnv, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Deliveries go through RQ on the local Redis (db 5, queue hoso-push-test)."""
    with rq_queue(app, monkeypatch, REDIS_URL, QUEUE) as queue:
        yield queue
        for job_id in queue.scheduled_job_registry.get_job_ids():
            queue.scheduled_job_registry.remove(job_id, delete_job=True)


def release() -> None:
    """End the test's own transaction. The test shares its session with the requests it makes,
    and on SQLite every open transaction holds the write lock the push worker needs."""
    _db.session.rollback()


def subscribe(client: Any, actor: Any, device: Device, **extra: Any) -> Any:
    resp = client.post("/api/v1/push/subscriptions", json=device.subscription(**extra),
                       headers=actor.headers)
    release()
    return resp


def transition(client: Any, official: Any, dossier: Any, action: str, **body: Any) -> Any:
    resp = client.post(f"/api/v1/office/dossiers/{dossier.id}/transitions",
                       json={"action": action, **body}, headers=official.headers)
    release()
    assert resp.status_code == 200, resp.get_json()
    return resp
