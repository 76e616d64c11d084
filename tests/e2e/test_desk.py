"""The officials' desk at 1366x768 in Vietnamese: what an official sees and does in a day."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.e2e import flows
from tests.factories import make_dossier

DESK = {"width": 1366, "height": 768}


def desk_page(new_context: Any, official: Any) -> Any:
    page = new_context(viewport=DESK).new_page()
    flows.open_app(page, "#/login")
    page.get_by_label("Số điện thoại hoặc email").fill(official.email)
    page.get_by_label("Mật khẩu").fill(official.password)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator("h1")).to_have_text("Bàn làm việc")
    return page


def test_lost_race_reloads_and_errors_read_as_text(new_context: Any, live_server: Any, db: Any,
                                                   citizen: Any, official_of: Any) -> None:
    leader = official_of(flows.MARITAL)
    ready = make_dossier(db.session, citizen.user, flows.MARITAL, "result_ready", official=leader.user)
    ready_id = str(ready.id)
    db.session.rollback()
    paid = live_server.api("POST", f"/api/v1/office/dossiers/{ready_id}/payments", leader.access,
                           json={"method": "cash"})
    assert paid.status_code in (200, 201), paid.text
    desk = desk_page(new_context, leader)
    desk.get_by_label("Trạng thái").select_option("result_ready")
    desk.get_by_role("button", name="Lọc").click()
    desk.locator(f"tr[data-id='{ready_id}'] a").click()
    # The back link keeps the filter the list had.
    expect(desk.locator("#back-to-list")).to_have_attribute(
        "href", "#/office?view=waiting&status=result_ready")

    # A result with no number: the field's message in words, never "[object Object]".
    desk.locator(".actions").get_by_role("button", name="Trả kết quả", exact=True).click()
    panel = desk.locator("form.action[data-action=return_result]")
    panel.get_by_role("button", name="Trả kết quả").click()
    message = panel.locator("p.summary[role=alert]")
    expect(message).to_contain_text("Trường này là bắt buộc.")
    expect(message).not_to_contain_text("object")

    # Another official returns it first: this page reloads with the new status and says why.
    r = live_server.api("POST", f"/api/v1/office/dossiers/{ready_id}/transitions", leader.access,
                        json={"action": "return_result", "result": {"number": "9/2026", "method": "desk"}})
    assert r.status_code == 200, r.text
    panel.get_by_label("Số văn bản kết quả").fill("10/2026")
    panel.get_by_role("button", name="Trả kết quả").click()
    expect(desk.locator("#desk-flash")).to_contain_text("tải lại")
    expect(desk.locator(".status").first).to_have_text("Đã trả kết quả")
    expect(desk.locator(".actions button")).to_have_count(0)
    desk.locator("#back-to-list").click()
    expect(desk.get_by_label("Trạng thái")).to_have_value("result_ready")
