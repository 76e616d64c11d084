"""The person submits in airplane mode and closes the app; when the connection returns, the
service worker sends the queue by itself (Background Sync), exactly once, and the app opened
later shows the dossier submitted with nothing waiting."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.e2e import flows
from tests.e2e.conftest import worker_registration
from tests.servers import browser_sleep, wait_for

QUEUED = """async () => {
    const name = (await indexedDB.databases()).map((d) => d.name).find((n) => n.startsWith('hoso-u'));
    const db = await new Promise((resolve, reject) => {
      const r = indexedDB.open(name);
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const count = await new Promise((resolve) => {
      const r = db.transaction('outbox').objectStore('outbox').count(); r.onsuccess = () => resolve(r.result);
    });
    db.close();
    return count;
}"""


def test_submission_goes_out_with_the_app_closed(context: Any, page: Any, live_server: Any) -> None:
    flows.sign_up(page, "Lê Thị Hoa")
    flows.wait_offline_ready(page)
    cdp, registration_id = worker_registration(context, page)
    token = flows.tokens_of(page)["access_token"]
    assert page.evaluate("navigator.serviceWorker.controller.scriptURL").endswith("/sw-sync.js")

    context.set_offline(True)
    dossier_id = flows.start_marital(page)
    flows.fill_marital(page, "Lê Thị Hoa")
    flows.submit(page)
    expect(page.locator("#status")).to_have_text("Chờ gửi (đã nộp trên máy)")
    assert live_server.api("GET", "/api/v1/dossiers", token).json()["total"] == 0

    # The person leaves the app: no page of it is open any more.
    page.goto("about:blank")
    context.set_offline(False)
    # The connection is back: the browser fires the worker's `sync` event (here on demand).
    cdp.send("ServiceWorker.dispatchSyncEvent", {
        "origin": live_server.url, "registrationId": registration_id,
        "tag": "hoso-sync", "lastChance": False})
    wait_for(lambda: [(d["id"], d["status"]) for d in flows.server_dossiers(live_server, token)]
             == [(dossier_id, "submitted")], 30, "the worker to send the submission")
    detail = live_server.api("GET", f"/api/v1/dossiers/{dossier_id}", token).json()
    assert [e["action"] for e in detail["history"]].count("submit") == 1
    assert detail["fields"]["applicant_national_id"] == "001190012345"

    # The worker also took the server's answer in: the phone's queue is empty. Opened again,
    # offline, the app shows the dossier submitted, nothing waiting.
    # (Read from a page of the same origin that is not the app: an API address.)
    probe = context.new_page()
    probe.goto("/api/v1/procedures")
    wait_for(lambda: probe.evaluate(QUEUED) == 0, 30, "the worker to empty the phone's queue", 0.2,
             browser_sleep(probe))
    probe.close()
    context.set_offline(True)
    page.goto(f"/#/d/{dossier_id}")
    expect(page.locator("#status")).to_have_text("Mới đăng ký")
    expect(page.locator("#sync")).to_have_attribute("data-waiting", "0")


def test_a_page_left_open_shows_what_the_worker_sent(context: Any, page: Any, live_server: Any) -> None:
    """The worker sends the queue itself when no page takes the sync in time (a busy phone
    answers late): the page still open then shows the dossier submitted and nothing waiting,
    as if it had sent the queue itself, without being opened again."""
    flows.sign_up(page, "Đỗ Thị Mai")
    flows.wait_offline_ready(page)
    token = flows.tokens_of(page)["access_token"]
    context.set_offline(True)
    dossier_id = flows.start_marital(page)
    flows.fill_marital(page, "Đỗ Thị Mai")
    flows.submit(page)
    expect(page.locator("#status")).to_have_text("Chờ gửi (đã nộp trên máy)")
    page.evaluate("() => window.__hoso.sync.stop()")  # this page will not send the queue
    context.set_offline(False)
    context.service_workers[-1].evaluate("() => self.hosoSendQueue()")
    wait_for(lambda: [(d["id"], d["status"]) for d in flows.server_dossiers(live_server, token)]
             == [(dossier_id, "submitted")], 30, "the worker to send the submission")
    expect(page.locator("#status")).to_have_text("Mới đăng ký", timeout=15000)
    expect(page.locator("#sync")).to_have_attribute("data-waiting", "0")
