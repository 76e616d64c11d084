"""Satisfaction: rated once through sync with criteria and reasons; the agency answers."""

from __future__ import annotations

import pytest

from app.services import clock
from app.services import lifecycle as lc
from tests.factories import make_dossier
from tests.sync.helpers import Phone

RATINGS = "/api/v1/quality/ratings"
CRITERIA = {"total_time": 5, "staff_attitude": 4, "online_quality": 2}


def _returned(db, citizen, official):
    return make_dossier(db.session, citizen.user, status=lc.RETURNED, official=official.user)


def test_rated_once_offline_then_seen_and_answered(client, db, citizen, official):
    dossier = _returned(db, citizen, official)
    phone = Phone(client, citizen)
    rate = phone.mutation("dossier.rate", {
        "dossier_id": str(dossier.id), "rating": 2, "comment": "Phải đi lại hai lần",
        "criteria": CRITERIA, "reasons": ["many_trips", "app_errors", "many_trips"]},
        captured_at="2026-11-30T01:00:00+00:00")
    first = phone.push(rate)["results"][0]
    assert first["status"] == "applied" and first["entity"]["rating"] == 2
    # The phone lost the answer and sends the same mutation again: the stored result, once.
    again = phone.push(rate)["results"][0]
    assert again == first
    second = phone.one("dossier.rate", {"dossier_id": str(dossier.id), "rating": 5})
    assert second["status"] == "rejected" and second["error"]["status"] == 409

    page = client.get(RATINGS, headers=official.headers).get_json()
    assert page["total"] == 1
    item = page["items"][0]
    assert (item["level"], item["comment"], item["criteria"], item["reasons"]) == (
        2, "Phải đi lại hai lần", CRITERIA, ["many_trips", "app_errors"])
    assert item["receipt_code"] == dossier.receipt_code and item["answer"] is None

    answered = client.post(f"{RATINGS}/{dossier.id}/answer", headers=official.headers,
                           json={"answer": "Xin lỗi anh, chúng tôi đã nhắc cán bộ tiếp nhận."})
    assert answered.status_code == 200 and answered.get_json()["answered_at"]
    inbox = client.get("/api/v1/notifications", headers=citizen.headers).get_json()["items"]
    note = next(n for n in inbox if n["kind"] == "rating_answer")
    assert "đã nhắc cán bộ" in note["body"] and note["title"] == "Cơ quan đã trả lời đánh giá của bạn"
    twice = client.post(f"{RATINGS}/{dossier.id}/answer", headers=official.headers,
                        json={"answer": "Lần nữa"})
    assert twice.status_code == 409
    assert client.get(RATINGS, query_string={"answered": "false"},
                      headers=official.headers).get_json()["total"] == 0

    today = clock.today().isoformat()
    report = client.get("/api/v1/quality/index", query_string={"from": today, "to": today},
                        headers=official.headers).get_json()
    assert report["ratings"]["count"] == 1 and report["ratings"]["unsatisfied"] == 1
    assert report["ratings"]["criteria"]["online_quality"] == {"average": 2.0, "count": 1}
    assert report["ratings"]["reasons"]["many_trips"] == 1


@pytest.mark.parametrize("extra", [
    {"criteria": {"total_time": 6}},
    {"criteria": {"unknown": 3}},
    {"criteria": {"total_time": True}},
    {"criteria": ["total_time"]},
    {"reasons": ["not-a-reason"]},
    {"reasons": "slow"},
    {"reasons": ["slow"] * 50},
])
def test_bad_details_reject_the_rating_and_keep_the_queue(client, db, citizen, official, extra):
    dossier = _returned(db, citizen, official)
    phone = Phone(client, citizen)
    bad = phone.mutation("dossier.rate", {"dossier_id": str(dossier.id), "rating": 4, **extra})
    good = phone.mutation("dossier.rate", {"dossier_id": str(dossier.id), "rating": 4})
    results = phone.push(bad, good)["results"]
    assert results[0]["status"] == "rejected" and results[0]["error"]["status"] == 422
    assert results[1]["status"] == "applied"


def test_an_older_phone_rates_without_details(client, db, citizen, official):
    dossier = _returned(db, citizen, official)
    r = Phone(client, citizen).one("dossier.rate", {"dossier_id": str(dossier.id), "rating": 5})
    assert r["status"] == "applied"
    item = client.get(RATINGS, headers=official.headers).get_json()["items"][0]
    assert (item["level"], item["criteria"], item["reasons"]) == (5, {}, [])


def test_other_agencies_and_citizens_cannot_read_or_answer(client, db, citizen, official,
                                                           make_official):
    dossier = _returned(db, citizen, official)
    Phone(client, citizen).one("dossier.rate", {"dossier_id": str(dossier.id), "rating": 3,
                                                "comment": "Bình thường"})
    stranger = make_official(procedure="criminal-record-certificate")
    assert client.get(RATINGS, headers=stranger.headers).get_json()["total"] == 0
    got = client.post(f"{RATINGS}/{dossier.id}/answer", headers=stranger.headers,
                      json={"answer": "?"})
    assert got.status_code == 404
    assert client.post(f"{RATINGS}/not-a-uuid/answer", headers=official.headers,
                       json={"answer": "?"}).status_code == 404
    assert client.post(f"{RATINGS}/{dossier.id}/answer", headers=official.headers,
                       json={"answer": "   "}).status_code == 422
    assert client.post(f"{RATINGS}/{dossier.id}/answer", headers=official.headers,
                       json={}).status_code == 422
    assert client.get(RATINGS, headers=citizen.headers).status_code == 403
