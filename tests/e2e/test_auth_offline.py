"""Weeks offline: the tokens on the phone died meanwhile. The person signs in again, the
queue is still there, and it syncs (mutations are not tied to a token)."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.e2e import flows
from tests.e2e.conftest import shot


def test_dead_refresh_token_means_sign_in_again_and_the_queue_survives(
        context: Any, page: Any, live_server: Any) -> None:
    phone = flows.sign_up(page, "Vũ Thị Lan")
    flows.wait_offline_ready(page)
    session = flows.tokens_of(page)
    context.set_offline(True)
    page.reload()
    dossier_id = flows.start_marital(page)
    flows.fill_marital(page, "Vũ Thị Lan")
    flows.submit(page)

    # Meanwhile the account's refresh-token family was revoked and the access token expired.
    r = live_server.api("POST", "/api/v1/auth/logout", session["access_token"],
                        json={"refresh_token": session["refresh_token"]})
    assert r.status_code == 204, r.text
    page.evaluate("""() => new Promise((resolve, reject) => {
        const r = indexedDB.open('hoso');
        r.onsuccess = () => {
          const store = r.result.transaction('kv', 'readwrite').objectStore('kv');
          const g = store.get('session');
          g.onsuccess = () => {
            const s = g.result;
            s.access_token = s.access_token.split('.').slice(0, 2).join('.') + '.expired';
            store.put(s, 'session').onsuccess = () => resolve();
          };
        };
        r.onerror = () => reject(r.error);
    })""")
    page.reload()
    expect(page.locator("#status")).to_have_text("Chờ gửi (đã nộp trên máy)")

    context.set_offline(False)
    sync = page.locator("#sync")
    expect(sync).to_have_attribute("data-state", "signed-out", timeout=15000)
    expect(sync).to_contain_text("đang chờ")
    waiting = sync.get_attribute("data-waiting")
    assert live_server.api("GET", "/api/v1/dossiers", session["access_token"]).status_code in (200, 401)

    page.goto("/#/login")
    expect(page.locator(".notice")).to_contain_text(f"{waiting} thay đổi")
    shot(page, "sign-in-again")
    page.get_by_label("Mật khẩu").fill(flows.PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(sync).to_have_attribute("data-state", "saved", timeout=15000)
    fresh = flows.tokens_of(page)
    assert fresh["user"]["phone"] == phone
    items = flows.server_dossiers(live_server, fresh["access_token"])
    assert [(d["id"], d["status"]) for d in items] == [(dossier_id, "submitted")]
