"""One Web Push delivery attempt, a background job that commits its own steps.

A delivery is claimed under a row lock, sent, and marked `sent` in the commit right
after the push service's 201, so a device never gets one notification twice unless
the process dies between that 201 and that commit (docs/push.md).
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from flask import Flask
from pywebpush import WebPusher
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, joinedload

from app.extensions import db
from app.models.base import utcnow
from app.models.push import FAILED, GONE, PENDING, SENDING, SENT, PushAttempt, PushDelivery, PushSubscription
from app.services.push import Message, Outcome, SendResult, payload, setting
from app.services.push_subscriptions import endpoint_problem
from app.services.vapid import keys

log = logging.getLogger(__name__)

_sessions = threading.local()


class _PushHttp(requests.Session):
    """Never follow redirects (a push service has no reason to send us elsewhere), and verify
    TLS with the configured bundle even when REQUESTS_CA_BUNDLE is set in the environment."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kw: Any) -> Any:
        kw["allow_redirects"] = False
        kw.setdefault("verify", self.verify)
        return super().request(method, url, *args, **kw)


def _http(app: Flask) -> requests.Session:
    bundle = setting(app, "PUSH_CA_BUNDLE")
    cached = getattr(_sessions, "by_bundle", None)
    if cached is None:
        cached = _sessions.by_bundle = {}
    if bundle not in cached:
        sess = _PushHttp()
        sess.verify = bundle or True
        cached[bundle] = sess
    return cached[bundle]


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - utcnow()).total_seconds()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), 86400.0)


def send(app: Flask, msg: Message) -> SendResult:
    """POST one encrypted message (aes128gcm) with VAPID, TTL, Urgency and Topic."""
    headers = {"Authorization": keys(app).authorization(msg.endpoint), "Urgency": msg.urgency}
    if msg.topic:
        headers["Topic"] = msg.topic
    timeout = float(setting(app, "PUSH_TIMEOUT_SECONDS"))
    start = time.monotonic()
    try:
        resp = WebPusher(
            {"endpoint": msg.endpoint, "keys": {"p256dh": msg.p256dh, "auth": msg.auth}},
            requests_session=_http(app),
        ).send(msg.payload, headers, ttl=msg.ttl, timeout=(timeout, timeout))
    except requests.RequestException as exc:
        return SendResult(
            None, None, f"{type(exc).__name__}: {exc}"[:500], int((time.monotonic() - start) * 1000)
        )
    ms = int((time.monotonic() - start) * 1000)
    error = None if resp.status_code < 300 else f"{resp.status_code} {resp.reason}: {resp.text[:300]}"
    return SendResult(resp.status_code, _retry_after(resp.headers.get("Retry-After")), error, ms)


def backoff(app: Flask, attempts: int, retry_after: float | None) -> float:
    """Exponential backoff with jitter, never sooner than the push service's Retry-After."""
    base = float(setting(app, "PUSH_RETRY_BASE_SECONDS"))
    delay = min(float(setting(app, "PUSH_RETRY_MAX_SECONDS")), base * 2 ** max(attempts - 1, 0))
    delay *= random.uniform(0.8, 1.2)
    return max(delay, retry_after or 0.0)


def _close(session: Session, row: PushDelivery, state: str, error: str) -> Outcome:
    row.state, row.last_error, row.lease_until, row.claim = state, error, None, None
    session.commit()
    return Outcome(state)


def deliver(app: Flask, delivery_id: uuid.UUID) -> Outcome:
    """Try one delivery now: claim it under a row lock, send, record the outcome."""
    session = db.session
    now = utcnow()
    row = session.scalars(
        select(PushDelivery)
        .where(PushDelivery.id == delivery_id)
        .options(joinedload(PushDelivery.subscription), joinedload(PushDelivery.notification))
        .with_for_update(skip_locked=True, of=PushDelivery)
    ).first()
    if row is None:  # gone, or another worker holds the lock right now
        session.rollback()
        return Outcome("missing")
    if row.state in (SENT, GONE, FAILED) or (
        row.state == SENDING and row.lease_until and row.lease_until > now
    ):
        state = row.state
        session.rollback()
        return Outcome(state)
    if row.state == PENDING and row.next_attempt_at > now:
        wait = (row.next_attempt_at - now).total_seconds()
        session.rollback()
        return Outcome(PENDING, wait)
    sub, note = row.subscription, row.notification
    if sub is None:
        return _close(session, row, GONE, "The subscription was removed.")
    expires = note.created_at + timedelta(seconds=int(setting(app, "PUSH_TTL_SECONDS")))
    if now >= expires:
        return _close(session, row, FAILED, "Expired before it could be delivered.")
    if endpoint_problem(sub.endpoint, app.config["PUSH_ALLOWED_HOSTS"]):
        return _close(session, row, FAILED, "The endpoint is no longer on the allow-list.")
    if row.attempts >= int(setting(app, "PUSH_MAX_ATTEMPTS")):
        return _close(session, row, FAILED, row.last_error or "Too many attempts.")
    claim = uuid.uuid4()
    row.state, row.claim, row.attempts = SENDING, claim, row.attempts + 1
    row.lease_until = now + timedelta(seconds=float(setting(app, "PUSH_LEASE_SECONDS")))
    msg = Message(
        sub.endpoint,
        sub.p256dh,
        sub.auth,
        payload(note),
        ttl=max(1, int((expires - now).total_seconds())),
        urgency=note.urgency if note.urgency in ("very-low", "low", "high") else "normal",
        topic=note.dossier_id.hex if note.dossier_id else None,
    )
    sub_id = sub.id
    session.commit()

    result = send(app, msg)
    return _record(app, delivery_id, claim, sub_id, msg, expires, result)


def _record(
    app: Flask,
    delivery_id: uuid.UUID,
    claim: uuid.UUID,
    sub_id: uuid.UUID,
    msg: Message,
    expires: datetime,
    result: SendResult,
) -> Outcome:
    session = db.session
    now = utcnow()
    row = session.scalars(
        select(PushDelivery).where(PushDelivery.id == delivery_id).with_for_update()
    ).first()
    if row is None:
        session.rollback()
        return Outcome("missing")
    session.add(
        PushAttempt(
            delivery_id=row.id,
            at=now,
            status_code=result.status,
            error=result.error,
            duration_ms=result.duration_ms,
            retry_after=None if result.retry_after is None else int(result.retry_after),
        )
    )
    if row.claim != claim or row.state != SENDING:  # our lease ran out and someone took over
        session.commit()
        return Outcome(row.state)
    row.last_status, row.last_error, row.claim, row.lease_until = (result.status, result.error, None, None)
    status = result.status
    outcome = Outcome(FAILED)
    if status is not None and 200 <= status < 300:
        row.state, row.sent_at, outcome = SENT, now, Outcome(SENT)
        session.execute(
            PushSubscription.__table__.update()
            .where(PushSubscription.id == sub_id)
            .values(last_success_at=now)
        )
    elif status in (404, 410):
        row.state, row.subscription_id, outcome = GONE, None, Outcome(GONE)
        session.execute(
            delete(PushSubscription).where(
                PushSubscription.id == sub_id, PushSubscription.endpoint == msg.endpoint
            )
        )
    elif status is None or status == 429 or status >= 500:
        delay = backoff(app, row.attempts, result.retry_after)
        if row.attempts >= int(setting(app, "PUSH_MAX_ATTEMPTS")):
            row.state = FAILED
        elif now + timedelta(seconds=delay) >= expires:
            row.state, row.last_error = FAILED, f"{result.error} (expired before a retry)"
        else:
            row.state, row.next_attempt_at = PENDING, now + timedelta(seconds=delay)
            outcome = Outcome(PENDING, delay)
    else:
        row.state = FAILED  # 400/401/403/413…: retrying the same request will not help
        log.warning("push delivery %s refused: %s", delivery_id, result.error)
    session.commit()
    return outcome
