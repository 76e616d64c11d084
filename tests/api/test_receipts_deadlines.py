"""Receipt codes under concurrency, appointment dates, pauses, derived overdue."""

from __future__ import annotations

import re
import threading
from datetime import UTC, date, datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.models.accounts import Agency
from app.services import lifecycle as lc
from app.services.dossiers import is_overdue, transition
from app.services.receipts import next_receipt_code
from tests.databases import postgresql_only
from tests.factories import make_dossier


def test_twenty_officials_accepting_at_once_get_twenty_codes(app, client, db, make_citizen,
                                                             make_official):
    citizen = make_citizen()
    officials = [make_official(role="reception") for _ in range(20)]
    dossiers = [make_dossier(db.session, citizen.user, status=lc.SUBMITTED,
                             official=officials[0].user) for _ in range(20)]
    ids = [d.id for d in dossiers]
    agency = db.session.get(Agency, dossiers[0].agency_code).electronic_id
    db.session.commit()  # release this thread's read transaction (SQLite's write lock)
    barrier = threading.Barrier(20)
    results: list = [None] * 20

    def accept(i: int) -> None:
        with app.test_client() as c:
            barrier.wait()
            results[i] = c.post(f"/api/v1/office/dossiers/{ids[i]}/transitions",
                                json={"action": "accept"}, headers=officials[i].headers)

    threads = [threading.Thread(target=accept, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status_code for r in results] == [200] * 20, [r.get_json() for r in results]
    codes = [r.get_json()["receipt_code"] for r in results]
    assert len(set(codes)) == 20
    pattern = re.compile(rf"^{re.escape(agency)}-\d{{6}}-(\d{{4}})$")
    numbers = sorted(int(pattern.match(c).group(1)) for c in codes)
    assert numbers == list(range(1, 21))


@postgresql_only("SQLite has one writer at a time: accepts queue there anyway")
def test_an_accept_still_open_does_not_hold_up_the_next_one(app, db):
    """One official's accept has its number and is still making its documents; another
    official of the agency gets the next number at once, not after the first one commits."""
    first = db.session
    day = date(2026, 12, 1)
    code_one = next_receipt_code(first, "UBP-HOANKIEM", day)  # its transaction stays open
    other = Session(db.engine)
    try:
        other.execute(text("SET lock_timeout = '2s'"))  # a held counter would fail, not hang
        code_two = next_receipt_code(other, "UBP-HOANKIEM", day)
    finally:
        other.rollback()
        other.close()
    first.rollback()  # the first accept fails: its number is not given again
    code_three = next_receipt_code(first, "UBP-HOANKIEM", day)
    assert [c[-4:] for c in (code_one, code_two, code_three)] == ["0001", "0002", "0003"]


def at(day: date, hour: int = 3) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)  # 10:00 in Hanoi


def test_appointment_counts_working_days_and_pauses_for_a_supplement(db, citizen, make_official):
    leader = make_official(procedure="criminal-record-certificate")
    dossier = make_dossier(db.session, citizen.user, "criminal-record-certificate",
                           status=lc.SUBMITTED, official=leader.user)
    assert dossier.procedure.processing_days == 10
    transition(db.session, dossier, leader.user, "accept", moment=at(date(2026, 11, 26)))  # Thu
    assert dossier.appointment_date == date(2026, 12, 10)
    transition(db.session, dossier, leader.user, "start", moment=at(date(2026, 11, 26)))
    field = next(iter(dossier.fields))
    transition(db.session, dossier, leader.user, "request_supplement", note="Bổ sung",
               fields=[field], moment=at(date(2026, 11, 27)))  # Fri
    transition(db.session, dossier, citizen.user, "supplement",
               values={field: dossier.fields[field]}, moment=at(date(2026, 12, 1)))  # Tue
    # Paused Mon 30 Nov and Tue 1 Dec: two working days later.
    assert dossier.appointment_date == date(2026, 12, 14)
    assert dossier.events[-1].data["paused_working_days"] == 2


def test_holidays_from_the_table_are_skipped(db, citizen, make_official):
    leader = make_official(procedure="criminal-record-certificate")
    dossier = make_dossier(db.session, citizen.user, "criminal-record-certificate",
                           status=lc.SUBMITTED, official=leader.user)
    # Accepted Tue 27 Apr 2027: Fri 30 Apr and Mon 3 May (1 May observed) are holidays.
    transition(db.session, dossier, leader.user, "accept", moment=at(date(2027, 4, 27)))
    assert dossier.appointment_date == date(2027, 5, 13)


def test_overdue_is_derived_and_filterable(client, db, citizen, official):
    late = make_dossier(db.session, citizen.user, status=lc.IN_PROGRESS, official=official.user)
    on_time = make_dossier(db.session, citizen.user, status=lc.IN_PROGRESS,
                           official=official.user)
    late.appointment_date = date(2026, 1, 5)
    db.session.commit()
    assert is_overdue(late, date(2026, 1, 6)) and not is_overdue(late, date(2026, 1, 5))
    resp = client.get("/api/v1/office/dossiers?overdue=true", headers=official.headers)
    assert [d["id"] for d in resp.get_json()["items"]] == [str(late.id)]
    assert resp.get_json()["items"][0]["overdue"] is True
    resp = client.get("/api/v1/office/dossiers?overdue=false", headers=official.headers)
    assert [d["id"] for d in resp.get_json()["items"]] == [str(on_time.id)]


def test_office_filters_and_paging(client, db, citizen, official):
    made = [make_dossier(db.session, citizen.user, status=lc.SUBMITTED, official=official.user)
            for _ in range(3)]
    accepted = make_dossier(db.session, citizen.user, status=lc.ACCEPTED, official=official.user)
    page = client.get("/api/v1/office/dossiers?status=submitted&per_page=2",
                      headers=official.headers).get_json()
    assert page["total"] == 3 and len(page["items"]) == 2
    page2 = client.get("/api/v1/office/dossiers?status=submitted&per_page=2&page=2",
                       headers=official.headers).get_json()
    ids = {d["id"] for d in page["items"] + page2["items"]}
    assert ids == {str(d.id) for d in made}
    by_code = client.get(f"/api/v1/office/dossiers?receipt_code={accepted.receipt_code}",
                         headers=official.headers).get_json()
    assert [d["id"] for d in by_code["items"]] == [str(accepted.id)]
