"""50 phones sync 40 offline submissions each through a network that drops requests, loses
responses, cuts them half-way and stalls: every submission is applied exactly once."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from sqlalchemy import func, select

from app.models.catalog import FormVersion, Procedure
from app.models.dossiers import Dossier, DossierEvent
from app.services import accounts
from tests.factories import sample_values
from tests.hardening.faultproxy import FaultProxy
from tests.hardening.phones import PROCEDURE, OfflinePhone, run_phones
from tests.servers import Gunicorn

PHONES, SUBMISSIONS = 50, 40
WEIGHTS = {"pass": 0.4, "delay": 0.15, "drop_before": 0.15, "drop_after": 0.15, "cut": 0.15}


def make_phones(db: Any, count: int, submissions: int, batch: int = 20) -> list[OfflinePhone]:
    """`count` citizens, each with one phone holding `submissions` offline submissions."""
    proc = db.session.get(Procedure, PROCEDURE)
    form = db.session.get(FormVersion, (PROCEDURE, proc.current_version)).form
    values = sample_values(form)
    phones = []
    for n in range(count):
        user = accounts.register(db.session, password="Khong-doan-duoc-42", full_name=f"Người {n}",
                                 phone=f"0987{n:06d}", language="vi")
        token = accounts.issue_tokens(db.session, user)["access_token"]
        phones.append(OfflinePhone(token, values, proc.current_version, submissions, batch))
    db.session.commit()
    return phones


def check_exactly_once(db: Any, phones: list[OfflinePhone]) -> None:
    for phone in phones:
        assert not phone.errors, phone.errors[:3]
        statuses = Counter(r["status"] for r in phone.acked.values())
        assert statuses == {"applied": phone.total}, statuses
    db.session.expire_all()
    expected = len(phones) * len(phones[0].dossiers)
    submitted = db.session.scalar(select(func.count()).select_from(Dossier).where(
        Dossier.procedure_code == PROCEDURE, Dossier.status == "submitted"))
    assert submitted == expected
    per_dossier = db.session.execute(
        select(DossierEvent.dossier_id, func.count()).where(DossierEvent.action == "submit")
        .group_by(DossierEvent.dossier_id)).all()
    assert len(per_dossier) == expected
    assert {n for _, n in per_dossier} == {1}


def test_offline_submissions_through_a_faulty_network_apply_exactly_once(app, db, tmp_path):
    phones = make_phones(db, PHONES, SUBMISSIONS)
    server = Gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, workers=2, threads=8)
    started = time.monotonic()
    try:
        with FaultProxy(("127.0.0.1", server.port), WEIGHTS) as proxy:
            run_phones(phones, lambda: proxy.url, timeout=90)
    finally:
        server.stop()
    took = time.monotonic() - started
    failures = Counter(f for p in phones for f in p.failures)
    print(f"\n{PHONES}×{SUBMISSIONS} submissions in {took:.1f} s, "
          f"{sum(p.attempts for p in phones)} pushes, fates {dict(proxy.counts)}, "
          f"client errors {dict(failures)}")
    # Every kind of fault really happened, many times over.
    assert all(proxy.counts[f] >= 10 for f in WEIGHTS), proxy.counts
    check_exactly_once(db, phones)
