"""The hand-worked history of the 766 index (docs/quality.md has the same walk), shared by
tests/quality/test_index.py (the answers worked by hand) and test_rollup.py (the same answers
through the monthly roll-up).

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

from app.models.catalog import Procedure
from app.services import clock
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
