"""Browser tests: a real gunicorn over the test database, driven by Debian's Chromium.

`live_server` serves the app from a separate process (so the service worker, the HTTP
caches and the network emulation are real); the test process shares its database through
the root conftest's `app` and `db` fixtures (catalog loaded; rows wiped after each test).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from tests.servers import ROOT, Gunicorn, browser_sleep, wait_for

SHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("HOSO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}
# Assertions wait as long as actions do (15 s): on a loaded 2-core machine a screen that takes
# a few hundred milliseconds can take several seconds (a submit once took over 5 s there).
expect.set_options(timeout=15000)


class LiveServer(Gunicorn):
    """The app in gunicorn over the test database, with the API a test reads and acts through."""

    def __init__(self, app: Any, tmp: Path, **env: str) -> None:
        super().__init__(app.config["SQLALCHEMY_DATABASE_URI"], tmp,
                         env={"LOGIN_FREE_ATTEMPTS": "50", "GUNICORN_GRACEFUL_TIMEOUT": "2",
                              # It lives for the whole session over the test database, so its
                              # periodic sweep would claim (and, its push hosts not allowing the
                              # test's push service, fail) deliveries made by later in-process
                              # tests. Deliveries it makes itself are dispatched at once anyway.
                              "PUSH_SWEEP_SECONDS": "86400",
                              "PAYOS_SANDBOX": "1",
                              "PAYOS_SANDBOX_DB": str(tmp / "payos-sandbox.sqlite3"), **env})

    def api(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return requests.request(method, self.url + path, headers=headers, timeout=30, **kwargs)


@pytest.fixture(scope="session")
def demo_keys(app: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A demo key for every agency (what `flask pki init` makes), for the servers that sign."""
    from tests.results.conftest import make_demo_keys

    return make_demo_keys(app, tmp_path_factory.mktemp("live-pki"))


@pytest.fixture(scope="session")
def live_server(app: Any, tmp_path_factory: pytest.TempPathFactory,
                demo_keys: Any) -> Iterator[LiveServer]:
    # Every agency has a demo key, so documents are signed.
    with LiveServer(app, tmp_path_factory.mktemp("live"), PKI_DIR=str(demo_keys.directory)) as server:
        yield server


@pytest.fixture(scope="session")
def browser(playwright_instance: Any) -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    b = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture()
def new_context(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """Makes fresh phones (browser contexts): each has its own storage, like another device."""
    made: list[Any] = []

    def make(**kwargs: Any) -> Any:
        options = {"viewport": PHONE, "base_url": live_server.url, "locale": "vi-VN",
                   "timezone_id": "Asia/Ho_Chi_Minh", "service_workers": "allow", **kwargs}
        ctx = browser.new_context(**options)
        ctx.set_default_timeout(15000)
        # The browser's console ends up in the failure report.
        ctx.on("console", lambda m: print(f"[console.{m.type}] {m.text}"))
        ctx.on("weberror", lambda e: print(f"[page error] {e.error}"))
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.close()


@pytest.fixture()
def context(new_context: Any) -> Any:
    return new_context()


@pytest.fixture()
def page(context: Any) -> Any:
    return context.new_page()


@pytest.fixture(autouse=True)
def _clean_database(db: Any) -> Iterator[None]:
    """Every browser test starts from the catalog alone (rows are wiped after it)."""
    yield


@pytest.fixture()
def official_of(db: Any, make_official: Any) -> Any:
    """An official of the agency handling a procedure. The test process then ends its
    transaction, so it holds no SQLite lock while gunicorn serves the browser."""

    def make(procedure: str, role: str = "leader") -> Any:
        actor = make_official(role=role, procedure=procedure)
        actor.email = actor.user.email
        db.session.rollback()
        return actor

    return make


def shot(page: Any, name: str, focus: str | None = None) -> Path:
    """The whole page; with `focus` (a selector), the 390x844 screen scrolled to it."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    # A transient toast would cover the screen's content in the picture.
    page.evaluate("() => { const t = document.getElementById('toast'); if (t) t.hidden = true; }")
    if focus:
        page.wait_for_function("""s => { const el = document.querySelector(s);
            if (el) el.scrollIntoView({block: 'start'}); return Boolean(el); }""", arg=focus)
    page.screenshot(path=str(path), full_page=focus is None)
    return path


def worker_registration(context: Any, page: Any) -> tuple[Any, str]:
    """A DevTools session on `page` and the id of the app's service worker registration (what
    `ServiceWorker.deliverPushMessage` and `dispatchSyncEvent` name)."""
    cdp = context.new_cdp_session(page)
    found: dict[str, str] = {}

    def on_update(params: dict[str, Any]) -> None:
        for reg in params["registrations"]:
            if not reg.get("isDeleted"):
                found[reg["scopeURL"]] = reg["registrationId"]

    cdp.on("ServiceWorker.workerRegistrationUpdated", on_update)
    cdp.send("ServiceWorker.enable")
    wait_for(lambda: found, 15, "the service worker registration over CDP", 0.05, browser_sleep(page))
    return cdp, next(iter(found.values()))


# The page keeps the ids of the pushes the worker says it has shown (its 'hoso:push' message).
_LISTEN_FOR_PUSHES = """() => { if (window.__pushed) return; window.__pushed = [];
    navigator.serviceWorker.addEventListener('message', (e) => {
      if (e.data && e.data.type === 'hoso:push') window.__pushed.push(e.data.notification_id); }); }"""


def deliver_push(cdp: Any, page: Any, origin: str, registration: str, message: dict[str, Any]) -> None:
    """Hand `message` to the app's service worker as the push service would (DevTools'
    `deliverPushMessage`) and wait until the worker tells `page` it has shown its
    notification. Only then may a test ask the browser for the notifications: polling them
    from the moment of delivery found none about once in eight runs on a busy machine, though
    the worker had the push (most likely Chromium's store, which a listing keeps in step with
    the screen, dropping one stored but not yet shown); waiting first, none in thirty."""
    page.evaluate(_LISTEN_FOR_PUSHES)
    cdp.send("ServiceWorker.deliverPushMessage", {
        "origin": origin, "registrationId": registration, "data": json.dumps(message)})
    wait_for(lambda: page.evaluate("(id) => window.__pushed.includes(id)", message["notification_id"]),
             20, "the worker to show the notification", 0.05, browser_sleep(page))
