"""Code tables: the documents forms take their options from, cached like the catalog."""

from __future__ import annotations

import pytest

from app.services import code_tables

TABLES = ("admin_units", "ethnic_groups", "nationalities")


def test_the_index_lists_each_table_with_version_etag_and_link(client):
    resp = client.get("/api/v1/code-tables")
    assert resp.status_code == 200
    assert "must-revalidate" in resp.headers["Cache-Control"]
    tables = {t["name"]: t for t in resp.get_json()["tables"]}
    assert set(tables) >= set(TABLES)
    for name in TABLES:
        assert tables[name]["href"] == f"/api/v1/code-tables/{name}"
        one = client.get(tables[name]["href"])
        assert one.headers["ETag"] == f'"{tables[name]["etag"]}"'
        assert one.get_json()["version"] == tables[name]["version"]


@pytest.mark.parametrize("name", TABLES)
def test_a_table_names_a_dated_source_and_revalidates_with_304(client, name):
    resp = client.get(f"/api/v1/code-tables/{name}")
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"].startswith("public")
    doc = resp.get_json()
    assert doc["name"] == name
    assert {"title", "publisher", "url", "date"} <= set(doc["source"])
    assert all(item["name"]["vi"] and item["name"]["en"] for item in doc["items"])
    again = client.get(f"/api/v1/code-tables/{name}",
                       headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""


def test_the_54_ethnic_groups_with_the_statistics_office_codes(client):
    items = client.get("/api/v1/code-tables/ethnic_groups").get_json()["items"]
    assert len(items) == 54
    by_code = {i["code"]: i["name"]["vi"] for i in items}
    assert by_code["01"] == "Kinh"
    assert by_code["08"] == "Mông"
    assert by_code["54"] == "Ơ Đu"
    assert not [n for n in by_code.values() if "H'" in n]


def test_administrative_units_are_two_levels_with_official_codes():
    units = code_tables.table("admin_units")["items"]
    provinces = {u["code"] for u in units if u["level"] == "province"}
    assert provinces == {"01", "79"}
    communes = [u for u in units if u["level"] == "commune"]
    assert communes and all(u["parent"] in provinces for u in communes)
    assert code_tables.item("admin_units", "00070")["name"]["vi"] == "Phường Hoàn Kiếm"
    assert code_tables.item("admin_units", "00070")["parent"] == "01"
    assert code_tables.item("admin_units", "99999") is None


def test_nationalities_are_iso_codes_with_viet_nam_first():
    assert code_tables.table("nationalities")["items"][0]["code"] == "VN"
    assert {"VN", "LA", "KH", "CN", "KR", "US"} <= code_tables.codes("nationalities")
    assert all(len(c) == 2 for c in code_tables.codes("nationalities"))


def test_codes_are_unique_in_every_table():
    for name in code_tables.names():
        items = code_tables.table(name)["items"]
        assert len(items) == len(code_tables.codes(name)), name


@pytest.mark.parametrize("name", ["nope", "..%2Fcatalog", "ethnic_groups.json", "ADMIN_UNITS"])
def test_an_unknown_table_is_a_404_problem(client, name):
    resp = client.get(f"/api/v1/code-tables/{name}")
    assert resp.status_code == 404
    assert resp.content_type == "application/problem+json"
