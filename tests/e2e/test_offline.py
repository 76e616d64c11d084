"""Airplane mode: after one online visit the app opens, renders a form never opened before,
keeps the draft and the queue across reloads, and syncs exactly once on reconnect."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.e2e import flows
from tests.e2e.conftest import shot
from tests.servers import wait_for


def test_fill_and_submit_offline_then_sync_once(context: Any, page: Any, live_server: Any,
                                                official_of: Any) -> None:
    flows.sign_up(page)
    flows.wait_offline_ready(page)
    token = flows.tokens_of(page)["access_token"]

    context.set_offline(True)
    page.reload()
    expect(page.locator("h1")).to_be_visible()
    sync = page.locator("#sync")
    expect(sync).to_have_attribute("data-state", "offline")
    page.locator("#nav").get_by_role("link", name="Thủ tục").click()
    page.get_by_role("link", name="Xác nhận tình trạng hôn nhân").click()
    expect(page.locator("h1")).to_have_text("Xác nhận tình trạng hôn nhân")
    dossier_id = flows.start_marital(page)
    flows.fill_marital(page)
    expect(sync).to_contain_text("Mất mạng")
    shot(page, "offline-form")
    flows.submit(page)
    expect(page.locator("#status")).to_have_text("Chờ gửi (đã nộp trên máy)")
    expect(sync).to_have_attribute("data-state", "offline")
    waiting = int(sync.get_attribute("data-waiting") or 0)
    assert waiting >= 2  # the draft's save and the submission

    # Reload in airplane mode: the draft and the queue are still on the phone.
    page.reload()
    expect(page.locator("#status")).to_have_text("Chờ gửi (đã nộp trên máy)")
    expect(sync).to_have_attribute("data-waiting", str(waiting))
    shot(page, "offline-queued")
    assert live_server.api("GET", "/api/v1/dossiers", token).json()["total"] == 0

    context.set_offline(False)
    expect(page.locator("#status")).to_have_text("Mới đăng ký", timeout=20000)
    expect(sync).to_have_attribute("data-state", "saved")
    items = flows.server_dossiers(live_server, token)
    assert [d["id"] for d in items] == [dossier_id]
    detail = live_server.api("GET", f"/api/v1/dossiers/{dossier_id}", token).json()
    assert [e["action"] for e in detail["history"]].count("submit") == 1
    assert detail["fields"]["applicant_national_id"] == "001190012345"

    official = official_of(flows.MARITAL)
    r = live_server.api("POST", f"/api/v1/office/dossiers/{dossier_id}/transitions", official.access,
                        json={"action": "accept"})
    assert r.status_code == 200, r.text
    expect(page.locator("#receipt")).to_have_text(r.json()["receipt_code"], timeout=25000)
    wait_for(lambda: flows.server_dossiers(live_server, token)[0]["status"] == "accepted", 20,
             "the dossier accepted on the server")
