"""A first visit on a phone downloads each file of the app once: the service worker's
precache takes what the page has just fetched instead of asking the server again."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

import requests

from tests.e2e import flows
from tests.e2e.conftest import LiveServer
from tests.servers import wait_for


def _requests_since(server: LiveServer, offset: int) -> list[tuple[str, int]]:
    """(path, status) of each request the server answered since `offset` in its log."""
    with server.log.open("rb") as fh:
        fh.seek(offset)
        lines = fh.read().decode(errors="replace").splitlines()
    found = []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("logger") == "hoso.access":
            found.append((entry["path"], entry["status"]))
    return found


def test_a_first_visit_downloads_each_file_once(live_server: LiveServer, page: Any) -> None:
    manifest = requests.get(live_server.url + "/asset-manifest.json", timeout=10).json()["files"]
    offset = live_server.log.stat().st_size

    flows.open_app(page)
    flows.wait_offline_ready(page)
    settled: dict[str, Any] = {"count": -1}

    def quiet() -> bool:  # no new request for a second: the workers are done too
        now = len(_requests_since(live_server, offset))
        if now != settled["count"]:
            settled.update(count=now, since=page.evaluate("performance.now()"))
            return False
        return page.evaluate("performance.now()") - settled["since"] > 1000

    wait_for(quiet, 30, "the first visit to finish", interval=0.2)
    sent = _requests_since(live_server, offset)

    bodies = Counter(path for path, status in sent if status == 200 and not path.startswith("/api/"))
    assert {path: n for path, n in bodies.items() if n > 1} == {}  # each body sent once
    assert "/index.html" not in bodies  # the page, loaded as /, is the same file
    assert set(manifest) - {"/index.html"} <= set(bodies)  # and the worker holds every one
    # The service worker asked for no file a second time: what is asked again is what the
    # module worker imports (the browser revalidates a worker's imports, 304 without a body),
    # and the module the page imports late (device.js), when the precache fetched it first.
    again = Counter(path for path, status in sent if status == 304 and not path.startswith("/api/"))
    assert set(again) <= {"/app/api.js", "/app/sync.js", "/app/db.js", "/app/i18n.js",
                          "/app/outbox.js", "/app/reconcile.js", "/app/device.js",
                          "/icons/icon-192.png"}, again


def test_the_page_is_styled_and_worded_from_its_own_bytes(live_server: LiveServer, page: Any) -> None:
    """The stylesheet and the first texts come inside the page (app/pwa.py `_inline`): the
    browser applies the style its policy allows by hash, and the catalog is drawn in Vietnamese
    without asking for the stylesheet or the first texts."""
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    # The page's own requests (the service worker's precache, which takes every file of the
    # shell meanwhile, is not the page drawing its first screen).
    asked: set[str] = set()
    page.on("request", lambda r: asked.add(urlsplit(r.url).path))
    flows.open_app(page)
    header = page.locator("header.top")
    assert header.evaluate("(e) => getComputedStyle(e).display") == "flex"
    assert header.evaluate("(e) => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
    assert page.locator("a.skip").text_content() == "Bỏ qua, đến nội dung chính"
    assert page.locator("#q").get_attribute("placeholder")  # a first-screen text, not its key
    assert refused == []
    assert "/" in asked and "/app/main.js" in asked
    assert not {"/styles.css", "/i18n/vi.first.json", "/icons/brand-56.png"} & asked
