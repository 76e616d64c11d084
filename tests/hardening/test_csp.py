"""The strict Content-Security-Policy (`script-src 'self'; style-src 'self'`) holds in real
Chromium: walking through the PWA's screens and the API docs raises no CSP violation."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers import Gunicorn

CHROMIUM = os.environ.get("HOSO_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Runs before any page script (injected by DevTools, so the CSP does not apply to it).
RECORDER = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(
  `${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`));
"""


@pytest.fixture()
def server(app: Any, db: Any, tmp_path: Path) -> Iterator[Gunicorn]:
    db.session.commit()
    with Gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, workers=1, threads=4) as gunicorn:
        yield gunicorn


@pytest.fixture()
def page(server: Gunicorn, playwright_instance: Any) -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    context = browser.new_context(base_url=server.url, viewport={"width": 390, "height": 844},
                                  locale="vi-VN", service_workers="allow")
    context.set_default_timeout(15000)
    context.add_init_script(RECORDER)
    page = context.new_page()
    page.console_csp = []  # type: ignore[attr-defined]
    page.on("console", lambda m: "Content Security Policy" in m.text
            and page.console_csp.append(m.text))  # type: ignore[attr-defined]
    try:
        yield page
    finally:
        context.close()
        browser.close()


def _violations(page: Any) -> list[str]:
    return list(page.evaluate("window.__csp || []")) + list(page.console_csp)


def test_pwa_screens_raise_no_csp_violation(page):
    from playwright.sync_api import expect

    from tests.e2e import flows

    seen: dict[str, list[str]] = {}

    def visit(label: str) -> None:
        seen[label] = _violations(page)

    flows.open_app(page, "#/")
    flows.wait_offline_ready(page)  # the service worker installed and precached the shell
    visit("catalog")
    flows.sign_up(page)
    visit("sign up, my dossiers")
    flows.start_marital(page)
    flows.fill_marital(page)
    visit("form editor")
    for hash_ in ("#/dossiers", "#/warehouse", "#/p/birth-registration", "#/nowhere"):
        page.goto("/" + hash_)
        expect(page.locator("h1")).to_be_visible()
        visit(hash_)
    page.reload()
    expect(page.locator("h1")).to_be_visible()
    visit("reload (from the service worker)")
    page.goto("/api/v1/docs")  # Swagger UI, under its own policy
    expect(page.locator(".swagger-ui")).to_be_visible()
    visit("API docs")
    assert {k: v for k, v in seen.items() if v} == {}

    # The recorder really sees violations: an inline script injected now is one.
    page.goto("/#/")
    expect(page.locator("h1")).to_be_visible()
    page.evaluate("() => { const s = document.createElement('script');"
                  " s.textContent = 'window.__ran = 1'; document.body.append(s); }")
    page.wait_for_function("window.__csp.length > 0")
    assert any("script-src" in v for v in _violations(page))
    assert page.evaluate("window.__ran === undefined")
