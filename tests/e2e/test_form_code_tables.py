"""The editor with options from the code tables, at 360 × 740, in Vietnamese and English,
online and in airplane mode: the 54 ethnic groups in a select narrowed by a search box, a coded
address (province, then its communes, then the line), a commune select following its province,
a date bound relative to today and a cross-field rule, on tests/form_constructs.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from app.services.form_dates import display_date, resolve_date
from tests.e2e import flows
from tests.e2e.conftest import shot
from tests.e2e.test_screens import check
from tests.form_constructs import loaded

CODE = "schema-constructs"
SMALL = {"width": 360, "height": 740}
TEXTS = {
    "vi": {"start": "Bắt đầu điền hồ sơ", "ethnicity": "Dân tộc", "search": "Tìm trong danh sách",
           "residence": "Nơi cư trú", "province": "Tỉnh/thành phố", "ward": "Phường/xã",
           "line": "Số nhà, đường", "hcmc": "Thành phố Hồ Chí Minh", "ben_thanh": "Phường Bến Thành",
           "birth": "Ngày sinh của trẻ", "before": "Ngày không được trước {}.",
           "married": "Hiện đang có vợ/chồng", "yes": "Có", "purpose": "Mục đích sử dụng",
           "marriage": "Để đăng ký kết hôn",
           "rule": "Người đang có vợ/chồng không được xác nhận để đăng ký kết hôn.",
           "reg_province": "Tỉnh đăng ký", "reg_commune": "Xã/phường đăng ký",
           "hanoi": "Thành phố Hà Nội", "hoan_kiem": "Phường Hoàn Kiếm", "first": "Chọn tỉnh/thành phố trước",
           "saved": "Đã lưu trên điện thoại."},
    "en": {"start": "Start the application", "ethnicity": "Ethnic group", "search": "Search the list",
           "residence": "Residence", "province": "Province/city", "ward": "Ward/commune",
           "line": "House number, street", "hcmc": "Ho Chi Minh City", "ben_thanh": "Ben Thanh Ward",
           "birth": "Child's date of birth", "before": "Must not be before {}.",
           "married": "Currently married", "yes": "Yes", "purpose": "Purpose",
           "marriage": "To register a marriage",
           "rule": "A person who is married cannot get this confirmation to register a marriage.",
           "reg_province": "Province of registration", "reg_commune": "Commune of registration",
           "hanoi": "Hanoi", "hoan_kiem": "Hoan Kiem Ward", "first": "Choose the province first",
           "saved": "Saved on this phone."},
}


@pytest.fixture()
def constructs(app: Any) -> Iterator[str]:
    """The constructs form as a procedure of the live catalog, for this test only."""
    with loaded(app, CODE) as code:
        yield code


def _today_in_vietnam() -> date:
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_code_table_selects_and_coded_address_online_and_offline(
        new_context: Any, live_server: Any, constructs: str, lang: str) -> None:
    tx = TEXTS[lang]
    context = new_context(viewport=SMALL)
    page = context.new_page()
    flows.sign_up(page)
    page.evaluate(f"localStorage.setItem('hoso.lang', '{lang}')")
    flows.wait_offline_ready(page)   # the catalog, the forms and the code tables are on the phone
    page.goto(f"/#/p/{constructs}")
    page.reload()  # in the language chosen
    page.get_by_role("button", name=tx["start"]).click()
    expect(page).to_have_url(re.compile(r"#/d/[0-9a-f-]+/edit$"))

    # The 54 ethnic groups in a native select, Kinh first, "Mông" (not "H'Mông"); a search narrows it.
    ethnicity = page.locator("#f-ethnicity")
    expect(ethnicity.locator("option")).to_have_count(55)
    expect(ethnicity.locator("option").nth(1)).to_have_text("Kinh" if lang == "vi" else "Kinh (Viet)")
    expect(page.get_by_label(f"{tx['ethnicity']} *", exact=True)).to_have_id("f-ethnicity")  # labelled
    search = page.get_by_role("searchbox", name=tx["search"]).first
    search.fill("H'Mông")  # the old name still finds the group, in either language
    expect(ethnicity.locator("option")).to_have_count(2)
    search.fill("mong")
    expect(ethnicity.locator("option")).to_have_count(2)
    ethnicity.select_option(label=ethnicity.locator("option").nth(1).inner_text())
    assert "H'Mông" not in page.content()

    # The coded address: the province, then only its communes, then the line.
    residence = page.get_by_role("group", name=tx["residence"])
    ward = residence.get_by_label(tx["ward"])
    expect(ward.locator("option")).to_have_count(1)
    residence.get_by_label(tx["province"]).select_option(label=tx["hcmc"])
    expect(ward.locator("option")).to_have_count(4)
    ward.select_option(label=tx["ben_thanh"])
    residence.get_by_label(tx["line"]).fill("5 Lê Lợi")

    # A commune select follows its province select: another province clears it.
    commune = page.locator("#f-registration_commune")
    expect(commune.locator("option")).to_have_text([tx["first"]])
    page.locator("#f-registration_province").select_option(label=tx["hanoi"])
    commune.select_option(label=tx["hoan_kiem"])
    page.locator("#f-registration_province").select_option(label=tx["hcmc"])
    expect(commune).to_have_value("")
    expect(commune.locator("option")).to_have_count(4)

    # A date bound relative to today ("today-6y"), said as ngày/tháng/năm.
    bound = resolve_date("today-6y", _today_in_vietnam())
    assert bound is not None
    birth = page.locator("#f-child_birth_date")
    birth.fill(display_date(bound - timedelta(days=1)))
    birth.blur()
    box = page.locator(".field[data-key='child_birth_date']")
    expect(box.locator(".error")).to_have_text(tx["before"].format(display_date(bound)))
    birth.fill(display_date(bound))
    birth.blur()
    expect(box.locator(".error")).to_have_text("")

    # A cross-field rule: its message on both fields as soon as they are filled.
    page.get_by_role("group", name=tx["married"]).get_by_label(tx["yes"], exact=True).check()
    page.locator("#f-purpose").focus()  # the person moves on from the radio
    page.locator("#f-purpose").select_option(label=tx["marriage"])
    page.locator("#f-purpose").blur()
    for key in ("married", "purpose"):
        expect(page.locator(f".field[data-key='{key}'] .error")).to_have_text(tx["rule"])
    assert page.evaluate("document.documentElement.scrollWidth") <= SMALL["width"]
    check(page, f"form-code-tables-{lang}", focus=".field[data-key='ethnicity']")  # and axe-core
    shot(page, f"form-coded-address-{lang}", focus=".field[data-key='residence']")

    # Airplane mode: the editor opens again with its lists from the phone.
    expect(page.locator("p.saved")).to_have_text(tx["saved"])
    context.set_offline(True)
    page.reload()
    ethnicity = page.locator("#f-ethnicity")
    expect(ethnicity.locator("option")).to_have_count(55)
    residence = page.get_by_role("group", name=tx["residence"])
    expect(residence.get_by_label(tx["province"])).to_have_value("79")
    expect(residence.get_by_label(tx["ward"])).to_have_value("26743")
    residence.get_by_label(tx["province"]).select_option(label=tx["hanoi"])
    expect(residence.get_by_label(tx["ward"]).locator("option")).to_have_count(4)
    shot(page, f"form-coded-address-offline-{lang}", focus=".field[data-key='residence']")
    if lang == "en":
        context.set_offline(False)
        return

    # Submitted in airplane mode once the rule is satisfied; it reaches the server with codes.
    flows.fill_coded_address(page.locator(".field[data-key='residence']"), ward=tx["hoan_kiem"],
                             line="5 Lê Lợi")
    page.locator("#f-purpose").select_option("other")
    flows.fill_rest(page)
    dossier_id = flows.submit(page)
    context.set_offline(False)
    expect(page.locator("#status")).to_have_text("Mới đăng ký", timeout=20000)
    token = flows.tokens_of(page)["access_token"]
    fields = live_server.api("GET", f"/api/v1/dossiers/{dossier_id}", token).json()["fields"]
    assert fields["residence"] == {"line": "5 Lê Lợi", "ward": "00070", "province": "01"}
    assert fields["ethnicity"] == "08" and fields["registration_province"] == "79"
    assert not fields.get("registration_commune")  # cleared when its province changed


def test_a_table_changed_on_the_server_is_fetched_again_and_no_other(
        page: Any, live_server: Any) -> None:
    flows.open_app(page)
    flows.wait_offline_ready(page)
    # As if the server's table had changed since the phone fetched it: the phone holds another
    # version (its ETag differs from the index's).
    was = page.evaluate("""async () => {
        const { device } = await import('/app/db.js');
        const key = 'code-table:ethnic_groups';
        const old = await device.get('kv', key);
        await device.put('kv', { ...old, etag: 'older', doc: { ...old.doc, items: [] } }, key);
        return old.etag;
    }""")
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url.split(live_server.url, 1)[-1]))
    page.reload()
    flows.wait_offline_ready(page)
    now = page.evaluate("""async () => {
        const { device } = await import('/app/db.js');
        return device.get('kv', 'code-table:ethnic_groups');
    }""")
    assert len(now["doc"]["items"]) == 54 and now["etag"] == was
    assert [u for u in asked if u.startswith("/api/v1/code-tables")] == [
        "/api/v1/code-tables", "/api/v1/code-tables/ethnic_groups"]
