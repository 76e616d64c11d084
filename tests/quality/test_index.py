"""The 766 index on the history worked out by hand (tests/quality/hand_history.py has the
table of its twelve dossiers; docs/quality.md the same walk)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from app.models.quality import QualityFact
from app.services import dossiers as svc
from app.services import quality_facts, quality_index
from tests.quality.hand_history import CHILD, DEC, NOV, at


def test_appointments_as_worked_by_hand(history):
    due = {k: d.appointment_date for k, d in history["dossiers"].items()}
    assert due["A"] == date(2026, 11, 9)
    assert due["D"] == date(2026, 11, 16)  # 9/11 + the 5 working days it waited (5–11/11)
    assert due["E"] == date(2026, 11, 30)
    assert due["G"] == date(2026, 11, 2)
    assert due["H"] == date(2026, 12, 3)


def _indicator(report: dict[str, Any], code: str) -> dict[str, Any]:
    return next(i for g in report["groups"] for i in g["indicators"] if i["code"] == code)


def test_november_index(db, history):
    report = quality_index.agency_report(db.session, history["agency"], *NOV)
    assert report["progress"] == {
        "received": 10, "new": 9, "carried_over": 1, "early": 2, "finished_on_time": 2,
        "finished_late": 3, "open_on_time": 2, "open_late": 1, "paused": 1, "stopped": 1,
        "withdrawn": 1, "refused": 1}
    progress = _indicator(report, "progress")
    assert (progress["numerator"], progress["denominator"], progress["points"]) == (6, 10, 12.0)
    assert _indicator(report, "filed_online")["points"] == 6  # 10 of 10 filed ≥ 50%
    assert _indicator(report, "online_with_dossiers")["points"] == 4  # its only procedure
    paid = _indicator(report, "paid_online")
    assert paid["measured"] and paid["denominator"] == 0 and paid["points"] is None  # no fee
    results = _indicator(report, "results_electronic")  # A and D of A, B, C, D, G
    assert (results["numerator"], results["denominator"], results["points"]) == (2, 5, 2.4)
    assert _indicator(report, "digitised")["points"] == 4  # 9 of 9 new ones are files
    reused = _indicator(report, "reused")
    assert (reused["numerator"], reused["denominator"], reused["points"]) == (1, 9, 0.0)
    satisfied = _indicator(report, "handling_satisfaction")  # on time, less B (rated 1)
    assert (satisfied["numerator"], satisfied["denominator"], satisfied["rate"]) == (5, 10, 0.5)
    assert satisfied["points"] is None and satisfied["max_points"] is None
    ratings = {k: report["ratings"][k] for k in ("count", "average", "unsatisfied", "levels")}
    assert ratings == {"count": 2, "average": 3.0, "unsatisfied": 1,
                       "levels": {"1": 1, "2": 0, "3": 0, "4": 0, "5": 1}}
    assert report["points"] == 28.4 and report["measured_max"] == 42
    publicity = next(g for g in report["groups"] if g["code"] == "publicity")
    assert publicity["points"] is None
    assert all(not i["measured"] and i["note"]["vi"] for i in publicity["indicators"])


def test_december_carries_the_open_ones_over(db, history):
    report = quality_index.agency_report(db.session, history["agency"], *DEC)
    progress = report["progress"]
    # E (still paused on time), H (decided 2/12 before 3/12), J (late since 9/11).
    assert (progress["received"], progress["carried_over"], progress["early"],
            progress["open_on_time"], progress["open_late"]) == (3, 3, 1, 1, 1)
    assert _indicator(report, "progress")["points"] == 13.33


def test_a_procedure_and_all_agencies(db, history):
    one = quality_index.agency_report(db.session, history["agency"], *NOV, procedure=CHILD)
    assert one["procedure_code"] == CHILD and _indicator(one, "progress")["points"] == 12.0
    ranking = quality_index.all_agencies(db.session, *NOV)
    first = ranking["agencies"][0]
    assert first["agency"]["code"] == history["agency"] and first["points"] == 28.4
    others = [r for r in ranking["agencies"][1:]]
    assert others and all(r["points"] == 0 and r["progress"]["received"] == 0 for r in others)


def test_facts_follow_the_log(db, history):
    """The rows kept as events are written equal the rows rebuilt from the log alone."""
    def rows() -> dict[Any, tuple]:
        db.session.expire_all()
        return {f.dossier_id: tuple(getattr(f, c) for c in quality_facts.FACT_COLUMNS)
                for f in db.session.scalars(select(QualityFact))}

    kept = rows()
    assert len(kept) == 12  # every filed dossier, no draft
    assert quality_facts.rebuild(db.session) == 12
    db.session.commit()
    assert rows() == kept


def test_resume_reopens_a_stopped_dossier(db, history, make_official):
    official = make_official(procedure=CHILD).user
    stopped = history["dossiers"]["F"]
    db.session.add(stopped)
    svc.transition(db.session, stopped, official, "resume", moment=at("2026-11-13"))
    db.session.commit()
    report = quality_index.agency_report(db.session, history["agency"], *NOV)
    assert report["progress"]["stopped"] == 0 and report["progress"]["open_late"] == 2
