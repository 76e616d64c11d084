"""Routing by address: a dossier reaches the desk of the agency serving the citizen's ward,
and only that agency's officials see it (list, detail, transitions, statistics, payments)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from sqlalchemy import delete, event

from app.errors import ValidationFailed
from app.models.accounts import Agency
from app.models.catalog import FormVersion, Procedure
from app.models.dossiers import Dossier
from app.services import catalog, clock, directory
from tests.sync.helpers import Phone

CODE = "routing-check"
HOAN_KIEM, CUA_NAM, SAI_GON = "00070", "00073", "26740"


def _address(ward: str | None, province: str = "01") -> dict[str, Any]:
    return {"line": "12 Hàng Bạc", "ward": ward, "province": province}


def _field(name: str, label: str, coded: bool = True, required: bool = False) -> dict[str, Any]:
    field = {"name": name, "type": "address", "label": {"vi": label, "en": label},
             "required": required}
    return {**field, "options_from": "admin_units"} if coded else field


SPEC = {
    "code": CODE,
    "competent": {"level": "commune", "kind": "people_committee",
                  "by": ["residence", "other_residence"], "default_agency": "UBP-HOANKIEM"},
    "name": {"vi": "Kiểm tra định tuyến", "en": "Routing check"},
    "category": "civil-status", "processing_days": 1,
    "fees": {"currency": "VND", "amount": 20000, "rules": [], "due": "filing"},
    "versions": [
        {"version": 1, "published_at": "2025-01-01", "accepted_until": "2099-12-31",
         "form": {"sections": [{"id": "a", "title": {"vi": "A", "en": "A"}, "fields": [
             _field("residence", "Nơi cư trú", coded=False, required=True)]}]}},
        {"version": 2, "published_at": "2025-07-01",
         "form": {"sections": [{"id": "a", "title": {"vi": "A", "en": "A"}, "fields": [
             _field("residence", "Nơi cư trú"), _field("other_residence", "Nơi cư trú khác")]}]}},
    ],
}


@pytest.fixture(scope="module")
def procedure(app):
    """A procedure whose current form codes its addresses, gone again after this module."""
    from app.extensions import db

    with app.app_context():
        catalog.load_procedure(db.session, SPEC)
        db.session.commit()
    yield CODE
    with app.app_context():
        db.session.execute(delete(FormVersion).where(FormVersion.procedure_code == CODE))
        db.session.execute(delete(Procedure).where(Procedure.code == CODE))
        db.session.commit()


def _submit(client, citizen, fields: dict[str, Any], version: int = 2) -> dict[str, Any]:
    phone, dossier_id = Phone(client, citizen), str(uuid.uuid4())
    saved = phone.one("dossier.save", {"dossier_id": dossier_id, "procedure_code": CODE,
                                       "form_version": version, "base_version": None,
                                       "fields": fields})
    assert saved["status"] == "applied", saved
    return phone.one("dossier.submit", {"dossier_id": dossier_id})


def _ids(client, official) -> list[str]:
    resp = client.get("/api/v1/office/dossiers", headers=official.headers)
    assert resp.status_code == 200
    return [d["id"] for d in resp.get_json()["items"]]


def test_a_citizen_of_ward_a_reaches_ward_a_and_ward_b_cannot_see_it(
        client, procedure, citizen, make_official):
    result = _submit(client, citizen, {"residence": _address(CUA_NAM)})
    assert result["status"] == "applied", result
    dossier = result["entity"]
    assert dossier["agency_code"] == "UBP-CUANAM"
    ward_a = make_official(role="leader", agency="UBP-CUANAM")
    ward_b = make_official(role="leader", agency="UBP-HOANKIEM")
    url = f"/api/v1/office/dossiers/{dossier['id']}"

    assert dossier["id"] in _ids(client, ward_a)
    assert client.get(url, headers=ward_a.headers).status_code == 200
    assert dossier["id"] not in _ids(client, ward_b)
    for resp in (client.get(url, headers=ward_b.headers),
                 client.post(f"{url}/transitions", json={"action": "accept"}, headers=ward_b.headers),
                 client.post(f"{url}/payments", json={"method": "cash"}, headers=ward_b.headers),
                 client.get(f"{url}/payments", headers=ward_b.headers)):
        assert resp.status_code == 404, resp.get_json()

    # The fee is taken at ward A's desk, then ward A accepts: the receipt code starts with
    # ward A's electronic identifier.
    paid = client.post(f"{url}/payments", json={"method": "cash"}, headers=ward_a.headers)
    assert paid.status_code in (200, 201), paid.get_json()
    accepted = client.post(f"{url}/transitions", json={"action": "accept"}, headers=ward_a.headers)
    assert accepted.status_code == 200, accepted.get_json()
    assert re.fullmatch(r"000\.73\.01\.H26-\d{6}-0001", accepted.get_json()["receipt_code"])

    stats = {who: client.get("/api/v1/office/stats", headers=who.headers).get_json()
             for who in (ward_a, ward_b)}
    assert [p["procedure_code"] for p in stats[ward_a]["procedures"]] == [CODE]
    assert stats[ward_b]["procedures"] == []
    shares = {who: client.get("/api/v1/office/payments/online-share", headers=who.headers).get_json()
              for who in (ward_a, ward_b)}
    assert [i["agency_code"] for i in shares[ward_a]["items"]] == ["UBP-CUANAM"]
    assert shares[ward_b]["items"] == []
    day = clock.today().isoformat()  # the local day the fee was taken
    recon = {who: client.get(f"/api/v1/office/payments/reconciliation?day={day}",
                             headers=who.headers).get_json() for who in (ward_a, ward_b)}
    assert [i["dossier_id"] for i in recon[ward_a]["items"]] == [dossier["id"]]
    assert recon[ward_a]["total_amount"] == 20000
    assert recon[ward_b]["items"] == [] and recon[ward_b]["total_amount"] == 0


def test_the_first_filled_routing_address_decides(client, procedure, citizen):
    other_city = _submit(client, citizen, {"residence": None,
                                           "other_residence": _address(SAI_GON, "79")})
    assert other_city["entity"]["agency_code"] == "UBP-SAIGON"
    both = _submit(client, citizen, {"residence": _address(HOAN_KIEM),
                                     "other_residence": _address(SAI_GON, "79")})
    assert both["entity"]["agency_code"] == "UBP-HOANKIEM"


def test_an_old_form_version_without_coded_addresses_goes_to_the_default_agency(
        client, procedure, citizen):
    result = _submit(client, citizen, {"residence": {"line": "5 Lý Thái Tổ",
                                                     "ward": "Phường Cửa Nam",
                                                     "province": "Hà Nội"}}, version=1)
    assert result["status"] == "applied", result
    assert result["entity"]["agency_code"] == "UBP-HOANKIEM"


@pytest.mark.parametrize("ward", ["99999", "01", "../00070", "Phường Cửa Nam"])
def test_an_address_with_no_known_ward_reaches_no_desk(client, db, procedure, citizen, ward):
    phone, dossier_id = Phone(client, citizen), str(uuid.uuid4())
    saved = phone.one("dossier.save", {"dossier_id": dossier_id, "procedure_code": CODE,
                                       "form_version": 2, "base_version": None,
                                       "fields": {"residence": _address(ward)}})
    assert saved["status"] == "rejected"
    assert [k for k in saved["error"]["errors"] if k.startswith("residence")]
    # The domain refuses it too, whoever calls it.
    proc = db.session.get(Procedure, CODE)
    form = db.session.get(FormVersion, (CODE, 2)).form
    with pytest.raises(ValidationFailed) as refused:
        directory.route(db.session, proc, form, {"residence": _address(ward)})
    assert list(refused.value.errors) == ["residence"]


def test_an_agency_that_lists_a_ward_in_serves_takes_it_before_the_ward_own(db):
    own = directory.serving(db.session, "people_committee", "commune", CUA_NAM, "01")
    assert own.code == "UBP-CUANAM"
    assert directory.serving(db.session, "police", "province", CUA_NAM, "01").code == "CAT-HANOI"
    assert directory.serving(db.session, "social_insurance", "province", SAI_GON, "79").code == "BHXH-HCM"
    assert directory.serving(db.session, "people_committee", "commune", "00001", "01") is None
    test = Agency(code="UBP-TEST", name={"vi": "x", "en": "x"}, level="commune",
                  kind="people_committee", unit_code=HOAN_KIEM, electronic_id="000.99.99.H26")
    db.session.add(test)
    directory.set_serves(db.session, test, [CUA_NAM])
    try:
        assert directory.serving(db.session, "people_committee", "commune", CUA_NAM, "01").code == "UBP-TEST"
    finally:
        db.session.rollback()


def test_routing_picks_the_agency_among_thousands_by_lookup_not_by_scan(db):
    """A national directory: 3,000 wards' People's Committees and police, a few serving
    other wards. The agency serving a ward is found reading only the agencies it returns."""
    for n in range(3000):
        unit = f"9{n:04d}"
        for kind in ("people_committee", "police"):
            db.session.add(Agency(code=f"T-{kind[:3]}-{n}", name={"vi": unit, "en": unit},
                                  level="commune", kind=kind, unit_code=unit,
                                  electronic_id=f"000.{n}.{kind[:3]}.T99"))
    db.session.flush()
    merged = db.session.get(Agency, "T-pol-17")
    directory.set_serves(db.session, merged, ["90018", "90019"])  # a ward merged into another
    db.session.flush()
    db.session.expunge_all()
    loaded: list[str] = []

    def count(_session: Any, obj: Any) -> None:
        loaded.append(getattr(obj, "code", ""))

    session = db.session()
    event.listen(session, "loaded_as_persistent", count)
    try:
        def code(kind: str, level: str, ward: str) -> str | None:
            found = directory.serving(db.session, kind, level, ward, "91")
            return found and found.code
        assert code("people_committee", "commune", "92718") == "T-peo-2718"
        assert code("police", "commune", "92718") == "T-pol-2718"
        assert code("police", "commune", "90019") == "T-pol-17"
        assert code("people_committee", "commune", "90019") == "T-peo-19"
        assert code("police", "province", "92718") is None
        assert loaded == ["T-peo-2718", "T-pol-2718", "T-pol-17", "T-peo-19"]
    finally:
        event.remove(session, "loaded_as_persistent", count)
        db.session.rollback()


def test_the_directory_is_public_with_units_and_identifiers(client):
    resp = client.get("/api/v1/agencies")
    assert resp.status_code == 200
    assert "must-revalidate" in resp.headers["Cache-Control"]
    items = {a["code"]: a for a in resp.get_json()["items"]}
    assert items["UBP-HOANKIEM"] == {
        "code": "UBP-HOANKIEM", "electronic_id": "000.70.01.H26", "kind": "people_committee",
        "level": "commune", "unit": HOAN_KIEM, "serves": [],
        "name": {"vi": "UBND phường Hoàn Kiếm", "en": "Hoan Kiem Ward People's Committee"}}
    kinds = {(a["kind"], a["level"], a["unit"]) for a in items.values()}
    for ward in (HOAN_KIEM, CUA_NAM, SAI_GON):
        assert ("people_committee", "commune", ward) in kinds
        assert ("police", "commune", ward) in kinds
    assert {("police", "province", "01"), ("police", "province", "79"),
            ("social_insurance", "province", "01"), ("social_insurance", "province", "79")} <= kinds


def test_the_catalog_names_the_competent_level_and_kind(client):
    birth = client.get("/api/v1/procedures/birth-registration").get_json()
    assert birth["competent"]["by"] == ["mother_residence", "father_residence"]
    assert (birth["competent"]["level"], birth["competent"]["kind"]) == ("commune", "people_committee")
    assert birth["competent"]["label"]["vi"] == "UBND xã, phường nơi cư trú"
    criminal = client.get("/api/v1/procedures/criminal-record-certificate").get_json()
    assert (criminal["competent"]["level"], criminal["competent"]["kind"]) == ("province", "police")


def test_an_official_sees_the_agency_kind_and_level(client, make_official):
    official = make_official(agency="CAP-SAIGON", role="reception")
    me = client.get("/api/v1/auth/me", headers=official.headers).get_json()
    assert me["agency"]["kind"] == "police" and me["agency"]["unit"] == SAI_GON


@pytest.mark.parametrize(("procedure", "field", "ward", "agency"), [
    ("birth-registration", "mother_residence", CUA_NAM, "UBP-CUANAM"),
    ("birth-registration", "mother_residence", SAI_GON, "UBP-SAIGON"),
])
def test_a_catalog_procedure_with_coded_addresses_goes_to_the_ward_of_the_address(
        db, citizen, procedure, field, ward, agency):
    from app.services import code_tables
    from tests.factories import make_dossier, sample_values

    proc = db.session.get(Procedure, procedure)
    form = db.session.get(FormVersion, (procedure, proc.current_version)).form
    if "options_from" not in next(f for s in form["sections"] for f in s["fields"] if f["name"] == field):
        pytest.skip("the current form version does not code this address yet")
    values = sample_values(form)
    values[field] = _address(ward, code_tables.item("admin_units", ward)["parent"])
    dossier = make_dossier(db.session, citizen.user, procedure, status="submitted", fields=values)
    assert dossier.agency_code == agency


def test_a_supplement_that_moves_the_address_transfers_the_dossier_to_the_new_ward(
        client, db, procedure, citizen, make_official):
    """The citizen answers a supplement request with an address in another ward: the dossier
    goes to that ward's agency, with its receipt code and appointment date, and everyone is
    told (the citizen's history and inbox, both agencies' audit logs)."""
    phone = Phone(client, citizen)
    filed = _submit(client, citizen, {"residence": _address(HOAN_KIEM)})["entity"]
    url = f"/api/v1/office/dossiers/{filed['id']}"
    old, new = (make_official(role="leader", agency=a) for a in ("UBP-HOANKIEM", "UBP-CUANAM"))
    specialist = make_official(role="specialist", agency="UBP-HOANKIEM")
    paid = client.post(f"{url}/payments", json={"method": "cash"}, headers=old.headers)
    assert paid.status_code in (200, 201)
    for who, body in ((old, {"action": "accept"}), (specialist, {"action": "start"}),
                      (specialist, {"action": "request_supplement", "fields": ["residence"],
                                    "note": "Ghi rõ nơi cư trú hiện nay"})):
        resp = client.post(f"{url}/transitions", json=body, headers=who.headers)
        assert resp.status_code == 200, resp.get_json()
    before = client.get(url, headers=old.headers).get_json()
    assert before["assignee"]["id"] == specialist.id  # the old agency's specialist holds it

    answered = phone.one("dossier.supplement", {"dossier_id": filed["id"],
                                                "fields": {"residence": _address(CUA_NAM)}})
    assert answered["status"] == "applied", answered
    dossier = answered["entity"]
    assert dossier["agency_code"] == "UBP-CUANAM"
    assert dossier["receipt_code"] == before["receipt_code"]
    assert dossier["appointment_date"] == before["appointment_date"]
    step = dossier["history"][-1]
    assert (step["action"], step["actor_kind"]) == ("transfer", "system")
    assert (step["data"]["from_agency"], step["data"]["to_agency"]) == ("UBP-HOANKIEM", "UBP-CUANAM")
    assert step["data"]["to_agency_name"]["vi"] == "UBND phường Cửa Nam"

    # The old agency lets it go, the new one has it, unheld, ready to work on.
    assert client.get(url, headers=old.headers).status_code == 404
    assert filed["id"] not in _ids(client, old) and filed["id"] in _ids(client, new)
    at_new = client.get(url, headers=new.headers).get_json()
    assert at_new["status"] == "in_progress" and at_new.get("assignee") is None
    assert [e["action"] for e in at_new["history"]][-2:] == ["supplement", "transfer"]
    done = client.post(f"{url}/transitions", json={"action": "complete", "result": {
        "number": "12/2026", "method": "electronic"}}, headers=new.headers)
    assert done.status_code == 200, done.get_json()
    assert client.post(f"{url}/transitions", json={"action": "return_result"},
                       headers=old.headers).status_code == 404
    # Both audit logs show the transfer; the old one keeps its officials' steps.
    logs = {who: client.get("/api/v1/office/audit", query_string={"per_page": 100},
                            headers=who.headers).get_json()["items"] for who in (old, new)}
    assert {"accept", "start", "request_supplement", "transfer"} <= {e["action"] for e in logs[old]}
    assert "complete" not in {e["action"] for e in logs[old]}
    assert {"transfer", "complete"} <= {e["action"] for e in logs[new]}
    # The old desk's log says the dossier is no longer openable there (no link to a 404).
    assert {e["here"] for e in logs[old]} == {False} and {e["here"] for e in logs[new]} == {True}
    only = client.get("/api/v1/office/audit", query_string={"action": "transfer"},
                      headers=old.headers).get_json()["items"]
    assert [e["receipt_code"] for e in only] == [before["receipt_code"]]
    # The citizen is told in the inbox, in their language, naming the new agency.
    inbox = client.get("/api/v1/notifications", headers=citizen.headers).get_json()["items"]
    told = [n for n in inbox if n["kind"] == "transferred"]
    assert len(told) == 1 and "UBND phường Cửa Nam" in told[0]["body"]
    assert before["receipt_code"] in told[0]["body"]


def test_a_supplement_naming_an_unknown_ward_is_refused_and_nothing_moves(
        client, db, procedure, citizen, make_official):
    filed = _submit(client, citizen, {"residence": _address(HOAN_KIEM)})["entity"]
    url = f"/api/v1/office/dossiers/{filed['id']}"
    old = make_official(role="leader", agency="UBP-HOANKIEM")
    client.post(f"{url}/payments", json={"method": "cash"}, headers=old.headers)
    for body in ({"action": "accept"}, {"action": "start"},
                 {"action": "request_supplement", "fields": ["residence"], "note": "Ghi rõ"}):
        assert client.post(f"{url}/transitions", json=body, headers=old.headers).status_code == 200
    answered = Phone(client, citizen).one("dossier.supplement", {
        "dossier_id": filed["id"], "fields": {"residence": _address("99999")}})
    assert answered["status"] == "rejected", answered
    assert "residence" in answered["error"]["errors"]
    kept = client.get(url, headers=old.headers).get_json()
    assert (kept["status"], kept["agency_code"]) == ("supplement_requested", "UBP-HOANKIEM")


def test_a_supplement_on_a_form_that_codes_no_address_keeps_the_agency(
        client, db, procedure, citizen, make_official):
    """A dossier routed by coded values its own form version does not code (a member of a
    bundle filed on the bundle's first form) stays where it is when the citizen answers."""
    free = {"line": "5 Lý Thái Tổ", "ward": "Phường Cửa Nam", "province": "Hà Nội"}
    filed = _submit(client, citizen, {"residence": free}, version=1)["entity"]
    dossier = db.session.get(Dossier, uuid.UUID(filed["id"]))
    dossier.agency_code = "UBP-CUANAM"  # as the bundle's coded address routed it
    db.session.commit()
    ward = make_official(role="leader", agency="UBP-CUANAM")
    url = f"/api/v1/office/dossiers/{filed['id']}"
    client.post(f"{url}/payments", json={"method": "cash"}, headers=ward.headers)
    for body in ({"action": "accept"}, {"action": "start"},
                 {"action": "request_supplement", "fields": ["residence"], "note": "Ghi rõ"}):
        assert client.post(f"{url}/transitions", json=body, headers=ward.headers).status_code == 200
    answered = Phone(client, citizen).one("dossier.supplement", {
        "dossier_id": filed["id"], "fields": {"residence": {**free, "line": "7 Lý Thái Tổ"}}})
    assert answered["status"] == "applied", answered
    assert answered["entity"]["agency_code"] == "UBP-CUANAM"
    assert "transfer" not in [e["action"] for e in answered["entity"]["history"]]
