"""Chromium made to lack `navigator.storage.persist()`, as WebKit does (an init script removes
it): a change queued offline brings the warning that the browser may erase it and the steps to
add Hoso to the Home Screen; nothing is said before anything waits, nor once it is sent. Chromium
has Background Sync, so the app does not ask the person to open it again to send
(tests/webkit/ checks the same in WebKit itself, where that sentence is shown)."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.e2e import flows
from tests.e2e.conftest import shot

NO_PERSIST = """delete StorageManager.prototype.persist;
delete StorageManager.prototype.persisted;"""


def test_queued_offline_without_persistence_warns_and_guides(new_context: Any) -> None:
    context = new_context()
    context.add_init_script(NO_PERSIST)
    page = context.new_page()
    flows.sign_up(page)
    flows.wait_offline_ready(page)
    expect(page.locator("html")).to_have_attribute("data-storage", "best-effort")
    banner = page.locator("#device")
    expect(banner).to_be_hidden()  # nothing waits

    context.set_offline(True)
    flows.start_marital(page)
    page.locator("#f-applicant_full_name").fill("Trần Thị Bình")
    expect(page.locator("#sync")).to_contain_text("Mất mạng · 1 đang chờ gửi")
    page.locator("#nav").get_by_role("link", name="Hồ sơ của tôi").click()
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("1 thay đổi mới chỉ lưu trên điện thoại này")
    expect(banner).to_contain_text("có thể xoá dữ liệu của trang web")
    expect(banner).not_to_contain_text("null")
    expect(banner.locator("[data-device=open-to-send]")).to_have_count(0)  # Background Sync sends it
    guide = page.locator("#device-guide")
    expect(guide).to_be_hidden()
    banner.get_by_role("button", name="Cách thêm Hồ sơ vào Màn hình chính").click()
    expect(guide).to_contain_text("«Thêm vào MH chính»")  # the iPhone's steps, and Android's
    expect(guide).to_contain_text("«Thêm vào màn hình chính» hoặc «Cài đặt ứng dụng»")
    shot(page, "storage-warning", focus="#device")

    context.set_offline(False)
    expect(page.locator("#sync")).to_have_attribute("data-state", "saved", timeout=20000)
    expect(banner).to_be_hidden()
