"""The app's background queue on the local Redis, for the tests that run an RQ worker."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from app.jobs import push_worker


@contextmanager
def rq_queue(app: Any, monkeypatch: pytest.MonkeyPatch, redis_url: str, name: str) -> Iterator[Any]:
    """Jobs of `app` go to queue `name` on `redis_url`, emptied before and after; RQ jobs run
    in this process (a `SimpleWorker` the test starts) run against `app`."""
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    monkeypatch.setitem(app.config, "PUSH_QUEUE", name)
    monkeypatch.delitem(app.extensions, "hoso_push_rq", raising=False)
    queue = push_worker.rq_queue(app)
    queue.empty()
    push_worker.bind_worker_app(app)
    try:
        yield queue
    finally:
        queue.empty()
        push_worker.bind_worker_app(None)
        monkeypatch.delitem(app.extensions, "hoso_push_rq", raising=False)
