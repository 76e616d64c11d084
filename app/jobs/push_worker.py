"""Who runs background work: RQ workers when REDIS_URL is set, else threads of the app process.

Deliveries are handed over only after the transaction that wrote them commits; if the
hand-over fails (Redis down, process killed) the rows stay in the outbox and the sweep
(`flask --app wsgi push deliver`, and every PUSH_SWEEP_SECONDS in the workers) finds them.
The same periodic sweep expires abandoned uploads (`upload_sweep.run_if_due`).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db
from app.jobs import push_delivery, upload_sweep
from app.models.base import utcnow
from app.services import push

log = logging.getLogger(__name__)
SWEEP_SECONDS = 60.0


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    ids = session.info.pop(push.PENDING_KEY, None)
    if ids and has_app_context():
        dispatch(current_app._get_current_object(), ids)  # type: ignore[attr-defined]


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(push.PENDING_KEY, None)


def dispatch(app: Flask, ids: Iterable[uuid.UUID | str], delay: float = 0.0) -> None:
    """Hand deliveries to the configured worker; a failure here only delays them to the sweep."""
    ids = [str(i) for i in ids]
    try:
        if app.config.get("REDIS_URL"):
            _enqueue(rq_queue(app), ids, delay)
        else:
            in_process_worker(app).submit(ids, delay)
    except Exception:  # noqa: BLE001 - the outbox row is the source of truth
        log.exception("could not hand %d push deliveries to a worker; the sweep will", len(ids))


def process(app: Flask, delivery_id: uuid.UUID | str, *, reschedule: bool = True) -> push.Outcome:
    """Run one delivery (inside an app context) and schedule its retry if one is due later."""
    try:
        outcome = push_delivery.deliver(app, uuid.UUID(str(delivery_id)))
    except Exception:
        db.session.rollback()
        raise
    if reschedule and outcome.retry_in is not None:
        dispatch(app, [delivery_id], outcome.retry_in)
    return outcome


# Other sweeps the workers run with the push sweep: (name, task) (app/jobs/document_signing.py).
PERIODIC: list[tuple[str, Callable[[Flask], Any]]] = []


def periodic(app: Flask) -> None:
    """The periodic sweep: push deliveries due or stranded, upload expiry when it is due, then
    the sweeps registered in PERIODIC."""
    tasks = (
        ("push sweep", lambda app: sweep(app, inline=False)),
        ("upload expiry", upload_sweep.run_if_due),
        *PERIODIC,
    )
    for name, task in tasks:
        try:
            task(app)
        except Exception:  # noqa: BLE001 - one failing task must not stop the others
            log.exception("%s failed", name)


def ensure_sweeping(app: Flask) -> None:
    """Make sure something sweeps for this process: the RQ worker command does when REDIS_URL
    is set, else this process's own threads (started here if nothing else started them)."""
    if not app.config.get("REDIS_URL"):
        in_process_worker(app).start()


def sweep(app: Flask, *, inline: bool, limit: int = 500) -> dict[str, int]:
    """Retry every due delivery: inline (CLI), or by handing them to the workers."""
    ids = push.due_ids(db.session, utcnow(), limit)
    db.session.rollback()
    counts: dict[str, int] = {}
    if not inline:
        if ids:
            dispatch(app, ids)
        return {"queued": len(ids)}
    for delivery_id in ids:
        state = process(app, delivery_id, reschedule=False).state
        counts[state] = counts.get(state, 0) + 1
    return counts


# ---- RQ ----------------------------------------------------------------------------------

_job_app: Flask | None = None


def bind_worker_app(app: Flask | None) -> None:
    """Make RQ jobs of this process run against `app` (the worker command, tests)."""
    global _job_app
    _job_app = app


def rq_queue(app: Flask) -> Any:
    from redis import Redis
    from rq import Queue

    key = "hoso_push_rq"
    cached = app.extensions.get(key)
    name = app.config.get("PUSH_QUEUE") or os.environ.get("PUSH_QUEUE", "hoso-push")
    if cached is None or cached[0] != (app.config["REDIS_URL"], name):
        conn = Redis.from_url(app.config["REDIS_URL"], socket_timeout=5, socket_connect_timeout=2)
        cached = ((app.config["REDIS_URL"], name), Queue(name, connection=conn))
        app.extensions[key] = cached
    return cached[1]


def _enqueue(queue: Any, ids: list[str], delay: float) -> None:
    """One job per delivery. The job id makes a second hand-over of a delivery already queued
    (a sweep, another worker starting) a no-op; a retry gets its own id, as its job is
    scheduled while the current one still runs."""
    from rq.exceptions import DuplicateJobError

    if delay > 0:
        delay += 1.0  # RQ's scheduler keeps whole seconds: never run a retry before it is due
    due_ms = int((time.time() + delay) * 1000)
    for delivery_id in ids:
        job_id = f"hoso-push-{delivery_id}" + (f"-{due_ms}" if delay > 0 else "")
        options = {"job_id": job_id, "unique": True, "result_ttl": 0, "failure_ttl": 300}
        try:
            if delay > 0:
                queue.enqueue_in(timedelta(seconds=delay), deliver_job, delivery_id, **options)
            else:
                queue.enqueue(deliver_job, delivery_id, **options)
        except DuplicateJobError:
            pass


def job_app() -> Flask:
    """The app RQ jobs of this process run against (bound by the worker command, or built)."""
    global _job_app
    if _job_app is None:
        from app import create_app

        _job_app = create_app()
    return _job_app


def deliver_job(delivery_id: str) -> str:
    """The RQ job: one delivery attempt."""
    app = job_app()
    with app.app_context():
        return process(app, delivery_id).state


# ---- In-process worker ---------------------------------------------------------------------

_STOP = object()


class InProcessWorker:
    """A few daemon threads with a timer heap: deliveries due now or later, plus a sweep."""

    def __init__(self, app: Flask, threads: int = 2) -> None:
        self.app, self.size = app, threads
        self.heap: list[tuple[float, int, str]] = []
        self.cv = threading.Condition()
        self.counter = itertools.count()
        self.threads: list[threading.Thread] = []
        self.next_sweep = time.monotonic() + _sweep_seconds(app)
        self.busy = 0
        self.stopping = False

    def submit(self, ids: Iterable[str], delay: float = 0.0) -> None:
        due = time.monotonic() + max(delay, 0.0)
        with self.cv:
            for delivery_id in ids:
                heapq.heappush(self.heap, (due, next(self.counter), str(delivery_id)))
            if not self.threads:
                for n in range(self.size):
                    thread = threading.Thread(target=self._run, name=f"push-{n}", daemon=True)
                    self.threads.append(thread)
                    thread.start()
            self.cv.notify_all()

    def start(self) -> None:
        """Start the threads (and so the periodic sweep) with nothing to deliver yet."""
        self.submit([])

    def stop(self, timeout: float = 10.0) -> None:
        """End the threads once they finish what they run (tests; a process shutting down)."""
        with self.cv:
            self.stopping = True
            self.cv.notify_all()
        for thread in self.threads:
            thread.join(timeout)
        with _workers_lock:
            if _workers.get(id(self.app), (0, None))[1] is self:
                del _workers[id(self.app)]

    def idle(self) -> bool:
        """Nothing due now and nothing running (for tests and graceful shutdown)."""
        with self.cv:
            due = bool(self.heap) and self.heap[0][0] <= time.monotonic()
            return not due and self.busy == 0

    def _next(self) -> object:
        with self.cv:
            while True:
                if self.stopping:
                    return _STOP
                now = time.monotonic()
                if self.heap and self.heap[0][0] <= now:
                    self.busy += 1
                    return heapq.heappop(self.heap)[2]
                if now >= self.next_sweep:
                    self.next_sweep = now + _sweep_seconds(self.app)
                    self.busy += 1
                    return None
                wake = min(self.heap[0][0] if self.heap else self.next_sweep, self.next_sweep)
                self.cv.wait(wake - now)

    def _run(self) -> None:
        while True:
            item = self._next()
            if item is _STOP:
                return
            try:
                with self.app.app_context():
                    if item is None:
                        periodic(self.app)
                    else:
                        process(self.app, str(item))
            except Exception:  # noqa: BLE001 - keep the thread alive; the sweep retries
                log.exception("push delivery %s failed", item)
            finally:
                with self.cv:
                    self.busy -= 1


def _sweep_seconds(app: Flask) -> float:
    return float(
        app.config.get("PUSH_SWEEP_SECONDS") or os.environ.get("PUSH_SWEEP_SECONDS") or SWEEP_SECONDS
    )


_workers: dict[int, tuple[int, InProcessWorker]] = {}
_workers_lock = threading.Lock()


def in_process_worker(app: Flask) -> InProcessWorker:
    """This process's worker for `app` (a new one after fork: threads do not survive it)."""
    with _workers_lock:
        found = _workers.get(id(app))
        if found is None or found[0] != os.getpid():
            found = (os.getpid(), InProcessWorker(app))
            _workers[id(app)] = found
        return found[1]


def sweeper(app: Flask) -> None:
    while True:
        time.sleep(_sweep_seconds(app))
        try:
            with app.app_context():
                periodic(app)
        except Exception:  # noqa: BLE001
            log.exception("periodic sweep failed")
