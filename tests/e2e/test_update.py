"""A new version of the app: the worker downloads only the changed files, waits, and never
reloads a page with a draft open; the person applies it with a tap, and the tap works even
while the old version is still busy downloading on a bad network."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.e2e import flows
from tests.e2e.conftest import LiveServer, shot
from tests.servers import ROOT, browser_sleep, wait_for

NAME = "#f-applicant_full_name"  # the applicant's full name (other names share its label)
TYPED = "Bùi Văn Nam đang gõ"


@contextmanager
def phone_with_draft(app: Any, browser: Any, tmp: Path) -> Iterator[tuple[LiveServer, Any, Path]]:
    """A phone on the app's first release with a draft being typed; yields the server, the
    page and the shell directory a test changes to make the next release."""
    shell = tmp / "pwa"
    shutil.copytree(ROOT / "pwa", shell)
    with LiveServer(app, tmp, PWA_DIR=str(shell)) as server:
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
        cdp.on("ServiceWorker.workerErrorReported", lambda e: print(
            f"[{time.monotonic() - started:6.2f} worker error]", e["errorMessage"]))
        cdp.send("ServiceWorker.enable")
        flows.sign_up(page, "Bùi Văn Nam")
        flows.wait_offline_ready(page)
        flows.start_marital(page)
        page.locator(NAME).fill(TYPED)
        page.evaluate("window.__samePage = true")
        try:
            yield server, page, shell
        except BaseException:
            print(server.output())
            raise
        finally:
            ctx.close()


def release(page: Any, shell: Path) -> Any:
    """Deploys a new styles.css (the page carries it) and lets the phone find it; returns the
    update banner."""
    with (shell / "styles.css").open("a") as fh:
        fh.write("\n.release-2 { color: inherit }\n")
    page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
    banner = page.locator("#update")
    expect(banner).to_contain_text("Đã có phiên bản mới", timeout=15000)
    return banner


VERSION_OF = """(which) => new Promise((resolve) => {
    navigator.serviceWorker.addEventListener('message', (e) => {
      if (e.data && e.data.type === 'version') resolve(e.data);
    });
    navigator.serviceWorker.getRegistration().then((r) => {
      const worker = which === 'waiting' ? r.waiting : navigator.serviceWorker.controller;
      if (worker) worker.postMessage({type: 'version'}); else resolve(null);
    });
})"""


def tap_update(page: Any, banner: Any) -> None:
    """The person taps "Cập nhật", on the bus without a network. Offline, the page sends no
    request while the old worker hands over: Playwright holds every service worker that
    (re)starts until it lets it run, and an old worker restarted for a request in the middle
    of the hand-over was once left held, with the request and the hand-over waiting on it,
    something no phone does. The update itself needs no network: it is already downloaded."""
    page.context.set_offline(True)
    banner.get_by_role("button", name="Cập nhật").click()


def on_new_release(page: Any, version: str, timeout_s: float) -> None:
    """After the tap: a new page (the old one reloaded), controlled by the new release's
    worker, with the draft as typed and the new release's files."""
    page.wait_for_function("() => window.__samePage === undefined", timeout=timeout_s * 1000)

    def controlled_by_new() -> bool:
        try:
            current = page.evaluate(VERSION_OF, "controller")
        except Exception:  # the page is between documents
            return False
        return bool(current) and current["version"] == version

    wait_for(controlled_by_new, timeout_s, "the new release's worker to control the page", 0.25,
             browser_sleep(page))
    expect(page.locator(NAME)).to_have_value(TYPED, timeout=15000)
    assert ".release-2{" in page.evaluate("document.querySelector('style').textContent")


def test_update_waits_for_a_tap_and_downloads_only_changed_files(
        app: Any, browser: Any, tmp_path: Any) -> None:
    with phone_with_draft(app, browser, tmp_path) as (_server, page, shell):
        banner = release(page, shell)
        shot(page, "update-banner")
        # Installed and waiting, with one file downloaded: the page was not reloaded.
        waiting = page.evaluate(VERSION_OF, "waiting")
        assert waiting["downloaded"] == 1
        assert page.evaluate("window.__samePage") is True
        expect(page.locator(NAME)).to_have_value(TYPED)

        tap_update(page, banner)
        on_new_release(page, waiting["version"], 45)  # at once, unless the machine is loaded


def test_update_tap_works_while_the_old_version_is_still_downloading(
        app: Any, browser: Any, tmp_path: Any) -> None:
    """The old worker is stuck on a download that never ends, and the browser hands over to
    the new worker only once the old one is idle. After the tap the person still gets the new
    version, draft intact, once that download gives up (20 s), not minutes later; the page
    waits for the new worker rather than reload into neither worker (offline: an error page)."""
    with phone_with_draft(app, browser, tmp_path) as (_server, page, shell):
        banner = release(page, shell)
        waiting = page.evaluate(VERSION_OF, "waiting")
        # A request the network never answers (routes see the service worker's requests too).
        stuck: list[Any] = []
        page.context.route("**/__stuck", lambda route: stuck.append(route))
        page.evaluate("""navigator.serviceWorker.controller.postMessage(
            {type: 'prefetch', urls: ['/__stuck']})""")
        wait_for(lambda: stuck, 15, "the old worker's download to start", 0.25, browser_sleep(page))
        tap_update(page, banner)
        on_new_release(page, waiting["version"], 60)
