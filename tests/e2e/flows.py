"""What a person does in the app, step by step, shared by the browser tests."""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.sync_api import Page, expect

MARITAL = "marital-status-confirmation"
PASSWORD = "Mat-khau-rat-kho-2026"


def new_phone() -> str:
    return f"09{uuid.uuid4().int % 10**8:08d}"


def open_app(page: Page, hash_: str = "#/") -> None:
    page.goto("/" + hash_)
    expect(page.locator("h1")).to_be_visible()
    if page.url.endswith("#/welcome"):  # a newcomer's first visit: the intro, then the catalog
        page.locator("#intro-start").click()
        expect(page.locator("main h1")).to_have_text("Thủ tục hành chính")


def sign_up(page: Page, name: str = "Trần Thị Bình", phone: str | None = None) -> str:
    phone = phone or new_phone()
    open_app(page, "#/signup")
    page.get_by_label("Họ và tên").fill(name)
    page.get_by_label("Số điện thoại").fill(phone)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng ký tài khoản").click()
    enter_code(page)
    expect(page.locator("h1")).to_have_text("Hồ sơ của tôi")
    return phone


def enter_code(page: Page, confirm: str = "Xác nhận") -> None:
    """The SMS code, as the development outbox shows it on the screen."""
    notice = page.get_by_test_id("dev-outbox")
    expect(notice).to_contain_text("Hoso")
    code = re.search(r"\b(\d{6})\b", notice.inner_text()).group(1)  # type: ignore[union-attr]
    page.locator("input[autocomplete=one-time-code]").fill(code)
    page.get_by_role("button", name=confirm).click()


def sign_in(page: Page, login: str) -> None:
    open_app(page, "#/login")
    page.get_by_label("Số điện thoại hoặc email").fill(login)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator("#nav")).to_contain_text("Tài khoản")


def wait_offline_ready(page: Page) -> None:
    """After one online visit the worker holds the shell, the catalog and every form."""
    expect(page.locator("html")).to_have_attribute("data-offline-ready", "1", timeout=20000)


def start_marital(page: Page) -> str:
    page.goto(f"/#/p/{MARITAL}")
    page.get_by_role("button", name="Bắt đầu điền hồ sơ").click()
    expect(page).to_have_url(re.compile(r"#/d/[0-9a-f-]+/edit$"))
    return page.url.split("#/d/")[1].split("/")[0]


def fill_marital(page: Page, name: str = "Trần Thị Bình") -> None:
    page.locator("#f-applicant_full_name").fill(name)
    page.get_by_role("group", name="Giới tính").get_by_label("Nữ").check()
    page.get_by_label("Ngày, tháng, năm sinh").fill("1990-05-17")
    page.locator("#f-applicant_national_id").fill("001190012345")
    page.get_by_label("Số điện thoại").fill("0912345678")
    fill_address(page, "applicant_residence")
    page.get_by_role("group", name="Tình trạng hôn nhân").get_by_label("Chưa đăng ký kết hôn với ai").check()
    fill_rest(page)


def fill_address(page: Page, key: str, province: str = "01", ward: str = "00070") -> None:
    """The coded address `key` as a person gives it, in Hà Nội's Phường Hoàn Kiếm by default
    (the ward of the demo's officials)."""
    fill_coded_address(page.locator(f".field[data-key='{key}']"), province, ward)


def fill_rest(page: Page) -> None:
    """Any other required field of the demo form, filled with a plausible value."""
    for box in page.locator(".field[data-type='select']:visible").all():
        control = box.locator("select").first
        if control.get_attribute("aria-required") == "true" and not control.input_value():
            control.select_option(index=1)
    for box in page.locator(".field[data-type='radio']:visible").all():
        if box.locator("input:checked").count() == 0 and box.locator(".req").count():
            box.locator("input").first.check()
    for box in page.locator(".field[data-type='address']:visible:has(.address.coded)").all():
        if box.locator(".req").count() and not box.locator("[data-part=ward]").input_value():
            fill_coded_address(box)
    values = {"text": "Hà Nội", "textarea": "Hà Nội", "number": "1", "date": "1991-03-02"}
    for kind, value in values.items():
        for box in page.locator(f".field[data-type='{kind}']:visible").all():
            control = box.locator("input, textarea").first
            if control.get_attribute("aria-required") == "true" and not control.input_value():
                control.fill(value)


def fill_coded_address(box: Any, province: str | None = None, ward: str | None = None,
                       line: str = "12 Hàng Bạc") -> None:
    """A coded address (docs/form-schema.md): the province, then one of its communes (the first
    of each list unless named, by label or by official code), then the line."""
    _choose(box.locator("[data-part=province]"), province)
    communes = box.locator("[data-part=ward]")
    expect(communes.locator("option")).not_to_have_count(1)
    _choose(communes, ward)
    box.locator("[data-part=line]").fill(line)


def _choose(select: Any, wanted: str | None) -> None:
    if wanted is None:
        select.select_option(index=1)
    elif wanted.isdigit():  # an official unit code, whatever the language on screen
        select.select_option(wanted)
    else:
        select.select_option(label=wanted)


def submit(page: Page) -> str:
    page.get_by_role("button", name="Nộp hồ sơ").click()
    expect(page).to_have_url(re.compile(r"#/d/[0-9a-f-]+$"))
    return page.url.split("#/d/")[1]


def server_dossiers(live: Any, token: str) -> list[dict[str, Any]]:
    r = live.api("GET", "/api/v1/dossiers?per_page=100", token)
    assert r.status_code == 200, r.text
    return r.json()["items"]


def queued(page: Page) -> list[list[Any]]:
    """The phone's queue of mutations not yet sent, as [id, name] in order."""
    return page.evaluate("async () => (await window.__hoso.store().all('outbox')).map((m) => [m.id, m.name])")


def tokens_of(page: Page) -> dict[str, Any]:
    return page.evaluate("""() => new Promise((resolve, reject) => {
        const r = indexedDB.open('hoso');
        r.onsuccess = () => {
          const g = r.result.transaction('kv').objectStore('kv').get('session');
          g.onsuccess = () => resolve(g.result);
          g.onerror = () => reject(g.error);
        };
        r.onerror = () => reject(r.error);
    })""")
