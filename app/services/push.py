"""Web Push: the transactional outbox and what a delivery sends.

A notification's deliveries are written in the transaction that creates it (the
listener below); after commit they are handed to a worker (`app/jobs/push_worker.py`),
which tries each one (`app/jobs/push_delivery.py`).
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from app.models.base import utcnow
from app.models.notifications import Notification
from app.models.push import PENDING, SENDING, PushDelivery, PushSubscription
from app.services import links, notifications

log = logging.getLogger(__name__)

# Tunables: app.config first, then the environment, then these defaults.
DEFAULTS: dict[str, Any] = {
    "PUSH_TTL_SECONDS": 3 * 86400,  # how long a push service keeps an undelivered message
    "PUSH_RETRY_BASE_SECONDS": 30.0,  # first retry delay; doubles on each further failure
    "PUSH_RETRY_MAX_SECONDS": 3600.0,
    "PUSH_MAX_ATTEMPTS": 10,
    "PUSH_TIMEOUT_SECONDS": 10.0,  # connect and read timeout towards the push service
    "PUSH_LEASE_SECONDS": 120.0,  # a claimed delivery is retried after this if never recorded
    "PUSH_MAX_DEVICES": 10,  # subscriptions kept per citizen, newest first
    "PUSH_CA_BUNDLE": None,  # extra CA bundle for push services (tests, private PKI)
}
MAX_PAYLOAD_BYTES = 3072  # well under the 4 KB a push service accepts after encryption
PENDING_KEY = "hoso_push_pending"


def setting(app: Any, name: str) -> Any:
    """A tunable: the app's config first, then the environment, then DEFAULTS."""
    if app.config.get(name) is not None:
        return app.config[name]
    default = DEFAULTS[name]
    env = os.environ.get(name)
    if env is None or default is None:
        return env if env is not None else default
    return type(default)(env)


# ---- The outbox ----------------------------------------------------------------------------


def on_notification(session: Session, note: Notification) -> None:
    """Write one delivery per subscribed device, in the notification's own transaction."""
    created = note.created_at or utcnow()
    ids = []
    for sub_id in session.scalars(
        select(PushSubscription.id).where(PushSubscription.user_id == note.user_id)
    ):
        delivery = PushDelivery(
            id=uuid.uuid4(),
            notification_id=note.id,
            subscription_id=sub_id,
            state=PENDING,
            attempts=0,
            next_attempt_at=created,
        )
        session.add(delivery)
        ids.append(delivery.id)
    if ids:
        session.flush()
        # Handed to a worker only once the transaction commits (push_worker's hook).
        session.info.setdefault(PENDING_KEY, []).extend(ids)


if on_notification not in notifications.listeners:
    notifications.listeners.append(on_notification)


def due_ids(session: Session, now: datetime, limit: int = 500) -> list[uuid.UUID]:
    """Deliveries a sweep should (re)try: due ones, and claims whose worker vanished."""
    return list(
        session.scalars(
            select(PushDelivery.id)
            .where(
                or_(
                    and_(PushDelivery.state == PENDING, PushDelivery.next_attempt_at <= now),
                    and_(PushDelivery.state == SENDING, PushDelivery.lease_until <= now),
                )
            )
            .order_by(PushDelivery.next_attempt_at)
            .limit(limit)
        )
    )


# ---- One delivery ------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    endpoint: str
    p256dh: str
    auth: str
    payload: bytes
    ttl: int
    urgency: str
    topic: str | None


@dataclass(frozen=True)
class SendResult:
    status: int | None
    retry_after: float | None = None
    error: str | None = None
    duration_ms: int = 0


@dataclass(frozen=True)
class Outcome:
    state: str
    retry_in: float | None = None  # seconds until the delivery should be tried again


def payload(note: Notification) -> bytes:
    """What the lock screen may show: the status and the procedure's name (no receipt code,
    date or personal data; the app shows those), where to go, and the dossier id."""
    dossier_id = str(note.dossier_id) if note.dossier_id else None
    url = links.dossier(dossier_id)
    body = (note.data or {}).get("lock_screen") or note.title
    data = {
        "title": note.title[:120],
        "body": body[:240],
        "url": url if url.startswith("/") and not url.startswith("//") else "/",
        "dossier_id": dossier_id,
        "notification_id": str(note.id),
        "tag": f"dossier-{dossier_id}" if dossier_id else f"notification-{note.id}",
    }
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    if len(raw) > MAX_PAYLOAD_BYTES:
        data["body"] = data["body"][:80]
        raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return raw
