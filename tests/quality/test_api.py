"""The index over HTTP: leaders only, JSON per period, CSV, hostile queries refused."""

from __future__ import annotations

import csv
import io

import pytest

from app.services import clock
from app.services import lifecycle as lc
from tests.factories import make_dossier
from tests.payments.helpers import CRIMINAL, open_request, sandbox_pay, unpaid_dossier

INDEX = "/api/v1/quality/index"


def _indicator(report, code):
    return next(i for g in report["groups"] for i in g["indicators"] if i["code"] == code)


def test_fee_dossiers_paid_online_count_from_the_payment_events(client, db, citizen,
                                                                 make_official):
    leader = make_official(procedure=CRIMINAL)
    online = unpaid_dossier(db, citizen, leader)
    sandbox_pay(client, open_request(client, citizen, online.id))
    make_dossier(db.session, citizen.user, CRIMINAL, status=lc.ACCEPTED, official=leader.user)
    today = clock.today().isoformat()
    got = client.get(INDEX, query_string={"from": today, "to": today}, headers=leader.headers)
    assert got.status_code == 200 and got.headers["Cache-Control"] == "private, no-store"
    paid = _indicator(got.get_json(), "paid_online")
    # One of the two fee dossiers paid through the gateway: 50% ≥ 30% → 6 points.
    assert (paid["numerator"], paid["denominator"], paid["points"]) == (1, 2, 6)


def test_csv_has_one_line_per_indicator(client, db, citizen, official):
    make_dossier(db.session, citizen.user, status=lc.RETURNED, official=official.user)
    got = client.get(f"{INDEX}.csv", headers=official.headers)
    assert got.status_code == 200 and got.mimetype == "text/csv"
    assert "attachment" in got.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(got.get_data(as_text=True))))
    whole = [r for r in rows if not r["procedure_code"]]
    assert len(whole) == 16 and {r["agency_code"] for r in rows} == {official.user.agency_code}
    progress = next(r for r in whole if r["indicator"] == "progress")
    assert (progress["numerator"], progress["denominator"], progress["points"]) == ("1", "1", "20.0")
    publicity = [r for r in whole if r["group"] == "publicity"]
    assert all(r["measured"] == "False" and r["points"] == "" for r in publicity)


def test_all_agencies_ranked(client, db, citizen, official):
    make_dossier(db.session, citizen.user, status=lc.RESULT_READY, official=official.user)
    got = client.get("/api/v1/quality/agencies", headers=official.headers).get_json()
    assert got["agencies"][0]["agency"]["code"] == official.user.agency_code
    assert len(got["agencies"]) >= 3


@pytest.mark.parametrize("role", ["reception", "specialist"])
def test_only_leaders(client, make_official, role):
    staff = make_official(role=role)
    for path in (INDEX, f"{INDEX}.csv", "/api/v1/quality/agencies"):
        got = client.get(path, headers=staff.headers)
        assert got.status_code == 403 and got.mimetype == "application/problem+json"


def test_citizens_and_strangers_refused(client, citizen):
    assert client.get(INDEX, headers=citizen.headers).status_code == 403
    assert client.get(INDEX).status_code == 401


@pytest.mark.parametrize("query,status", [
    ({"from": "2026-12-01", "to": "2026-11-01"}, 422),
    ({"from": "2000-01-01", "to": "2026-11-01"}, 422),
    ({"from": "not-a-date"}, 422),
    ({"procedure": "criminal-record-certificate"}, 404),  # not this agency's
    ({"procedure": "x" * 65}, 422),
])
def test_hostile_queries(client, official, query, status):
    got = client.get(INDEX, query_string=query, headers=official.headers)
    assert got.status_code == status and got.mimetype == "application/problem+json"


def test_trend_month_by_month(client, db, citizen, official):
    make_dossier(db.session, citizen.user, status=lc.RETURNED, official=official.user)
    got = client.get("/api/v1/quality/trend", query_string={"months": 3}, headers=official.headers)
    months = got.get_json()["months"]
    assert len(months) == 3 and months[-1]["to"] == clock.today().isoformat()
    assert months[-1]["groups"]["progress"] == 20.0
    assert [m["received"] for m in months] == [0, 0, 1]  # how many dossiers each month's index is of
    assert client.get("/api/v1/quality/trend", query_string={"months": 99},
                      headers=official.headers).status_code == 422
