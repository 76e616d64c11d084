"""Writers and a puller at the same time: every change is pulled exactly once, none skipped
(each page sends every entity its feed rows name once, at its latest state).

Meant for PostgreSQL (READ COMMITTED, real row locks); on SQLite writers are serialised.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from typing import Any

import psycopg
from sqlalchemy import select

from app.models.dossiers import Dossier
from app.models.sync import Change, ClientState
from app.services import lifecycle as lc
from sync.cursor import decode_cursor
from tests.databases import libpq_dsn, postgresql_only
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
    pages: list[tuple[int, int, list[tuple[str, str]]]] = []  # (after, up to, entities sent)

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
            pages.append((decode_cursor(phone.cursor, citizen.id), decode_cursor(body["cursor"], citizen.id),
                          [(c["entity"], c["id"]) for c in body["changes"]]))
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
    # 3 phones x 3 drafts x (create + 6 saves); 4 dossiers x 6 steps x (dossier + most notify)
    assert len(rows) > 60
    # The pages tile the feed (none skipped, none overlapping) and each sends every entity
    # its rows name exactly once.
    assert pages[0][0] == start_seq and pages[-1][1] == rows[-1].seq
    assert all(prev[1] == page[0] for prev, page in zip(pages, pages[1:], strict=False))
    for after, upto, sent in pages:
        named = {(r.entity, r.entity_id) for r in rows if after < r.seq <= upto}
        assert Counter(sent) == Counter(named), (after, upto)
    statuses = {d.status for d in db.session.scalars(
        select(Dossier).where(Dossier.id.in_(ids)))}
    assert statuses == {lc.RETURNED}


@postgresql_only("PostgreSQL's row locks; SQLite serialises writers")
def test_a_first_push_raced_by_another_from_the_same_phone_is_applied_once(app, db, citizen):
    """A phone's first push meets its client row being created by another transaction (a
    retry of the same push on a second connection): it waits for it, then is applied on
    that row, not refused as an unknown account."""
    phone = Phone(app.test_client(), citizen)
    did = uuid.uuid4()
    dsn = libpq_dsn(app)
    other = psycopg.connect(dsn)  # a transaction: the row stays uncommitted until told
    other.execute("INSERT INTO client_states (client_id, user_id, last_mutation_id, created_at, "
                  "updated_at) VALUES (%s, %s, 0, now(), now())", (phone.client_id, citizen.id))
    answers: list[Any] = []
    pushing = threading.Thread(target=lambda: answers.append(phone.send(
        [phone.mutation("dossier.save", save_args(did, {"child_home_town": "Xã Tân Lập"}))])))
    pushing.start()
    with psycopg.connect(dsn, autocommit=True) as watch:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not watch.execute(
                "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query LIKE %s", ("%client_states%",)).fetchone():
            time.sleep(0.02)
    other.commit()  # the push was waiting on this row: it goes on now
    other.close()
    pushing.join(timeout=30)
    assert answers and answers[0].status_code == 200, answers and answers[0].get_json()
    assert answers[0].get_json()["results"][0]["status"] == "applied"
    db.session.expire_all()
    state = db.session.get(ClientState, phone.client_id)
    assert (state.user_id, state.last_mutation_id) == (citizen.id, 1)
    assert db.session.get(Dossier, did).fields["child_home_town"] == "Xã Tân Lập"
