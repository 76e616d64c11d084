"""Access tokens end with their session: a revoked refresh-token family revokes the
access tokens issued with it (they carry its id as `fam`).

Every process checks each access token against the families revoked lately. The list is
shared through the database (`refresh_tokens.revoked_at`, indexed) and read again at most
every REVOCATION_POLL_SECONDS (1 s), so a sign-out in one gunicorn worker or node holds in
every other within about a second; the process that revoked a family knows at once. The
per-process token cache (app/tokens.py) only saves verifying a token's signature: this
check runs on every request, cached or not.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from app.extensions import db
from app.models.accounts import RefreshToken

_revoked: dict[str, float] = {}
_state = {"polled": 0.0}
_lock = threading.Lock()
SLACK = 5.0  # seconds of overlap between polls (commits land out of order)


def revoked_now(family_id: str) -> None:
    """This process revoked `family_id`: refuse its access tokens at once."""
    with _lock:
        _revoked[family_id] = time.time()


def is_revoked(payload: dict[str, Any]) -> bool:
    family = payload.get("fam")
    if not isinstance(family, str):
        return False
    _poll()
    return family in _revoked


def _poll() -> None:
    config = current_app.config
    now = time.time()
    every = float(config.get("REVOCATION_POLL_SECONDS", 1.0))
    if now - _state["polled"] < every:
        return
    lifetime = config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds()
    since = max(_state["polled"] - SLACK, now - lifetime - SLACK)
    query = select(RefreshToken.family_id).where(
        RefreshToken.revoked_at >= datetime.fromtimestamp(since, UTC)).distinct()
    try:
        rows = list(db.session.execute(query).scalars())
    except DBAPIError as exc:
        # The request's first statement found its pooled connection dead (the database
        # restarted, a proxy cut it): nothing was done on it yet, so ask again on a fresh one
        # rather than answer 503 for a connection the pool has already replaced.
        if not exc.connection_invalidated:
            raise
        db.session.rollback()
        rows = list(db.session.execute(query).scalars())
    with _lock:
        for family in rows:
            _revoked.setdefault(family, now)
        # An access token outlives its family's revocation by at most its own lifetime.
        for family, at in list(_revoked.items()):
            if at < now - lifetime - SLACK:
                del _revoked[family]
        _state["polled"] = now


def forget() -> None:
    """Tests: start from an empty list."""
    with _lock:
        _revoked.clear()
        _state["polled"] = 0.0


def mark_polled() -> None:
    """Tests: the list was just read (the next request does not read it)."""
    with _lock:
        _state["polled"] = time.time()


