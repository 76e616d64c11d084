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


def test_a_submission_sent_while_its_screen_is_drawn_shows_as_submitted(
        page: Any, live_server: Any) -> None:
    """The dossier's screen reads the phone's queue, then the server's copy: a push that lands
    in between (the queue sent, the news told before the screen listens) must not leave the
    screen saying the submission is still waiting on the phone."""
    flows.sign_up(page)
    dossier_id = flows.start_marital(page)
    flows.fill_marital(page)
    page.goto("/#/dossiers")
    expect(page.locator("#sync")).to_have_attribute("data-waiting", "0", timeout=20000)  # the draft is saved
    page.evaluate("() => window.__hoso.sync.stop()")  # the submission waits on the phone for now
    held: list[str] = []
    sent: list[dict[str, Any]] = []  # what the sync run meanwhile left on the phone, and its state

    def send_the_queue_meanwhile(route: Any) -> None:
        try:
            if not held and route.request.method == "GET":
                held.append(route.request.url)
                # Sent and told before the screen listens; nothing sent after it that could redraw it.
                sent.append(page.evaluate("""async () => {
                  const sync = window.__hoso.sync;
                  await sync.start();
                  sync.stop();
                  return sync.syncState();
                }"""))
        finally:
            route.continue_()

    page.route(f"**/api/v1/dossiers/{dossier_id}", send_the_queue_meanwhile)
    page.goto(f"/#/d/{dossier_id}/edit")
    assert flows.submit(page) == dossier_id
    try:
        expect(page.locator("#status")).to_have_text("Mới đăng ký", timeout=15000)
    except AssertionError as e:
        raise AssertionError(
            f"the read held: {held}; the sync meanwhile: {sent}; the queue now: {flows.queued(page)}") from e
    assert sent and sent[0]["waiting"] == 0, sent
    assert held  # the screen's read of the server's copy did wait for the push
    token = flows.tokens_of(page)["access_token"]
    assert [(d["id"], d["status"]) for d in flows.server_dossiers(live_server, token)] == [
        (dossier_id, "submitted")]
