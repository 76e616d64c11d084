"""Phones through the TLS front: each pushes its offline queue in batches over one kept-alive
HTTPS connection, pulls after every acknowledged batch, and records every answer that was
not a success (what its user could notice) and every retry."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from typing import Any

import requests
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from app import create_app
from app.models.catalog import FormVersion, Procedure
from app.models.dossiers import Dossier, DossierEvent
from app.models.sync import ClientState
from app.services import accounts
from tests.factories import sample_values
from tests.hardening.phones import PROCEDURE, OfflinePhone
from tests.servers import TEST_KEY


class FrontPhone(OfflinePhone):
    def __init__(self, *args: Any, cert: str, pull: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cert, self.pull = cert, pull
        self.seen: Counter[str] = Counter()  # answers other than 200, and transport errors
        self.cursor: str | None = None
        self.pulled = 0
        self.last_error = ""

    def sync(self, base_url: Any, deadline: float) -> None:
        """Push until the whole queue is acknowledged: on an error the same batch goes again
        (jittered back-off, as the PWA does); after a 409 from the server's last id."""
        http = requests.Session()  # verify= on each call: REQUESTS_CA_BUNDLE would beat Session.verify
        http.headers["Authorization"] = f"Bearer {self.token}"
        pending, backoff = list(self.queue), 0.0
        while pending:
            if time.monotonic() > deadline:
                self.errors.append(f"gave up with {len(pending)} mutations unacknowledged")
                return
            if backoff:
                time.sleep(backoff)
            self.attempts += 1
            try:
                resp = http.post(base_url() + "/api/v1/sync/push", timeout=30, verify=self.cert,
                                 json={"client_id": self.client_id, "mutations": pending[: self.batch]})
                body = resp.json()
            except (requests.RequestException, ValueError) as exc:
                self.seen[type(exc).__name__] += 1
                self.last_error = repr(exc)[:500]
                backoff = min(1.0, backoff * 2 or 0.05)
                continue
            if resp.status_code != 200:
                self.seen[str(resp.status_code)] += 1
                if resp.status_code == 503 and not resp.headers.get("Retry-After"):
                    self.errors.append("503 without Retry-After")
                if resp.status_code == 409 and "last_mutation_id" in body:
                    pending = [m for m in pending if m["id"] > body["last_mutation_id"]]
                    continue
                if resp.status_code not in (502, 503, 504):
                    self.errors.append(f"{resp.status_code}: {str(body)[:300]}")
                    return
                backoff = min(1.0, backoff * 2 or 0.05)
                continue
            backoff = 0.0
            for result in body["results"]:
                first = self.acked.setdefault(result["id"], result)
                if first["status"] != result["status"]:
                    self.errors.append(f"result of {result['id']} changed on re-send")
            pending = [m for m in pending if m["id"] > body["last_mutation_id"]]
            if self.pull:
                self._pull(http, base_url)
        missing = set(range(1, self.total + 1)) - set(self.acked)
        if missing:
            self.errors.append(f"never saw the results of {sorted(missing)[:5]}")

    def _pull(self, http: requests.Session, base_url: Any) -> None:
        params = {"client_id": self.client_id, **({"cursor": self.cursor} if self.cursor else {})}
        try:
            resp = http.get(base_url() + "/api/v1/sync/pull", params=params, timeout=30, verify=self.cert)
        except requests.RequestException as exc:
            self.seen[f"pull {type(exc).__name__}"] += 1
            return
        if resp.status_code != 200:
            self.seen[f"pull {resp.status_code}"] += 1
            return
        page = resp.json()
        self.cursor = page["cursor"]
        self.pulled += len(page["changes"])


def seed(database_url: str, count: int, submissions: int, batch: int, cert: str) -> list[FrontPhone]:
    """`count` citizens signed in, each with `submissions` dossiers saved and submitted offline."""
    url = database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": TEST_KEY, "JWT_SECRET_KEY": TEST_KEY})
    engine = create_engine(url)
    phones = []
    with app.app_context(), Session(engine) as session:
        proc = session.get(Procedure, PROCEDURE)
        values = sample_values(session.get(FormVersion, (PROCEDURE, proc.current_version)).form)
        for _ in range(count):
            user = accounts.register(session, password="Khong-doan-duoc-42",
                                     phone=f"09{uuid.uuid4().int % 10**8:08d}", full_name="Người dân",
                                     language="vi")
            token = accounts.issue_tokens(session, user)["access_token"]
            phones.append(FrontPhone(token, values, proc.current_version, submissions, batch, cert=cert))
        session.commit()
    engine.dispose()
    return phones


def run(phones: list[FrontPhone], base_url: Any, timeout: float) -> list[threading.Thread]:
    deadline = time.monotonic() + timeout
    threads = [threading.Thread(target=p.sync, args=(base_url, deadline), daemon=True) for p in phones]
    for t in threads:
        t.start()
    return threads


def acknowledged(phones: list[FrontPhone]) -> int:
    return sum(len(p.acked) for p in phones)


def check_exactly_once(database_url: str, phones: list[FrontPhone]) -> None:
    """Every phone's queue acknowledged and applied; every submission stored exactly once."""
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with Session(engine) as session:
            for phone in phones:
                assert not phone.errors, phone.errors[:3]
                assert {r["status"] for r in phone.acked.values()} == {"applied"}
                state = session.get(ClientState, uuid.UUID(phone.client_id))
                assert state is not None and state.last_mutation_id == phone.total
                ids = [uuid.UUID(d) for d in phone.dossiers]
                submitted = session.scalar(select(func.count()).select_from(Dossier).where(
                    Dossier.id.in_(ids), Dossier.status == "submitted"))
                assert submitted == len(ids)
                events = session.execute(select(DossierEvent.dossier_id, func.count())
                                         .where(DossierEvent.action == "submit",
                                                DossierEvent.dossier_id.in_(ids))
                                         .group_by(DossierEvent.dossier_id)).all()
                assert len(events) == len(ids) and {n for _, n in events} == {1}
    finally:
        engine.dispose()
