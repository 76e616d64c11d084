"""`flask demo load` seeds a plausible history once, and a newcomer's dashboard shows it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.models.accounts import User
from app.models.dossiers import Dossier
from app.models.quality import QualityFact
from app.services import accounts, clock, quality_facts
from app.services.receipts import next_receipt_code


def test_demo_history_is_seeded_once_and_reads_as_a_dashboard(app, db, client, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "Demo-mat-khau-2026")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "Demo history for the quality dashboard" in first.output
    made = db.session.scalar(select(func.count()).select_from(Dossier))
    assert made > 200
    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 0 and "Demo history" not in again.output
    assert db.session.scalar(select(func.count()).select_from(Dossier)) == made

    # Every accepted dossier of the history has its receipt code, as a desk would show it,
    # and the desk's search finds it by that code.
    accepted = db.session.scalars(select(Dossier).where(Dossier.accepted_at.is_not(None))).all()
    assert accepted and all(d.receipt_code for d in accepted)
    assert all(d.receipt_code in (d.search_text or "").upper() for d in accepted)
    assert all(d.receipt_code is None for d in db.session.scalars(
        select(Dossier).where(Dossier.accepted_at.is_(None))))

    # The rows the generator wrote are the rows the projection makes from the stored log.
    def rows():
        db.session.expire_all()
        return {f.dossier_id: tuple(getattr(f, c) for c in quality_facts.FACT_COLUMNS)
                for f in db.session.scalars(select(QualityFact))}
    kept = rows()
    quality_facts.rebuild(db.session)
    db.session.commit()
    assert rows() == kept

    leader = db.session.scalars(select(User).where(User.email.like("leader.%@hoso.demo"))
                                .order_by(User.id)).first()
    token = accounts.issue_tokens(db.session, leader)["access_token"]
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    since = (clock.today() - timedelta(days=182)).isoformat()
    index = client.get("/api/v1/quality/index", query_string={"from": since},
                       headers=headers).get_json()
    assert index["progress"]["received"] > 20 and 0 < index["points"] < index["measured_max"]
    funnel = client.get("/api/v1/quality/funnel", query_string={"from": since},
                        headers=headers).get_json()
    steps = funnel["procedures"][0]["funnel"]
    assert steps["opened"] > steps["started"] > steps["submitted"] >= steps["accepted"] > 0
    assert funnel["procedures"][0]["failing_fields"] and funnel["networks"]

    # A real acceptance on a day of the history takes the next number of that agency's day.
    last = max(accepted, key=lambda d: (d.agency_code, d.accepted_at, d.receipt_code))
    day = last.accepted_at.date()
    same_day = [d.receipt_code for d in accepted
                if d.agency_code == last.agency_code and d.accepted_at.date() == day]
    assert next_receipt_code(db.session, last.agency_code, day) not in same_day
