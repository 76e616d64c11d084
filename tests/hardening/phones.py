"""Simulated phones that captured submissions offline and sync them over a bad network,
following the sync contract's retry rules."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

PROCEDURE = "marital-status-confirmation"


class OfflinePhone:
    """One installed app with `submissions` dossiers saved and submitted while offline.

    Its queue is `dossier.save` + `dossier.submit` per dossier (mutation ids 1, 2, …). It
    re-sends the same mutation ids until a response acknowledges them, and after a 409
    starts again from the server's `last_mutation_id` + 1.
    """

    def __init__(self, token: str, values: dict[str, Any], form_version: int, submissions: int,
                 batch: int = 20) -> None:
        self.token, self.batch = token, batch
        self.client_id = str(uuid.uuid4())
        self.dossiers = [str(uuid.uuid4()) for _ in range(submissions)]
        start = datetime.now(UTC) - timedelta(hours=2)
        self.queue: list[dict[str, Any]] = []
        for n, dossier in enumerate(self.dossiers):
            at = (start + timedelta(seconds=n)).isoformat()
            self.queue.append({"name": "dossier.save", "captured_at": at, "args": {
                "dossier_id": dossier, "procedure_code": PROCEDURE, "form_version": form_version,
                "base_version": None, "fields": values}})
            self.queue.append({"name": "dossier.submit", "captured_at": at,
                               "args": {"dossier_id": dossier}})
        for i, m in enumerate(self.queue, start=1):
            m["id"] = i
        self.total = len(self.queue)
        self.acked: dict[int, dict[str, Any]] = {}
        self.attempts = 0
        self.failures: list[str] = []
        self.errors: list[str] = []

    def sync(self, base_url: Callable[[], str], deadline: float) -> None:
        """Push until the whole queue is acknowledged (or the deadline passes)."""
        rng = random.Random(self.client_id)
        headers = {"Authorization": f"Bearer {self.token}", "Connection": "close"}
        pending = list(self.queue)
        backoff = 0.0
        while pending:
            if time.monotonic() > deadline:
                self.errors.append(f"gave up with {len(pending)} mutations unacknowledged")
                return
            if backoff:
                time.sleep(backoff * rng.random())  # jittered back-off, as the PWA does
            batch = pending[: self.batch]
            self.attempts += 1
            try:
                resp = requests.post(base_url() + "/api/v1/sync/push", headers=headers, timeout=30,
                                     json={"client_id": self.client_id, "mutations": batch})
                body = resp.json()
            except (requests.RequestException, ValueError) as exc:
                self.failures.append(type(exc).__name__)
                backoff = min(1.0, backoff * 2 or 0.05)
                continue  # the same mutation ids go again
            if resp.status_code == 409 and "last_mutation_id" in body:
                last = body["last_mutation_id"]
            elif resp.status_code in (502, 503, 504):
                self.failures.append(str(resp.status_code))
                backoff = min(1.0, backoff * 2 or 0.05)
                continue
            elif resp.status_code != 200:
                self.errors.append(f"{resp.status_code}: {str(body)[:300]}")
                return
            else:
                last = body["last_mutation_id"]
                for result in body["results"]:
                    first = self.acked.setdefault(result["id"], result)
                    if first["status"] != result["status"]:
                        self.errors.append(f"result of {result['id']} changed on re-send")
            backoff = 0.0
            pending = [m for m in pending if m["id"] > last]
        missing = set(range(1, self.total + 1)) - set(self.acked)
        if missing:
            self.errors.append(f"never saw the results of {sorted(missing)[:5]}")


def run_phones(phones: list[OfflinePhone], base_url: Callable[[], str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    threads = [threading.Thread(target=p.sync, args=(base_url, deadline)) for p in phones]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout + 30)
