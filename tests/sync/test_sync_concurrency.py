"""Writers and a puller at the same time: every change is pulled exactly once, none skipped.

Meant for PostgreSQL (READ COMMITTED, real row locks); on SQLite writers are serialised.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter

from sqlalchemy import select

from app.models.dossiers import Dossier
from app.models.sync import Change
from app.services import lifecycle as lc
from tests.factories import make_dossier
from tests.sync.helpers import Phone, save_args

OFFICE_STEPS = [("accept", {}), ("start", {}), ("request_fee", {}), ("confirm_fee", {}),
                ("complete", {}), ("return_result", {"result": {"number": "1/KS",
                                                                "method": "desk"}})]


def test_concurrent_writers_and_a_puller_miss_nothing(app, db, citizen, official):
    submitted = [make_dossier(db.session, citizen.user, status=lc.SUBMITTED) for _ in range(4)]
    reader = Phone(app.test_client(), citizen)
    reader.pull_all()
    start_cursor = reader.cursor
    start_seq = db.session.get(type(citizen.user), citizen.id).change_seq
    ids = [d.id for d in submitted]
    db.session.commit()  # the test's session must not hold SQLite's write lock meanwhile
    errors: list[str] = []
    done = threading.Event()
    seen: list[tuple[str, str]] = []

    def phone_writer(n: int) -> None:
        phone = Phone(app.test_client(), citizen)
        dids = [uuid.uuid4() for _ in range(3)]
        for round_ in range(6):
            batch = [phone.mutation("dossier.save",
                                    save_args(d, {"child_home_town": f"Xã {n}-{round_}"}))
                     for d in dids]
            resp = phone.send(batch)
            if resp.status_code != 200:
                errors.append(f"push {resp.status_code} {resp.get_json()}")
                return

    def office_writer(dossier_ids: list[uuid.UUID]) -> None:
        c = app.test_client()
        for action, extra in OFFICE_STEPS:
            for did in dossier_ids:
                resp = c.post(f"/api/v1/office/dossiers/{did}/transitions",
                              json={"action": action, **extra}, headers=official.headers)
                if resp.status_code != 200:
                    errors.append(f"{action} {resp.status_code} {resp.get_json()}")
                    return

    def puller() -> None:
        phone = Phone(app.test_client(), citizen)
        phone.cursor = start_cursor
        while True:
            finished = done.is_set()  # read before pulling: the last pull sees everything
            resp = phone.pull(limit=7)
            if resp.status_code != 200:
                errors.append(f"pull {resp.status_code}")
                return
            body = resp.get_json()
            seen.extend((c["entity"], c["id"]) for c in body["changes"])
            phone.cursor = body["cursor"]
            if finished and not body["has_more"]:
                return

    writers = [threading.Thread(target=phone_writer, args=(n,)) for n in range(3)]
    writers += [threading.Thread(target=office_writer, args=(ids[i::2],))
                for i in range(2)]
    pull_thread = threading.Thread(target=puller)
    pull_thread.start()
    for t in writers:
        t.start()
    deadline = time.monotonic() + 120
    for t in writers:
        t.join(timeout=max(0.1, deadline - time.monotonic()))
    done.set()
    pull_thread.join(timeout=60)
    assert not errors, errors[:3]
    assert not pull_thread.is_alive()

    db.session.expire_all()
    rows = db.session.execute(select(Change.seq, Change.entity, Change.entity_id)
                              .where(Change.user_id == citizen.id, Change.seq > start_seq)
                              .order_by(Change.seq)).all()
    assert [r.seq for r in rows] == list(range(start_seq + 1, start_seq + 1 + len(rows)))
    expected = Counter((r.entity, r.entity_id) for r in rows)
    # 3 phones x 3 drafts x (create + 6 saves); 4 dossiers x 6 steps x (dossier + most notify)
    assert sum(expected.values()) > 60
    assert Counter(seen) == expected  # exactly once each, none skipped
    statuses = {d.status for d in db.session.scalars(
        select(Dossier).where(Dossier.id.in_(ids)))}
    assert statuses == {lc.RETURNED}
