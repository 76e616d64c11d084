"""PostgreSQL crashes and restarts while phones sync: the running gunicorn recovers by itself,
nothing it acknowledged is lost, and every submission is applied exactly once.

The test runs its own PostgreSQL cluster (a temporary folder, a free port), never the
machine's shared server. Only PostgreSQL goes down (`pg_ctl restart -m immediate`, the same
recovery as after a crash); the operating system keeps its page cache, so fsync is off.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from app.models import Base
from app.models.catalog import FormVersion, Procedure
from app.models.dossiers import Dossier, DossierEvent
from app.models.sync import ClientState
from app.services import accounts, catalog
from tests.databases import postgresql_only
from tests.factories import sample_values
from tests.hardening.phones import PROCEDURE, OfflinePhone
from tests.hardening.servers import PrivatePostgres, postgres_bin, private_postgres
from tests.servers import Gunicorn, wait_for

PHONES, SUBMISSIONS, BATCH = 12, 15, 6

pytestmark = [
    pytest.mark.skipif(postgres_bin() is None,
                       reason="no PostgreSQL server binaries (/usr/lib/postgresql/*/bin)"),
    # It brings its own cluster whatever the suite's database: run it once, in the
    # PostgreSQL pass of the suite.
    postgresql_only("runs in the PostgreSQL pass (it starts its own PostgreSQL)"),
]


@pytest.fixture()
def private_pg() -> Iterator[PrivatePostgres]:
    with private_postgres("hoso-hard-pg-") as pg:
        yield pg


def _seed(app: Any, url: str, count: int) -> tuple[list[OfflinePhone], Any]:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1), pool_pre_ping=True)
    Base.metadata.create_all(engine)
    with app.app_context(), Session(engine) as session:
        catalog.load_demo(session)
        proc = session.get(Procedure, PROCEDURE)
        values = sample_values(session.get(FormVersion, (PROCEDURE, proc.current_version)).form)
        phones = []
        for n in range(count):
            user = accounts.register(session, password="Khong-doan-duoc-42", phone=f"0977{n:06d}",
                                     full_name=f"Người {n}", language="vi")
            token = accounts.issue_tokens(session, user)["access_token"]
            phones.append(OfflinePhone(token, values, proc.current_version, SUBMISSIONS, BATCH))
        session.commit()
    return phones, engine


def test_postgres_restart_mid_stream_loses_nothing_acknowledged(app, private_pg, tmp_path):
    assert private_pg.port != 5432  # never the machine's shared server
    phones, engine = _seed(app, private_pg.url, PHONES)
    server = Gunicorn(private_pg.url, tmp_path, workers=2, threads=4)
    total = sum(p.total for p in phones)
    deadline = time.monotonic() + 120
    threads = [threading.Thread(target=p.sync, args=(lambda: server.url, deadline)) for p in phones]
    try:  # whatever fails, the server is stopped (none outlives the test)
        pids_before = _worker_pids(server)
        for t in threads:
            t.start()
        wait_for(lambda: sum(len(p.acked) for p in phones) >= total // 4, 60,
                 "a quarter of the mutations to be acknowledged", interval=0.01)
        acked_before = {(p.client_id, i): r["status"] for p in phones for i, r in
                        list(p.acked.items())}
        private_pg.restart("immediate")  # a crash, then recovery from the WAL
        for t in threads:
            t.join(150)
        assert all(not t.is_alive() for t in threads)
        # The same gunicorn (same workers: none crashed) answers again, without a restart.
        assert requests.get(server.url + "/readyz", timeout=5).status_code == 200
        assert _worker_pids(server) == pids_before
        log = server.output()
    finally:
        server.stop()
    retried = [f for p in phones for f in p.failures]
    print(f"\nacknowledged before the restart: {len(acked_before)}/{total}; "
          f"failed attempts during it: {dict(Counter(retried))}")
    assert len(acked_before) < total, "the restart came after the end"
    assert retried, "no request met the restart"  # the outage was real and seen
    assert "unhandled error" not in log, log  # the outage was answered 503, never 500
    with Session(engine) as session:
        for phone in phones:
            assert not phone.errors, phone.errors[:3]
            assert {r["status"] for r in phone.acked.values()} == {"applied"}
            state = session.get(ClientState, uuid.UUID(phone.client_id))
            assert state.last_mutation_id == phone.total
        for client_id, mutation_id in acked_before:  # acknowledged before the crash: still there
            phone = next(p for p in phones if p.client_id == client_id)
            dossier = session.get(Dossier, uuid.UUID(phone.dossiers[(mutation_id - 1) // 2]))
            assert dossier is not None
            if mutation_id % 2 == 0:
                assert dossier.status == "submitted"
        expected = PHONES * SUBMISSIONS
        assert session.scalar(select(func.count()).select_from(Dossier)
                              .where(Dossier.status == "submitted")) == expected
        counts = session.execute(select(DossierEvent.dossier_id, func.count())
                                 .where(DossierEvent.action == "submit")
                                 .group_by(DossierEvent.dossier_id)).all()
        assert len(counts) == expected and {n for _, n in counts} == {1}
    engine.dispose()


def _worker_pids(server: Gunicorn) -> set[int]:
    children = Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children")
    if not children.exists():
        return set()
    return {int(p) for p in children.read_text().split()}
