"""The catalog: listing, search, immutable form versions with strong ETags."""

from __future__ import annotations

import json

from app.services import catalog
from app.services.forms import iter_fields

DEMO = {"birth-registration", "permanent-residence-registration", "criminal-record-certificate",
        "marital-status-confirmation", "child-health-insurance"}


def test_demo_catalog_is_listed_with_agency_fees_and_days(client):
    resp = client.get("/api/v1/procedures")
    items = {p["code"]: p for p in resp.get_json()["items"]}
    assert set(items) >= DEMO
    birth = items["birth-registration"]
    assert birth["name"]["vi"] == "Đăng ký khai sinh"
    assert birth["fees"]["amount"] is None and birth["fees"]["note"]["vi"]  # a province's rate
    assert birth["agency"]["level"] == "commune"
    assert items["criminal-record-certificate"]["processing_days"] == 10


def test_each_procedure_names_its_legal_basis_and_when_it_was_checked(client):
    """docs/catalog.md: the law, decrees, circulars and form behind each procedure, the day
    they were checked, and an amount only where the sources give it."""
    for code in DEMO:
        proc = client.get(f"/api/v1/procedures/{code}").get_json()
        kinds = {b["kind"] for b in proc["legal_basis"]}
        assert {"law", "form"} <= kinds <= {"law", "decree", "circular", "decision", "form"}, code
        assert all(b["number"] and b["title"]["vi"] and b["title"]["en"] for b in proc["legal_basis"])
        assert proc["checked_on"] == "2026-12-01"
        fees = proc["fees"]
        assert fees["amount"] is not None or fees["note"]["en"], code
        spec = json.loads((catalog.DEMO_DIR / "catalog" / f"{code}.json").read_text())
        assert spec["source_notes"], code  # what the sources did and did not confirm
    charge = client.get("/api/v1/procedures/criminal-record-certificate").get_json()["fees"]
    assert (charge["kind"], charge["amount"], charge["per_item"]["amount"]) == ("phi", 200000, 5000)
    residence = client.get("/api/v1/procedures/permanent-residence-registration").get_json()["fees"]
    assert (residence["amount"], residence["online_amount"]) == (20000, 10000)


def test_search_in_vietnamese_and_english(client):
    vi = client.get("/api/v1/procedures?q=khai sinh").get_json()["items"]
    assert "birth-registration" in [p["code"] for p in vi]
    en = client.get("/api/v1/procedures?q=criminal").get_json()["items"]
    assert [p["code"] for p in en] == ["criminal-record-certificate"]


def test_form_versions_are_immutable_and_cacheable(client):
    proc = client.get("/api/v1/procedures/birth-registration").get_json()
    assert [v["version"] for v in proc["versions"]] == [1, 2, 3]
    resp = client.get("/api/v1/procedures/birth-registration/forms/2")
    assert resp.status_code == 200
    assert "immutable" in resp.headers["Cache-Control"]
    etag = resp.headers["ETag"]
    again = client.get("/api/v1/procedures/birth-registration/forms/2",
                       headers={"If-None-Match": etag})
    assert again.status_code == 304
    names = [f["name"] for f in iter_fields(resp.get_json()["form"])]
    assert "child_full_name" in names


def test_catalog_revalidates_with_etag(client):
    first = client.get("/api/v1/procedures")
    again = client.get("/api/v1/procedures", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_a_browser_that_accepts_brotli_gets_the_catalog_in_it(client):
    """Over HTTPS browsers accept brotli: the catalog a first visit waits for is a sixth smaller
    than in gzip. The ETag is weak (the same content in another coding) and a copy revalidated
    with either form of it gets its 304. Over plain HTTP (where no browser offers brotli) the
    answer stays as it is, whatever the client says."""
    import brotli

    https = "https://localhost"
    plain = client.get("/api/v1/procedures", base_url=https)
    assert client.get("/api/v1/procedures", headers={"Accept-Encoding": "br"}).get_json() == plain.get_json()
    packed = client.get("/api/v1/procedures", headers={"Accept-Encoding": "br, gzip"}, base_url=https)
    assert packed.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert json.loads(brotli.decompress(packed.get_data())) == plain.get_json()
    assert len(packed.get_data()) < len(plain.get_data()) / 3
    assert packed.headers["ETag"] == "W/" + plain.headers["ETag"]
    for etag in (packed.headers["ETag"], plain.headers["ETag"]):
        again = client.get("/api/v1/procedures", headers={"If-None-Match": etag, "Accept-Encoding": "br"},
                           base_url=https)
        assert again.status_code == 304


def test_unknown_procedure_and_version_are_404(client):
    assert client.get("/api/v1/procedures/nope").status_code == 404
    assert client.get("/api/v1/procedures/birth-registration/forms/99").status_code == 404


def test_a_published_version_cannot_be_changed(db):
    spec = json.loads((catalog.DEMO_DIR / "catalog" / "birth-registration.json").read_text())
    spec["versions"][0]["form"]["sections"][0]["title"]["en"] = "Changed"
    import pytest

    from app.errors import Conflict

    with pytest.raises(Conflict):
        catalog.load_procedure(db.session, spec)


def test_a_catalog_change_is_served_at_once(client, db):
    """Catalog answers are kept encoded between requests; a change committed here is seen
    by the very next request, and a phone's old ETag no longer matches."""
    from app.models.accounts import Agency

    first = client.get("/api/v1/procedures/birth-registration")
    assert client.get("/api/v1/procedures/birth-registration",
                      headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    agency = db.session.get(Agency, first.get_json()["agency"]["code"])
    old = dict(agency.name)
    agency.name = {**old, "en": "Renamed office"}
    db.session.commit()
    try:
        again = client.get("/api/v1/procedures/birth-registration",
                           headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 200
        assert again.get_json()["agency"]["name"]["en"] == "Renamed office"
        listed = client.get("/api/v1/procedures").get_json()["items"]
        assert {p["agency"]["name"]["en"] for p in listed if p["code"] == "birth-registration"} == {
            "Renamed office"}
    finally:
        agency.name = old
        db.session.commit()
