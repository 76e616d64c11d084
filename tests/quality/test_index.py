"""The 766 index on a history worked out by hand (docs/quality.md has the same walk).

Child health insurance takes 5 working days; November 2026 has no holiday, so from an
acceptance on Monday 2 November the appointment is Monday 9 November.

| dossier | history (local dates) | at the end of November |
|---|---|---|
| A | accepted 2/11, decided 5/11, returned electronically 6/11, rated 5 on 7/11 | early |
| B | accepted 2/11, decided 9/11, returned at the desk, rated 1 on 10/11 | on time, unsatisfied |
| C | accepted 2/11, decided 12/11 (not returned) | late |
| D | accepted 2/11, supplement asked 4/11, answered 11/11 (due moves 5 working days to
|   | 16/11), decided 16/11, returned electronically | on time |
| E | accepted 23/11 (due 30/11), supplement asked 25/11, never answered | paused, on time |
| F | accepted 2/11, stopped 12/11 | stopped late |
| G | accepted 26/10 (due 2/11), decided 3/11 | carried over, late |
| H | accepted 26/11 (due 3/12), decided 2/12 | open on time; early in December |
| I | accepted 1/10, decided 2/10 | before the period: not counted |
| J | accepted 2/11, still in progress | open, late |
| K | accepted 2/11, withdrawn 3/11 | withdrawn early |
| L | refused at reception 3/11 | never received |
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any

import pytest
from sqlalchemy import select

from app.models.catalog import Procedure
from app.models.quality import QualityFact
from app.services import clock, quality_facts, quality_index
from app.services import dossiers as svc
from app.services.catalog import get_form
from tests.factories import ready_documents, sample_values

CHILD = "child-health-insurance"
NOV = (date(2026, 11, 1), date(2026, 11, 30))
DEC = (date(2026, 12, 1), date(2026, 12, 31))


def at(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(9), tzinfo=clock.TZ)


def walk(db: Any, owner: Any, official: Any, steps: list[tuple[str, str]],
         documents: dict[str, Any] | None = None) -> Any:
    """A child-health-insurance dossier created on the first step's day, then each
    (action, day) through the real state machine."""
    session = db.session
    proc = session.get(Procedure, CHILD)
    form = get_form(session, CHILD, proc.current_version).form
    first = at(steps[0][1])
    dossier = svc.create_draft(session, owner, uuid.uuid4(), proc, proc.current_version, first)
    dossier.fields = sample_values(form, first.date())
    dossier.documents = {**ready_documents(form, dossier.fields), **(documents or {})}
    for action, day in steps:
        kwargs: dict[str, Any] = {}
        if action in ("refuse", "stop", "request_supplement"):
            kwargs["note"] = "Ghi chú"
        if action == "request_supplement":
            kwargs["fields"] = [next(iter(dossier.fields))]
        if action == "supplement":
            kwargs["values"] = {}
        if action.startswith("return_result"):
            method = action.split(":")[1]
            action, kwargs["result"] = "return_result", {"number": "12/2026", "method": method}
        if action == "rate":
            kwargs["rating"] = int(day.split("@")[1])
            day = day.split("@")[0]
        actor = owner if action in ("submit", "withdraw", "supplement", "rate") else official
        svc.transition(session, dossier, actor, action, moment=at(day), **kwargs)
    session.commit()
    return dossier


@pytest.fixture()
def history(db: Any, make_citizen: Any, make_official: Any) -> dict[str, Any]:
    citizen = make_citizen(name="Trần Thị Bình").user  # nothing the samples hold
    official = make_official(procedure=CHILD).user
    taken = ["submit", "accept", "start"]

    def accepted(day: str) -> list[tuple[str, str]]:
        return [(a, day) for a in taken]

    made = {
        "A": walk(db, citizen, official, [*accepted("2026-11-02"), ("complete", "2026-11-05"),
                                          ("return_result:electronic", "2026-11-06"),
                                          ("rate", "2026-11-07@5")],
                  documents={"bhyt_cu": {"source": "warehouse", "status": "ready"}}),
        "B": walk(db, citizen, official, [*accepted("2026-11-02"), ("complete", "2026-11-09"),
                                          ("return_result:desk", "2026-11-09"),
                                          ("rate", "2026-11-10@1")]),
        "C": walk(db, citizen, official, [*accepted("2026-11-02"), ("complete", "2026-11-12")]),
        "D": walk(db, citizen, official, [*accepted("2026-11-02"),
                                          ("request_supplement", "2026-11-04"),
                                          ("supplement", "2026-11-11"), ("complete", "2026-11-16"),
                                          ("return_result:electronic", "2026-11-17")]),
        "E": walk(db, citizen, official, [*accepted("2026-11-23"),
                                          ("request_supplement", "2026-11-25")]),
        "F": walk(db, citizen, official, [*accepted("2026-11-02"), ("stop", "2026-11-12")]),
        "G": walk(db, citizen, official, [*accepted("2026-10-26"), ("complete", "2026-11-03")]),
        "H": walk(db, citizen, official, [*accepted("2026-11-26"), ("complete", "2026-12-02")]),
        "I": walk(db, citizen, official, [*accepted("2026-10-01"), ("complete", "2026-10-02")]),
        "J": walk(db, citizen, official, accepted("2026-11-02")),
        "K": walk(db, citizen, official, [("submit", "2026-11-02"), ("accept", "2026-11-02"),
                                          ("withdraw", "2026-11-03")]),
        "L": walk(db, citizen, official, [("submit", "2026-11-03"), ("refuse", "2026-11-03")]),
    }
    return {"dossiers": made, "agency": made["A"].agency_code}


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
