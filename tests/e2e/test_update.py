"""A new version of the app: the worker downloads only the changed files, waits, and never
reloads a page with a draft open; the person applies it with a tap."""

from __future__ import annotations

import shutil
import time
from typing import Any

from playwright.sync_api import expect

from tests.e2e import flows
from tests.e2e.conftest import LiveServer, shot
from tests.servers import ROOT

NAME = "Họ, chữ đệm và tên"


def test_update_waits_for_a_tap_and_downloads_only_changed_files(
        app: Any, browser: Any, tmp_path: Any) -> None:
    shell = tmp_path / "pwa"
    shutil.copytree(ROOT / "pwa", shell)
    with LiveServer(app, tmp_path, PWA_DIR=str(shell)) as server:
        ctx = browser.new_context(viewport={"width": 390, "height": 844}, base_url=server.url,
                                  locale="vi-VN", service_workers="allow")
        page = ctx.new_page()
        # What the page and its service workers did, shown if the test fails.
        started = time.monotonic()
        ctx.on("console", lambda m: print(f"[{time.monotonic() - started:6.2f} console.{m.type}] {m.text}"))
        cdp = ctx.new_cdp_session(page)
        cdp.on("ServiceWorker.workerVersionUpdated", lambda e: print(
            f"[{time.monotonic() - started:6.2f} workers]",
            [(v["versionId"], v["status"], v["runningStatus"], len(v.get("controlledClients", [])))
             for v in e["versions"]]))
        cdp.send("ServiceWorker.enable")
        flows.sign_up(page, "Bùi Văn Nam")
        flows.wait_offline_ready(page)
        flows.start_marital(page)
        page.get_by_label(NAME).fill("Bùi Văn Nam đang gõ")
        page.evaluate("window.__samePage = true")

        with (shell / "styles.css").open("a") as fh:
            fh.write("\n/* release 2 */\n")
        page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
        banner = page.locator("#update")
        expect(banner).to_contain_text("Đã có phiên bản mới", timeout=15000)
        shot(page, "update-banner")
        # Installed and waiting, with one file downloaded: the page was not reloaded.
        downloaded = page.evaluate("""() => new Promise((resolve) => {
            navigator.serviceWorker.addEventListener('message', (e) => {
              if (e.data && e.data.type === 'version') resolve(e.data.downloaded);
            });
            navigator.serviceWorker.getRegistration().then((r) => r.waiting.postMessage({type: 'version'}));
        })""")
        assert downloaded == 1
        assert page.evaluate("window.__samePage") is True
        expect(page.get_by_label(NAME)).to_have_value("Bùi Văn Nam đang gõ")

        print(f"[{time.monotonic() - started:6.2f} tap]")
        banner.get_by_role("button", name="Cập nhật").click()
        # The reload, only now: a new page (slow on a loaded machine), with the draft as typed.
        try:
            page.wait_for_function("() => window.__samePage === undefined", timeout=45000)
        except Exception:
            print(server.output())
            raise
        expect(page.get_by_label(NAME)).to_have_value("Bùi Văn Nam đang gõ", timeout=15000)
        css = page.evaluate("fetch('/styles.css').then((r) => r.text())")
        assert "release 2" in css
        ctx.close()
