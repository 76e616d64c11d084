"""A server that drops the first attempts (connection reset, 503, a reply lost after the
commit) still ends with each submission applied exactly once."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Route, expect

from tests.e2e import flows
from tests.e2e.conftest import shot


def test_dropped_sync_requests_apply_each_submission_once(context: Any, page: Any,
                                                          live_server: Any) -> None:
    flows.sign_up(page)
    token = flows.tokens_of(page)["access_token"]
    first = flows.start_marital(page)
    flows.fill_marital(page, "Lê Văn Cường")
    expect(page.locator("#sync")).to_have_attribute("data-state", "saved", timeout=15000)

    seen: list[str] = []

    def flaky(route: Route) -> None:
        seen.append(route.request.url)
        n = len(seen)
        if n == 1:
            route.abort("connectionreset")
        elif n == 2:
            route.fulfill(status=503, content_type="application/problem+json",
                          body='{"type": "/problems/unavailable", "title": "Unavailable", "status": 503}')
        elif n == 3:
            route.fetch()  # the server commits the batch ...
            route.abort("connectionreset")  # ... but the phone never hears back
        else:
            route.continue_()

    context.route("**/api/v1/sync/push", flaky)
    flows.submit(page)
    # A second dossier queued behind the first, during the failures.
    page.goto(f"/#/p/{flows.MARITAL}")
    second = flows.start_marital(page)
    flows.fill_marital(page, "Lê Văn Dũng")
    flows.submit(page)
    page.goto(f"/#/d/{first}")
    expect(page.locator("#status")).to_have_text("Mới đăng ký", timeout=40000)
    page.goto(f"/#/d/{second}")
    expect(page.locator("#status")).to_have_text("Mới đăng ký", timeout=40000)
    expect(page.locator("#sync")).to_have_attribute("data-state", "saved")
    shot(page, "after-flaky-network")
    assert len(seen) >= 4

    items = flows.server_dossiers(live_server, token)
    assert sorted(d["id"] for d in items) == sorted([first, second])
    for dossier_id in (first, second):
        history = live_server.api("GET", f"/api/v1/dossiers/{dossier_id}", token).json()["history"]
        assert [e["action"] for e in history] == ["create", "submit"]
