"""Online: sign up, fill and submit a form, an official accepts it, the phone sees it."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.e2e import flows
from tests.e2e.conftest import shot


def test_submit_and_see_acceptance_without_reload(page: Any, live_server: Any, official_of: Any) -> None:
    flows.open_app(page)
    expect(page.get_by_role("link", name="Xác nhận tình trạng hôn nhân")).to_be_visible()
    shot(page, "catalog")
    flows.sign_up(page)
    page.goto(f"/#/p/{flows.MARITAL}")
    expect(page.locator("h1")).to_have_text("Xác nhận tình trạng hôn nhân")
    shot(page, "procedure")
    dossier_id = flows.start_marital(page)
    page.get_by_role("button", name="Nộp hồ sơ").click()
    expect(page.locator(".summary")).to_contain_text("cần sửa")
    expect(page.locator("#e-marital_status")).to_have_text("Trường này là bắt buộc.")  # never prefilled
    shot(page, "form-errors")
    flows.fill_marital(page)
    shot(page, "form-filled")
    assert flows.submit(page) == dossier_id
    status = page.locator("#status")
    expect(status).to_have_text("Mới đăng ký", timeout=20000)
    expect(page.locator("#sync")).to_have_attribute("data-state", "saved")

    official = official_of(flows.MARITAL)
    r = live_server.api("POST", f"/api/v1/office/dossiers/{dossier_id}/transitions", official.access,
                        json={"action": "accept"})
    assert r.status_code == 200, r.text
    receipt = r.json()["receipt_code"]
    # No reload: the app pulls on its timer and shows the new status and the receipt code.
    expect(status).to_have_text("Đã tiếp nhận", timeout=25000)
    expect(page.locator("#receipt")).to_have_text(receipt)
    expect(page.locator("#appointment")).not_to_be_empty()
    shot(page, "dossier-accepted")
    page.get_by_role("link", name="Hồ sơ của tôi").click()
    expect(page.locator(f"li[data-id='{dossier_id}']")).to_contain_text(receipt)
    shot(page, "dossiers")
    page.get_by_role("link", name="Thông báo").click()
    expect(page.locator(".card.unread")).to_contain_text("Hồ sơ đã được tiếp nhận")
    shot(page, "inbox")
