"""The newborn bundle (liên thông): one filing, three linked dossiers, each routed to and
handled by its own agency; the citizen follows them, and their results, from one dossier."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import func, select

from app.models.catalog import FormVersion, Procedure
from app.models.dossiers import Dossier
from app.models.warehouse import RESULT, WarehouseRecord
from app.services import forms
from app.services import lifecycle as lc
from tests.sync.helpers import Phone, documents_for, full_values, save_args

BUNDLE = "newborn-bundle"
CUA_NAM = {"line": "5 Lý Thái Tổ", "ward": "00073", "province": "01"}


def _values(db, **changes: Any) -> dict[str, Any]:
    values = full_values(db.session, BUNDLE)
    values.update(mother_residence=CUA_NAM, child_residence=CUA_NAM, **changes)
    db.session.rollback()
    return values


def _current(db, code: str) -> int:
    version = db.session.get(Procedure, code).current_version
    db.session.rollback()
    return version


def _file(client, db, citizen, values: dict[str, Any]) -> tuple[Phone, str, dict[str, Any]]:
    """Save the bundle's draft, attach its documents, submit it; the submit's result."""
    phone, did = Phone(client, citizen), uuid.uuid4()
    saved = phone.one("dossier.save", save_args(did, values, procedure=BUNDLE))
    assert saved["status"] == "applied", saved
    draft = db.session.get(Dossier, did)
    draft.documents = documents_for(db.session, values, BUNDLE)
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
    phone.one("dossier.save", save_args(did, values, procedure=BUNDLE))
    result = phone.one("dossier.submit", {"dossier_id": str(did)})
    assert result["status"] == "rejected" and result["entity"]["status"] == lc.DRAFT
    assert _members(db, str(did)) == {}


def test_the_bundle_comes_first_in_the_catalog_and_is_free(client):
    items = client.get("/api/v1/procedures").get_json()["items"]
    assert items[0]["code"] == BUNDLE
    assert items[0]["fees"]["amount"] == 0
    assert {"birth-registration", "permanent-residence-registration",
            "child-health-insurance"} <= {p["code"] for p in items}
    # Who handles each linked dossier, and in what time: the members', not the bundle's.
    terms = client.get(f"/api/v1/procedures/{BUNDLE}").get_json()["member_terms"]
    assert [(m["procedure"], m["processing_days"], m["agency"]["vi"]) for m in terms] == [
        ("birth-registration", 1, "UBND xã, phường nơi cư trú"),
        ("permanent-residence-registration", 7, "Công an xã, phường nơi cư trú"),
        ("child-health-insurance", 5, "Bảo hiểm xã hội tỉnh, thành phố nơi cư trú")]
    assert "member_terms" not in next(p for p in items if p["code"] == "birth-registration")


def test_the_bundle_asks_once_what_the_current_member_forms_require_and_files_them_there(
        client, db, citizen, make_official):
    """Married parents, the marriage certificate reused from the warehouse, the parents'
    ethnicity and nationality, coded addresses, the card's TK1-TS fields, the residence's
    basis, relationship and guardian: each member dossier is on its procedure's current form
    version, with its values under its own names, and valid there."""
    marriage = WarehouseRecord(owner_id=citizen.user.id, origin=RESULT, kind="marriage_certificate",
                               label={"vi": "Giấy chứng nhận kết hôn", "en": "Marriage certificate"},
                               number="45/2020", issued_on=date(2020, 5, 1), data={},
                               agency_code="UBP-CUANAM")
    db.session.add(marriage)
    db.session.commit()
    record_id = str(marriage.id)
    values = _values(db, parents_married="yes", birth_case="usual", father_known=True,
                     father_residence=CUA_NAM, mother_ethnicity="01", mother_nationality="VN",
                     requester_relationship="mother", register_residence="yes",
                     residence_basis="relative", relationship_to_head="child",
                     owner_consent=True, household_head_full_name="Nguyễn Văn Nam",
                     household_head_national_id="001090012345", head_consent=True,
                     guardian_full_name="Trần Thị Hoa", guardian_consent=True)
    phone, did = Phone(client, citizen), uuid.uuid4()
    saved = phone.one("dossier.save", save_args(did, values, procedure=BUNDLE))
    assert saved["status"] == "applied", saved
    docs = {c: i for c, i in documents_for(db.session, values, BUNDLE).items()
            if c != "marriage_certificate"}
    assert "relationship_proof" not in docs  # the child joins a parent: this birth certificate
    draft = db.session.get(Dossier, did)
    draft.documents = docs
    db.session.commit()
    attached = phone.one("dossier.attach", {"dossier_id": str(did),
                                            "document_code": "marriage_certificate",
                                            "record_id": record_id})
    assert attached["status"] == "applied", attached
    result = phone.one("dossier.submit", {"dossier_id": str(did)})
    assert result["status"] == "applied", result.get("error", {}).get("errors")

    members = _members(db, str(did))
    for code, member in members.items():
        assert member.form_version == _current(db, code), code
        form = db.session.get(FormVersion, (code, member.form_version)).form
        assert forms.validate(form, member.fields, "vi", complete=False) == {}, code
    birth = members["birth-registration"].fields
    assert (birth["parents_married"], birth["mother_ethnicity"], birth["mother_nationality"],
            birth["father_residence"]) == ("yes", "01", "VN", CUA_NAM)
    assert members["birth-registration"].documents["marriage_certificate"]["record_id"] == record_id
    insurance = members["child-health-insurance"].fields
    assert (insurance["child_ethnicity"], insurance["child_nationality"]) == (
        values["child_ethnicity"], values["child_nationality"])
    assert insurance["requester_relationship"] == "mother"
    assert insurance["birth_registration_place"] == "UBND phường Cửa Nam"  # where the birth went
    residence = members["permanent-residence-registration"].fields
    assert (residence["residence_basis"], residence["relationship_to_head"],
            residence["guardian_full_name"], residence["guardian_consent"],
            residence["fee_category"]) == ("relative", "child", "Trần Thị Hoa", True, "child")
    # The ward's desk opens the reused certificate through the member it handles.
    ward = make_official(role="leader", agency="UBP-CUANAM")
    assert client.get(f"/api/v1/warehouse/records/{record_id}",
                      headers=ward.headers).status_code == 200
    police = make_official(role="leader", agency="CAP-CUANAM")
    assert client.get(f"/api/v1/warehouse/records/{record_id}",
                      headers=police.headers).status_code == 404


def test_a_carer_files_for_an_abandoned_child_and_the_card_names_the_carer_as_guardian(
        client, db, citizen):
    values = _values(db, birth_case="abandoned", requester_relationship="carer",
                     register_residence="no")
    _, bundle_id, result = _file(client, db, citizen, values)
    assert result["status"] == "applied", result
    members = _members(db, bundle_id)
    assert set(members) == {"birth-registration", "child-health-insurance"}
    assert members["child-health-insurance"].fields["requester_relationship"] == "guardian"
    assert "mother_full_name" not in members["birth-registration"].fields  # hidden, not sent


def test_an_older_relationship_is_left_for_the_desk_not_guessed(client, db, citizen):
    _, bundle_id, result = _file(client, db, citizen,
                                 _values(db, requester_relationship="grandparent"))
    assert result["status"] == "applied", result
    insurance = _members(db, bundle_id)["child-health-insurance"].fields
    assert "requester_relationship" not in insurance  # the card's form has no "grandparent"


def test_a_child_six_or_older_cannot_take_the_bundle(client, db, citizen):
    old = (date.today().replace(year=date.today().year - 7)).isoformat()
    phone = Phone(client, citizen)
    saved = phone.one("dossier.save", save_args(uuid.uuid4(), {"child_birth_date": old},
                                                procedure=BUNDLE))
    assert saved["status"] == "rejected" and "child_birth_date" in saved["error"]["errors"]


def test_each_desk_sees_the_members_filed_with_its_own_and_nothing_of_their_answers(
        client, db, citizen, make_official):
    _, bundle_id, result = _file(client, db, citizen, _values(db))
    assert result["status"] == "applied", result
    members = {code: str(m.id) for code, m in _members(db, bundle_id).items()}
    ward, police, insurance, elsewhere = (
        make_official(role="leader", agency=a)
        for a in ("UBP-CUANAM", "CAP-CUANAM", "BHXH-HANOI", "UBP-HOANKIEM"))

    def linked(official, procedure: str) -> list[dict[str, Any]]:
        resp = client.get(f"/api/v1/office/dossiers/{members[procedure]}", headers=official.headers)
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()["linked"]

    seen = linked(police, "permanent-residence-registration")
    assert [(s["procedure_code"], s["agency_code"], s["status"]) for s in seen] == [
        ("birth-registration", "UBP-CUANAM", lc.SUBMITTED),
        ("child-health-insurance", "BHXH-HANOI", lc.SUBMITTED)]
    assert seen[0]["agency_name"]["vi"] == "UBND phường Cửa Nam"
    assert seen[0]["procedure_name"]["vi"].startswith("Đăng ký khai sinh")
    assert set(seen[0]) == {"procedure_code", "procedure_name", "agency_code", "agency_name",
                            "status", "status_code", "receipt_code", "result"}  # no answers
    assert seen[0]["receipt_code"] is None and seen[0]["result"] is None
    # Seeing a sibling is not opening it: its own page is its agency's only.
    assert client.get(f"/api/v1/office/dossiers/{members['birth-registration']}",
                      headers=police.headers).status_code == 404
    for procedure in members:  # an agency holding no member sees none of them
        assert client.get(f"/api/v1/office/dossiers/{members[procedure]}",
                          headers=elsewhere.headers).status_code == 404

    # The ward registers the birth: the card's desk reads the certificate's number there.
    url = f"/api/v1/office/dossiers/{members['birth-registration']}/transitions"
    for body in ({"action": "accept"}, {"action": "start"},
                 {"action": "complete", "result": {"number": "125/2026/KS", "method": "electronic",
                                                   "issued_on": "2026-12-01"}}):
        assert client.post(url, json=body, headers=ward.headers).status_code == 200
    birth = next(s for s in linked(insurance, "child-health-insurance")
                 if s["procedure_code"] == "birth-registration")
    assert birth["status"] == lc.RESULT_READY and birth["receipt_code"]
    assert birth["result"] == {"number": "125/2026/KS", "issued_on": "2026-12-01"}
    assert linked(ward, "birth-registration")[0]["procedure_code"] == "child-health-insurance"
    # A lone dossier has no linked dossiers.
    from tests.factories import make_dossier
    lone = make_dossier(db.session, citizen.user, status=lc.SUBMITTED, official=elsewhere.user)
    alone = client.get(f"/api/v1/office/dossiers/{lone.id}", headers=elsewhere.headers)
    assert alone.status_code == 200 and alone.get_json()["linked"] == []
