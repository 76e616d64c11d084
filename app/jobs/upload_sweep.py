"""The sweep of abandoned uploads, a background job (the periodic sweep in
`push_worker` and `flask uploads expire` run it): each pass commits its own work."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from flask import Flask

from app.extensions import db
from app.services.upload_expiry import EXPIRE_EVERY_SECONDS, expire, remove_orphans
from app.services.upload_store import Settings


def run(app: Flask) -> dict[str, int]:
    """One expiry pass, as the CLI and the periodic sweep run it (inside an app context)."""
    settings = Settings.from_config(app.config)
    session = db.session
    try:
        counts = expire(session, settings)
        session.commit()
        counts["orphan_files"] = remove_orphans(session, settings)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return counts


_last_run: dict[int, tuple[int, float]] = {}
_last_run_lock = threading.Lock()


def run_if_due(app: Flask) -> dict[str, Any] | None:
    """`run`, at most once every UPLOAD_EXPIRE_EVERY_SECONDS in this process (None if not due)."""
    every = float(
        app.config.get("UPLOAD_EXPIRE_EVERY_SECONDS")
        or os.environ.get("UPLOAD_EXPIRE_EVERY_SECONDS")
        or EXPIRE_EVERY_SECONDS
    )
    now = time.monotonic()
    with _last_run_lock:
        pid, last = _last_run.get(id(app), (0, 0.0))
        if pid == os.getpid() and now - last < every:
            return None
        _last_run[id(app)] = (os.getpid(), now)
    return run(app)
