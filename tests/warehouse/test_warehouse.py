"""The data warehouse as citizens and officials meet it: once-only prefill, reuse instead
of upload, the access log, and the agency's reuse statistics."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select

from app.models.catalog import FormVersion
from app.models.uploads import Upload
from app.services import clock
from app.services import lifecycle as lc
from tests.factories import make_dossier, sample_values
from tests.signup import sign_up
from tests.sync.helpers import Phone, current_version, full_values, save_args
from tests.uploads.helpers import jpeg, upload

CHI = "child-health-insurance"


def _warehouse(client: Any, actor: Any) -> dict[str, Any]:
    resp = client.get("/api/v1/warehouse", headers=actor.headers)
    assert resp.status_code == 200, resp.get_json()
    assert resp.headers["Cache-Control"] == "private, no-store"
    return resp.get_json()


def _returned_birth(db: Any, citizen: Any, official: Any) -> Any:
    values = {**full_values(db.session), "child_full_name": "Nguyễn Bảo Ngọc",
              "child_sex": "female", "child_birth_date": "2026-10-02"}
    return make_dossier(db.session, citizen.user, "birth-registration", lc.RETURNED,
                        official=official.user, fields=values)


def test_sign_up_fills_the_profile(client: Any, db: Any) -> None:
    tokens = sign_up(client, "0987654321", "Mat-khau-rat-kho-2026", "Đỗ Minh Khang")
    me = type("Me", (), {"headers": {"Authorization": f"Bearer {tokens['access_token']}"}})
    profile = _warehouse(client, me)["profile"]
    assert profile["full_name"]["value"] == "Đỗ Minh Khang"
    assert profile["full_name"]["source"] == "signup" and not profile["full_name"]["verified"]
    assert profile["phone"] == {**profile["phone"], "value": "0987654321", "verified": True}


def test_returned_result_is_prefilled_and_reused_without_upload(
        client: Any, db: Any, citizen: Any, make_official: Any) -> None:
    leader = make_official()
    bhxh = make_official("reception", procedure=CHI)
    _returned_birth(db, citizen, leader)

    records = _warehouse(client, citizen)["records"]
    assert [r["kind"] for r in records] == ["birth_certificate"]
    cert = records[0]
    assert cert["number"] == "123/2026" and cert["issued_on"] == clock.today().isoformat()
    assert cert["label"]["vi"] == "Giấy khai sinh số 123/2026"
    assert {"child_full_name": "Nguyễn Bảo Ngọc", "child_sex": "female",
            "child_birth_date": "2026-10-02"}.items() <= cert["data"].items()

    resp = client.get("/api/v1/warehouse/prefill",
                      query_string={"procedure": CHI, "version": current_version(CHI)},
                      headers=citizen.headers)
    assert resp.status_code == 200
    pre = resp.get_json()
    assert pre["fields"]["child_full_name"] == {"value": "Nguyễn Bảo Ngọc", "source": {
        "kind": "record", "label": cert["label"], "record_id": cert["id"], "verified": True}}
    assert pre["fields"]["child_birth_date"]["value"] == "2026-10-02"
    assert pre["fields"]["child_sex"]["value"] == "female"
    assert pre["fields"]["birth_certificate_number"]["value"] == "123/2026"
    assert pre["fields"]["birth_certificate_issued_on"]["value"] == cert["issued_on"]
    assert pre["fields"]["requester_full_name"]["source"]["kind"] == "profile"
    assert pre["fields"]["requester_phone"]["value"] == citizen.user.phone
    assert "requester_national_id" not in pre["fields"]  # not known: the citizen types it
    assert pre["documents"] == {"birth_certificate": [
        {"record_id": cert["id"], "kind": "birth_certificate", "label": cert["label"]}]}

    # A draft filled from the prefill, its document reused by record: submits, no upload.
    form = db.session.get(FormVersion, (CHI, current_version(CHI))).form
    values = {**sample_values(form), **{k: v["value"] for k, v in pre["fields"].items()}}
    db.session.rollback()
    phone, did = Phone(client, citizen), uuid.uuid4()
    assert phone.one("dossier.save", save_args(did, values, procedure=CHI)
                     )["status"] == "applied"
    attached = phone.one("dossier.attach", {"dossier_id": str(did),
                                            "document_code": "birth_certificate",
                                            "record_id": cert["id"]})
    assert attached["status"] == "applied"
    assert attached["entity"]["documents"]["birth_certificate"] == {
        "source": "dossier", "status": "ready", "record_id": cert["id"],
        "name": "Giấy khai sinh"}
    submitted = phone.one("dossier.submit", {"dossier_id": str(did)})
    assert submitted["status"] == "applied", submitted
    assert db.session.scalar(select(func.count()).select_from(Upload)) == 0
    db.session.rollback()

    # The insurance office reads the reused certificate (logged); another agency cannot.
    read = client.get(f"/api/v1/warehouse/records/{cert['id']}", headers=bhxh.headers)
    assert read.status_code == 200 and read.get_json()["number"] == "123/2026"
    stranger = make_official("reception", procedure="criminal-record-certificate")
    assert client.get(f"/api/v1/warehouse/records/{cert['id']}",
                      headers=stranger.headers).status_code == 404

    log = _warehouse(client, citizen)["access_log"]
    review = [e for e in log if e["purpose"] == "review"]
    assert len(review) == 1
    assert review[0]["actor_kind"] == "official" and review[0]["agency_code"] == "BHXH-HANOI"
    assert review[0]["record_id"] == cert["id"] and review[0]["dossier_id"] == str(did)
    prefill_reads = [e for e in log if e["purpose"] == "prefill" and e["subject"] == "record"]
    assert prefill_reads[0]["keys"] == ["child_birth_date", "child_ethnicity", "child_full_name",
                                        "child_nationality", "child_sex", "issued_on", "number"]
    assert prefill_reads[0]["actor"] == "you"
    assert any(e["purpose"] == "prefill" and e["subject"] == "profile" for e in log)
    assert any(e["purpose"] == "view" and e["record_id"] == cert["id"] for e in log)

    # Statistics: everything the warehouse could fill was prefilled; the document reused.
    stats = client.get("/api/v1/office/stats", headers=bhxh.headers).get_json()
    assert stats["agency_code"] == "BHXH-HANOI"
    (row,) = stats["procedures"]
    assert row["procedure_code"] == CHI and row["dossiers"] == 1
    assert row["fields_prefilled"] == len(pre["fields"]) == row["fields_prefillable"]
    assert row["prefilled_share"] == round(len(pre["fields"]) / row["fields_filled"], 4)
    assert (row["documents"], row["documents_reused"], row["reused_share"]) == (1, 1, 1.0)
    assert row["dossiers_reusing_share"] == 1.0
    other = client.get("/api/v1/office/stats", headers=leader.headers).get_json()
    assert CHI not in [r["procedure_code"] for r in other["procedures"]]
    assert client.get("/api/v1/office/stats", headers=citizen.headers).status_code == 403


def test_changed_values_do_not_count_as_prefilled(client: Any, db: Any, citizen: Any,
                                                  make_official: Any) -> None:
    _returned_birth(db, citizen, make_official())
    bhxh = make_official("reception", procedure=CHI)
    form = db.session.get(FormVersion, (CHI, current_version(CHI))).form
    values = {**sample_values(form), "child_full_name": "Tên khác"}
    db.session.rollback()
    phone, did = Phone(client, citizen), uuid.uuid4()
    phone.one("dossier.save", save_args(did, values, procedure=CHI))
    upload_id = upload(client, citizen, jpeg(5000), "procedure_code Y2hpbGQtaGVhbHRoLWluc3VyYW5jZQ=="
                       ",document_code YmlydGhfY2VydGlmaWNhdGU=,filename Yy5qcGc=")
    phone.one("dossier.attach", {"dossier_id": str(did), "document_code": "birth_certificate",
                                 "upload_id": upload_id})
    assert phone.one("dossier.submit", {"dossier_id": str(did)})["status"] == "applied"
    (row,) = client.get("/api/v1/office/stats", headers=bhxh.headers).get_json()["procedures"]
    assert row["fields_prefillable"] == 9  # 7 from the certificate; name and phone from sign-up
    assert row["fields_prefilled"] < row["fields_prefillable"]
    assert (row["documents"], row["documents_reused"]) == (1, 0)


def test_accepted_dossier_documents_become_reusable_records(
        client: Any, db: Any, citizen: Any, official: Any) -> None:
    data = jpeg(4000, seed=4)
    upload_id = upload(client, citizen, data)
    dossier = make_dossier(db.session, citizen.user, status=lc.SUBMITTED,
                           fields={**full_values(db.session), "proof_kind": "hospital"})
    dossier.documents = {"birth_notice": {"source": "upload", "status": "ready",
                                          "upload_id": upload_id}}
    from app.services import dossiers as svc

    svc.transition(db.session, dossier, official.user, "accept")
    db.session.commit()
    docs = _warehouse(client, citizen)["documents"]
    assert [(d["kind"], d["has_file"], d["filename"]) for d in docs] == [
        ("birth_notice", True, "giay-chung-sinh.jpg")]
    got = client.get(f"/api/v1/warehouse/records/{docs[0]['id']}/content",
                     headers=citizen.headers)
    assert got.status_code == 200 and got.data == data
    log = _warehouse(client, citizen)["access_log"]
    assert any(e["purpose"] == "download" and e["record_id"] == docs[0]["id"] for e in log)


def test_records_reach_the_phone_through_pull(client: Any, db: Any, citizen: Any,
                                              official: Any) -> None:
    phone = Phone(client, citizen)
    phone.pull_all()
    _returned_birth(db, citizen, official)
    records = [c for c in phone.pull_all() if c["entity"] == "record"]
    assert len(records) == 1 and records[0]["data"]["kind"] == "birth_certificate"
    fresh = Phone(client, citizen)  # a new phone starts from a snapshot, records included
    snapshot = [c for c in fresh.pull_all() if c["entity"] == "record"]
    assert [c["id"] for c in snapshot] == [records[0]["id"]]


def test_prefill_of_an_unknown_procedure_is_404(client: Any, citizen: Any) -> None:
    resp = client.get("/api/v1/warehouse/prefill", query_string={"procedure": "nope"},
                      headers=citizen.headers)
    assert resp.status_code == 404


def test_demo_citizen_has_a_verified_profile(app: Any, client: Any, db: Any,
                                             monkeypatch: Any) -> None:
    monkeypatch.setenv("DEMO_PASSWORD", "Demo-Hoso-2026-xyz")
    result = app.test_cli_runner().invoke(args=["warehouse", "seed-demo-citizen"])
    assert result.exit_code == 0, result.output
    assert "login 0912000001, password Demo-Hoso-2026-xyz" in result.output
    again = app.test_cli_runner().invoke(args=["warehouse", "seed-demo-citizen"])
    assert again.exit_code == 0, again.output  # idempotent
    login = client.post("/api/v1/auth/login", json={"login": "0912000001",
                                                     "password": "Demo-Hoso-2026-xyz"})
    assert login.status_code == 200
    me = type("Me", (), {"headers": {"Authorization": f"Bearer {login.get_json()['access_token']}"}})
    pre = client.get("/api/v1/warehouse/prefill",
                     query_string={"procedure": "criminal-record-certificate"},
                     headers=me.headers).get_json()
    for name in ("applicant_full_name", "applicant_sex", "applicant_birth_date",
                 "applicant_national_id", "applicant_phone", "applicant_residence"):
        assert pre["fields"][name]["source"]["verified"] is True, name
        assert pre["fields"][name]["source"]["label"]["en"] == "National population database"
    assert pre["fields"]["applicant_residence"]["value"]["province"] == "Thành phố Hà Nội"
    assert [d["kind"] for d in pre["documents"]["id_card"]] == ["national_id_card"]
