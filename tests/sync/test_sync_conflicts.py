"""Conflicts a citizen would notice: two phones, status changes, form versions."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from app.models.catalog import FormVersion
from app.models.dossiers import Dossier
from app.services import lifecycle as lc
from app.services.dossiers import transition
from tests.factories import make_dossier
from tests.sync.helpers import (
    Phone,
    current_version,
    documents_for,
    full_values,
    minutes_ago,
    save_args,
)


def _shared_draft(client, citizen):
    """A draft made on phone A and pulled by phone B (both know the current version)."""
    a, b = Phone(client, citizen), Phone(client, citizen)
    did = uuid.uuid4()
    created = a.one("dossier.save", save_args(did, {"child_full_name": "Lê Minh Anh",
                                                    "child_home_town": "Huế"}),
                    captured_at=minutes_ago(60))
    b.pull_all()
    a.pull_all()
    return a, b, did, created["entity"]["version"]


def test_two_phones_edit_the_same_field_later_wins_other_is_kept(client, citizen):
    a, b, did, base = _shared_draft(client, citizen)
    # Offline: A edits at 10 minutes ago, B at 5 minutes ago; A syncs first.
    ra = a.one("dossier.save", save_args(did, {"child_full_name": "Lê Minh An"}, base),
               captured_at=minutes_ago(10))
    assert ra["status"] == "applied"
    rb = b.one("dossier.save", save_args(did, {"child_full_name": "Lê Minh Ánh"}, base),
               captured_at=minutes_ago(5))
    assert rb["status"] == "conflict"
    assert rb["entity"]["fields"]["child_full_name"] == "Lê Minh Ánh"  # B was later
    [c] = rb["conflicts"]
    assert (c["field"], c["kept"], c["other"]) == ("child_full_name", "Lê Minh Ánh", "Lê Minh An")
    assert c["other_captured_at"] is not None

    # Phone A sees the conflict and the winning value when it pulls.
    changes = a.pull_all()
    conflicts = [x for x in changes if x["entity"] == "conflict"]
    assert [x["data"]["other"] for x in conflicts] == ["Lê Minh An"]
    latest = [x for x in changes if x["entity"] == "dossier"][-1]["data"]
    assert latest["fields"]["child_full_name"] == "Lê Minh Ánh"

    # The owner reverses it from phone A: A's value stands again, B's is kept.
    rr = a.one("conflict.resolve", {"conflict_id": c["id"], "use": "other"})
    assert rr["status"] == "applied"
    assert rr["entity"]["fields"]["child_full_name"] == "Lê Minh An"
    assert rr["conflict"]["resolution"] == "other"
    assert rr["conflict"]["other"] == "Lê Minh Ánh"  # nothing typed is lost
    changes = b.pull_all()
    assert [x["data"]["fields"]["child_full_name"] for x in changes
            if x["entity"] == "dossier"][-1] == "Lê Minh An"
    resolved = [x for x in changes if x["entity"] == "conflict"][-1]["data"]
    assert resolved["resolved_at"] is not None
    # A fresh snapshot lists no open conflict any more.
    snap = b.pull(reset=True).get_json()["changes"]
    assert [x for x in snap if x["entity"] == "conflict"] == []


def test_earlier_edit_arriving_later_does_not_stand(client, citizen):
    a, b, did, base = _shared_draft(client, citizen)
    b.one("dossier.save", save_args(did, {"child_home_town": "Đà Nẵng"}, base),
          captured_at=minutes_ago(1))
    r = a.one("dossier.save", save_args(did, {"child_home_town": "Hội An"}, base),
              captured_at=minutes_ago(30))
    assert r["status"] == "conflict"
    assert r["entity"]["fields"]["child_home_town"] == "Đà Nẵng"
    assert r["conflicts"][0]["other"] == "Hội An"


def test_edits_to_different_fields_merge(client, citizen):
    a, b, did, base = _shared_draft(client, citizen)
    assert a.one("dossier.save", save_args(did, {"copies": 2}, base))["status"] == "applied"
    rb = b.one("dossier.save", save_args(did, {"child_home_town": "Vinh"}, base))
    assert rb["status"] == "merged"
    assert rb["conflicts"] == []
    assert rb["entity"]["fields"]["copies"] == 2
    assert rb["entity"]["fields"]["child_home_town"] == "Vinh"


def test_a_phone_clock_set_to_next_year_cannot_win(client, citizen):
    a, b, did, base = _shared_draft(client, citizen)
    b.one("dossier.save", save_args(did, {"copies": 3}, base),
          captured_at="2099-06-01T00:00:00+00:00")
    # A's edit is captured after B's was received, so it must stand.
    ra = a.one("dossier.save", save_args(did, {"copies": 4}, base))
    assert ra["status"] == "conflict"
    assert ra["entity"]["fields"]["copies"] == 4


def test_keep_resolution_closes_the_conflict(client, citizen):
    a, b, did, base = _shared_draft(client, citizen)
    a.one("dossier.save", save_args(did, {"copies": 2}, base), captured_at=minutes_ago(3))
    rb = b.one("dossier.save", save_args(did, {"copies": 5}, base), captured_at=minutes_ago(2))
    cid = rb["conflicts"][0]["id"]
    r = b.one("conflict.resolve", {"conflict_id": cid, "use": "kept"})
    assert r["status"] == "applied" and r["entity"]["fields"]["copies"] == 5
    assert r["conflict"]["resolution"] == "kept"
    again = a.one("conflict.resolve", {"conflict_id": cid, "use": "other"})
    assert again["status"] == "applied"  # already resolved from B: nothing more happens
    assert again["entity"]["fields"]["copies"] == 5
    bad = b.one("conflict.resolve", {"conflict_id": cid, "use": "both"})
    assert bad["status"] == "rejected" and bad["error"]["status"] == 422
    assert b.one("conflict.resolve", {"conflict_id": str(uuid.uuid4())})["error"]["status"] == 404


def test_another_users_conflict_looks_missing(client, citizen, make_citizen):
    a, b, did, base = _shared_draft(client, citizen)
    a.one("dossier.save", save_args(did, {"copies": 2}, base), captured_at=minutes_ago(3))
    cid = b.one("dossier.save", save_args(did, {"copies": 5}, base))["conflicts"][0]["id"]
    stranger = Phone(client, make_citizen(name="Người khác"))
    r = stranger.one("conflict.resolve", {"conflict_id": cid, "use": "other"})
    assert r["status"] == "rejected" and r["error"]["status"] == 404
    assert b.one("conflict.resolve", {"conflict_id": cid, "use": "kept"})["status"] == "applied"


def test_supplement_after_the_official_decided_is_rejected_and_kept(client, db, citizen,
                                                                    official):
    dossier = make_dossier(db.session, citizen.user, status=lc.SUPPLEMENT_REQUESTED,
                           official=official.user)
    asked = dossier.supplement_request["fields"][0]
    # Phone A answers offline. Phone B answers too, and the office then decides.
    phone = Phone(client, citizen)
    m = phone.mutation("dossier.supplement", {"dossier_id": str(dossier.id),
                                              "fields": {asked: "Nguyễn Văn Bổ Sung"},
                                              "note": "Đã sửa tên"})
    other = Phone(client, citizen).one("dossier.supplement", {
        "dossier_id": str(dossier.id), "fields": {asked: dossier.fields[asked]}})
    assert other["status"] == "applied"
    db.session.expire_all()
    transition(db.session, db.session.get(Dossier, dossier.id), official.user, "complete")
    db.session.commit()
    result = phone.push(m)["results"][0]
    assert result["status"] == "rejected"
    assert result["error"]["status"] == 409
    assert result["error"]["current_status"] == lc.RESULT_READY
    assert result["entity"]["status"] == lc.RESULT_READY
    kept = {c["field"]: c["other"] for c in result["conflicts"]}
    assert kept == {asked: "Nguyễn Văn Bổ Sung", "note": "Đã sửa tên"}
    snap = phone.pull(reset=True).get_json()["changes"]
    assert {c["data"]["field"] for c in snap if c["entity"] == "conflict"} == {asked, "note"}


def test_supplement_in_time_moves_the_dossier_on(client, db, citizen, official):
    dossier = make_dossier(db.session, citizen.user, status=lc.SUPPLEMENT_REQUESTED,
                           official=official.user)
    asked = dossier.supplement_request["fields"][0]
    value = dossier.fields[asked]
    r = Phone(client, citizen).one("dossier.supplement",
                                   {"dossier_id": str(dossier.id), "fields": {asked: value}})
    assert r["status"] == "applied"
    assert r["entity"]["status"] == lc.IN_PROGRESS


def test_saving_a_submitted_dossier_is_rejected_and_kept(client, db, citizen, official):
    dossier = make_dossier(db.session, citizen.user, status=lc.SUBMITTED)
    r = Phone(client, citizen).one("dossier.save",
                                   save_args(dossier.id, {"child_home_town": "Sa Pa"}, 1))
    assert r["status"] == "rejected"
    assert r["error"]["type"] == "/problems/transition-not-allowed"
    assert r["conflicts"][0]["other"] == "Sa Pa"
    assert r["entity"]["fields"]["child_home_town"] != "Sa Pa"


def test_offline_draft_submitted_in_one_batch(client, db, citizen):
    phone = Phone(client, citizen)
    did = uuid.uuid4()
    values = full_values(db.session)
    body = phone.push(phone.mutation("dossier.save", save_args(did, values)),
                      phone.mutation("dossier.submit", {"dossier_id": str(did)}))
    # Documents are missing: the submit is refused with the list, the draft stays.
    assert [r["status"] for r in body["results"]] == ["applied", "rejected"]
    assert body["results"][1]["error"]["status"] == 422
    db.session.expire_all()
    d = db.session.get(Dossier, did)
    d.documents = documents_for(db.session, values)
    db.session.commit()
    r = phone.one("dossier.submit", {"dossier_id": str(did)})
    assert r["status"] == "applied" and r["entity"]["status"] == lc.SUBMITTED
    # Submitting again from the other phone: rejected with the current dossier.
    again = Phone(client, citizen).one("dossier.submit", {"dossier_id": str(did)})
    assert again["status"] == "rejected" and again["entity"]["status"] == lc.SUBMITTED


BIRTH = "birth-registration"


def _previous() -> int:
    return current_version(BIRTH) - 1


def _set_previous_until(db, until: date) -> None:
    fv = db.session.get(FormVersion, (BIRTH, _previous()))
    fv.accepted_until = until
    db.session.commit()


def _reopen_previous(db) -> None:
    """The previous form accepted again for a while, as it was before the correction."""
    _set_previous_until(db, date.today() + timedelta(days=30))


def _close_previous(db) -> None:
    _set_previous_until(db, date.today() - timedelta(days=1))


def test_a_draft_on_an_outdated_form_moves_to_the_current_one(client, db, citizen):
    phone = Phone(client, citizen)
    did = uuid.uuid4()
    before = full_values(db.session, version=_previous())
    _reopen_previous(db)
    try:
        first = phone.one("dossier.save", save_args(did, before, form_version=_previous()))
        assert first["status"] == "applied" and first["entity"]["form_version"] == _previous()
        _close_previous(db)
        r = phone.one("dossier.save", save_args(did, {"child_home_town": "Huế"},
                                                first["entity"]["version"],
                                                form_version=_previous()))
        assert r["status"] == "conflict"
        assert r["reason"] == "form_outdated"
        assert "parents_married" in r["missing"]  # newly asked by the corrected form
        assert r["entity"]["status"] == lc.DRAFT
        assert r["entity"]["form_version"] == current_version(BIRTH)
        assert r["entity"]["fields"]["child_home_town"] == "Huế"
        assert r["entity"]["fields"]["child_full_name"] == before["child_full_name"]
        # Submitting on the old form is not performed either: the draft stays a draft.
        sub = phone.one("dossier.submit", {"dossier_id": str(did)})
        assert sub["status"] == "rejected" and sub["entity"]["status"] == lc.DRAFT
        assert "parents_married" in sub["error"]["errors"]
    finally:
        _close_previous(db)


def test_submit_of_an_outdated_draft_moves_it_instead(client, db, citizen):
    phone = Phone(client, citizen)
    did = uuid.uuid4()
    _reopen_previous(db)
    try:
        phone.one("dossier.save", save_args(did, full_values(db.session, version=_previous()),
                                            form_version=_previous()))
        _close_previous(db)
        r = phone.one("dossier.submit", {"dossier_id": str(did)})
        assert (r["status"], r["reason"]) == ("conflict", "form_outdated")
        assert "parents_married" in r["missing"]
        assert r["entity"]["status"] == lc.DRAFT
        assert r["entity"]["form_version"] == current_version(BIRTH)
    finally:
        _close_previous(db)


def test_new_draft_on_an_outdated_form_is_created_on_the_current_one(client, db, citizen):
    r = Phone(client, citizen).one("dossier.save", save_args(
        uuid.uuid4(), {"child_full_name": "An", "no_longer_there": "x"}, form_version=1))
    assert r["status"] == "conflict" and r["reason"] == "form_outdated"
    assert r["entity"]["form_version"] == current_version(BIRTH)
    assert r["entity"]["fields"] == {"child_full_name": "An"}
    assert r["dropped"] == {"no_longer_there": "x"}
    assert [c["other"] for c in r["conflicts"]] == ["x"]  # kept, not silently dropped


def test_withdraw_and_rate_and_delete(client, db, citizen, official):
    phone = Phone(client, citizen)
    submitted = make_dossier(db.session, citizen.user, status=lc.SUBMITTED)
    r = phone.one("dossier.withdraw", {"dossier_id": str(submitted.id), "note": "Nộp nhầm"})
    assert r["status"] == "applied" and r["entity"]["status"] == lc.WITHDRAWN
    returned = make_dossier(db.session, citizen.user, status=lc.RETURNED, official=official.user)
    r = phone.one("dossier.rate", {"dossier_id": str(returned.id), "rating": 5,
                                   "comment": "Nhanh"})
    assert r["status"] == "applied" and r["entity"]["rating"] == 5
    again = Phone(client, citizen).one("dossier.rate", {"dossier_id": str(returned.id),
                                                        "rating": 1})
    assert again["status"] == "rejected" and again["entity"]["rating"] == 5
    assert [c["other"] for c in again["conflicts"]] == [1]
    draft = make_dossier(db.session, citizen.user)
    r = phone.one("dossier.delete_draft", {"dossier_id": str(draft.id)})
    assert r["status"] == "applied" and r["entity"] is None
    assert client.get(f"/api/v1/dossiers/{draft.id}", headers=citizen.headers).status_code == 404
    r = phone.one("dossier.delete_draft", {"dossier_id": str(returned.id)})
    assert r["status"] == "rejected" and r["entity"]["status"] == lc.RETURNED
