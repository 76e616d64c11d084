"""A real gunicorn killed with SIGKILL mid-stream loses no acknowledged mutation, and the
client's retries apply every mutation exactly once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import func, select

from app.models.dossiers import Dossier
from app.models.sync import ClientState, MutationResult
from tests.hardening.servers import wait_for
from tests.sync.helpers import iso, save_args

ROOT = Path(__file__).resolve().parents[2]
TEST_KEY = "test-secret-key-that-is-long-enough-for-hs256"
BATCHES, BATCH, DRAFTS = 10, 5, 3


class Server:
    """gunicorn on a free port over the test database; `kill()` is a SIGKILL of all of it."""

    def __init__(self, app: Any, log: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
               "SECRET_KEY": TEST_KEY, "JWT_SECRET_KEY": TEST_KEY, "PYTHONUNBUFFERED": "1"}
        env.pop("REDIS_URL", None)
        self.log = log
        with log.open("ab") as fh:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", f"127.0.0.1:{port}",
                 "--workers", "2", "--threads", "2", "--worker-class", "gthread"],
                cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
        self.url = f"http://127.0.0.1:{port}"
        wait_for(self.up, 30, "gunicorn to start")

    def up(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"gunicorn exited: {self.log.read_text()[-2000:]}")
        try:
            return requests.get(self.url + "/readyz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def kill(self, sig: int = signal.SIGKILL) -> None:
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass
        self.proc.wait(10)


def test_sigkill_mid_stream_loses_nothing_acknowledged(app, db, citizen, tmp_path):
    headers = citizen.headers
    db.session.commit()  # the server writes; the test's session must not hold a lock
    log = tmp_path / "gunicorn.log"
    server = Server(app, log)
    current = {"server": server}
    acked: dict[tuple[str, int], dict] = {}  # (client, mutation id) -> result first acknowledged
    errors: list[str] = []
    lock = threading.Lock()
    plans: dict[str, list[list[dict]]] = {}

    for _ in range(2):
        cid = str(uuid.uuid4())
        drafts = [str(uuid.uuid4()) for _ in range(DRAFTS)]
        ids = range(1, BATCHES * BATCH + 1)
        muts = [{"id": i, "name": "dossier.save", "captured_at": iso(datetime.now(UTC)),
                 "args": save_args(drafts[i % DRAFTS], {"child_home_town": f"Thôn {i}"}, 2)}
                for i in ids]
        plans[cid] = [muts[k:k + BATCH] for k in range(0, len(muts), BATCH)]

    def phone(cid: str) -> None:
        for batch in plans[cid]:
            deadline = time.monotonic() + 60
            while True:
                url = current["server"].url
                try:
                    resp = requests.post(url + "/api/v1/sync/push", headers=headers, timeout=15,
                                         json={"client_id": cid, "mutations": batch})
                except requests.RequestException:
                    if time.monotonic() > deadline:
                        errors.append("gave up")
                        return
                    time.sleep(0.02)  # the server is down: poll until it is back
                    continue
                if resp.status_code != 200:
                    errors.append(f"{resp.status_code} {resp.text[:300]}")
                    return
                with lock:
                    for result in resp.json()["results"]:
                        first = acked.setdefault((cid, result["id"]), result)
                        if first != result:
                            errors.append(f"result of {result['id']} changed on re-send")
                break

    threads = [threading.Thread(target=phone, args=(cid,)) for cid in plans]
    for t in threads:
        t.start()
    wait_for(lambda: len(acked) >= 2 * BATCH * 3, 60, "a few acknowledged batches")
    server.kill()  # SIGKILL the master and workers, mid-stream
    acked_at_kill = dict(acked)
    current["server"] = Server(app, log)
    try:
        for t in threads:
            t.join(timeout=120)
        assert not errors, errors[:3]
        assert len(acked_at_kill) < 2 * BATCHES * BATCH  # the kill really was mid-stream
    finally:
        current["server"].kill(signal.SIGTERM)

    db.session.expire_all()
    for cid, batches in plans.items():
        key = uuid.UUID(cid)
        assert db.session.get(ClientState, key).last_mutation_id == BATCHES * BATCH
        stored = db.session.scalar(select(func.count()).select_from(MutationResult)
                                   .where(MutationResult.client_id == key))
        assert stored == BATCHES * BATCH
        muts = [m for b in batches for m in b]
        for d in {m["args"]["dossier_id"] for m in muts}:
            saves = [m for m in muts if m["args"]["dossier_id"] == d]
            dossier = db.session.get(Dossier, uuid.UUID(d))
            assert dossier.version == 1 + len(saves)  # each save applied exactly once
            assert dossier.fields["child_home_town"] == saves[-1]["args"]["fields"][
                "child_home_town"]
    # Everything acknowledged before the kill is still there, with the same result.
    assert all(r["status"] == "applied" for r in acked.values())
    for (cid, mid), result in acked_at_kill.items():
        assert acked[(cid, mid)] == result
