"""A real gunicorn killed with SIGKILL mid-stream loses no acknowledged mutation, and the
client's retries apply every mutation exactly once."""

from __future__ import annotations

import signal
import threading
import time
import uuid
from datetime import UTC, datetime

import requests
from sqlalchemy import func, select

from app.models.dossiers import Dossier
from app.models.sync import ClientState, MutationResult
from tests.servers import Gunicorn, wait_for
from tests.sync.helpers import iso, save_args

BATCHES, BATCH, DRAFTS = 10, 5, 3


def test_sigkill_mid_stream_loses_nothing_acknowledged(app, db, citizen, tmp_path):
    headers = citizen.headers
    db.session.commit()  # the server writes; the test's session must not hold a lock
    database_url = app.config["SQLALCHEMY_DATABASE_URI"]
    server = Gunicorn(database_url, tmp_path, workers=2, threads=2)
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

    threads = [threading.Thread(target=phone, args=(cid,), daemon=True) for cid in plans]
    try:  # whatever fails, the server running then is stopped (none outlives the test)
        for t in threads:
            t.start()
        wait_for(lambda: len(acked) >= 2 * BATCH * 3, 60, "a few acknowledged batches")
        server.stop(signal.SIGKILL)  # the master and workers, mid-stream
        acked_at_kill = dict(acked)
        current["server"] = Gunicorn(database_url, tmp_path, workers=2, threads=2)
        for t in threads:
            t.join(timeout=120)
        assert not errors, errors[:3]
        assert len(acked_at_kill) < 2 * BATCHES * BATCH  # the kill really was mid-stream
    finally:
        current["server"].stop()

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
