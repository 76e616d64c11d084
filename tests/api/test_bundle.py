"""The newborn bundle (liên thông): one filing, three linked dossiers, each routed to and
handled by its own agency; the citizen follows them, and their results, from one dossier."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select

from app.models.dossiers import Dossier
from app.services import lifecycle as lc
from tests.sync.helpers import Phone, documents_for, full_values, save_args

BUNDLE = "newborn-bundle"
CUA_NAM = {"line": "5 Lý Thái Tổ", "ward": "00073", "province": "01"}


def _values(db, **changes: Any) -> dict[str, Any]:
    values = full_values(db.session, BUNDLE, 1)
    values.update(mother_residence=CUA_NAM, child_residence=CUA_NAM, **changes)
    return values


def _file(client, db, citizen, values: dict[str, Any]) -> tuple[Phone, str, dict[str, Any]]:
    """Save the bundle's draft, attach its documents, submit it; the submit's result."""
    phone, did = Phone(client, citizen), uuid.uuid4()
    saved = phone.one("dossier.save", save_args(did, values, procedure=BUNDLE, form_version=1))
    assert saved["status"] == "applied", saved
    draft = db.session.get(Dossier, did)
    draft.documents = documents_for(db.session, values, BUNDLE, 1)
    db.session.commit()
    return phone, str(did), phone.one("dossier.submit", {"dossier_id": str(did)})


def _members(db, bundle_id: str) -> dict[str, Dossier]:
    db.session.expire_all()
    rows = db.session.scalars(select(Dossier).where(Dossier.bundle_id == uuid.UUID(bundle_id)))
    return {d.procedure_code: d for d in rows}


def test_one_filing_makes_three_linked_dossiers_each_on_its_own_desk(
        client, db, citizen, make_official):
    values = _values(db)
    phone, bundle_id, result = _file(client, db, citizen, values)
    assert result["status"] == "applied", result
    bundle = result["entity"]
    assert bundle["status"] == lc.SUBMITTED and bundle["allowed_actions"] == []
    assert {(m["procedure_code"], m["agency_code"], m["status"]) for m in bundle["members"]} == {
        ("birth-registration", "UBP-CUANAM", lc.SUBMITTED),
        ("permanent-residence-registration", "CAP-CUANAM", lc.SUBMITTED),
        ("child-health-insurance", "BHXH-HANOI", lc.SUBMITTED)}

    members = _members(db, bundle_id)
    assert set(members) == {"birth-registration", "permanent-residence-registration",
                            "child-health-insurance"}
    # Entered once: each member has the values under its own field names.
    residence = members["permanent-residence-registration"].fields
    assert residence["applicant_full_name"] == values["child_full_name"]
    assert residence["new_address"] == CUA_NAM
    insurance = members["child-health-insurance"].fields
    assert insurance["child_birth_date"] == values["child_birth_date"]
    assert members["birth-registration"].fields["mother_full_name"] == values["mother_full_name"]
    assert "birth_notice" in members["birth-registration"].documents
    assert all(m.fee_status == "none" for m in members.values())  # free in the bundle

    desks = {code: make_official(role="leader", agency=code)
             for code in ("UBP-CUANAM", "CAP-CUANAM", "BHXH-HANOI", "UBP-HOANKIEM")}
    seen = {code: [d["id"] for d in client.get("/api/v1/office/dossiers", headers=o.headers)
                   .get_json()["items"]] for code, o in desks.items()}
    assert seen["UBP-CUANAM"] == [str(members["birth-registration"].id)]
    assert seen["CAP-CUANAM"] == [str(members["permanent-residence-registration"].id)]
    assert seen["BHXH-HANOI"] == [str(members["child-health-insurance"].id)]
    assert seen["UBP-HOANKIEM"] == []
    for official in desks.values():  # no desk handles the bundle's own dossier
        assert client.get(f"/api/v1/office/dossiers/{bundle_id}",
                          headers=official.headers).status_code == 404

    # Each desk works its dossier to the result; the citizen sees all three from the bundle.
    for code, procedure in (("UBP-CUANAM", "birth-registration"),
                            ("CAP-CUANAM", "permanent-residence-registration"),
                            ("BHXH-HANOI", "child-health-insurance")):
        url = f"/api/v1/office/dossiers/{members[procedure].id}/transitions"
        for body in ({"action": "accept"}, {"action": "start"},
                     {"action": "complete", "result": {"number": f"{code}/2026",
                                                       "method": "electronic"}}):
            resp = client.post(url, json=body, headers=desks[code].headers)
            assert resp.status_code == 200, resp.get_json()
    journey = client.get(f"/api/v1/dossiers/{bundle_id}", headers=citizen.headers).get_json()
    assert sorted((m["status"], m["result"]["number"]) for m in journey["members"]) == [
        (lc.RESULT_READY, "BHXH-HANOI/2026"), (lc.RESULT_READY, "CAP-CUANAM/2026"),
        (lc.RESULT_READY, "UBP-CUANAM/2026")]
    assert all(m["receipt_code"] for m in journey["members"])
    # The members reach the phone too, each naming its bundle.
    pulled = [c for c in phone.pull_all() if c["entity"] == "dossier"]
    assert {c["data"]["bundle_id"] for c in pulled if c["id"] != bundle_id} == {bundle_id}


def test_a_replayed_or_repeated_submit_makes_nothing_twice(client, db, citizen):
    phone, bundle_id, result = _file(client, db, citizen, _values(db))
    assert result["status"] == "applied"
    replay = phone.send([{"id": phone.next_id - 1, "name": "dossier.submit",
                          "args": {"dossier_id": bundle_id},
                          "captured_at": "2026-11-30T10:00:00+00:00"}])
    assert replay.status_code == 200
    again = phone.one("dossier.submit", {"dossier_id": bundle_id})
    assert again["status"] == "rejected"
    count = db.session.scalar(select(func.count()).select_from(Dossier)
                              .where(Dossier.bundle_id == uuid.UUID(bundle_id)))
    assert count == 3


def test_the_residence_registration_can_be_left_out(client, db, citizen):
    _, bundle_id, result = _file(client, db, citizen, _values(db, register_residence="no"))
    assert result["status"] == "applied", result
    assert set(_members(db, bundle_id)) == {"birth-registration", "child-health-insurance"}


def test_a_withdrawal_goes_to_each_linked_dossier_not_the_bundle(client, db, citizen):
    phone, bundle_id, _ = _file(client, db, citizen, _values(db))
    refused = phone.one("dossier.withdraw", {"dossier_id": bundle_id, "note": "Nhầm"})
    assert refused["status"] == "rejected"
    assert refused["entity"]["status"] == lc.SUBMITTED
    member = _members(db, bundle_id)["child-health-insurance"]
    done = phone.one("dossier.withdraw", {"dossier_id": str(member.id), "note": "Nhầm"})
    assert done["status"] == "applied" and done["entity"]["status"] == lc.WITHDRAWN


def test_an_incomplete_bundle_makes_no_dossier(client, db, citizen):
    phone, did = Phone(client, citizen), uuid.uuid4()
    values = _values(db)
    del values["mother_full_name"]
    phone.one("dossier.save", save_args(did, values, procedure=BUNDLE, form_version=1))
    result = phone.one("dossier.submit", {"dossier_id": str(did)})
    assert result["status"] == "rejected" and result["entity"]["status"] == lc.DRAFT
    assert _members(db, str(did)) == {}


def test_the_bundle_comes_first_in_the_catalog_and_is_free(client):
    items = client.get("/api/v1/procedures").get_json()["items"]
    assert items[0]["code"] == BUNDLE
    assert items[0]["fees"]["amount"] == 0
    assert {"birth-registration", "permanent-residence-registration",
            "child-health-insurance"} <= {p["code"] for p in items}
