"""Telemetry carries no value a person typed: a unique marker goes into every field, the
person fails validation, moves between sections, leaves; every event sent (and every row the
server kept) is searched for it. Account turns telemetry off."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from playwright.sync_api import expect

from app.models.quality import TelemetryEvent
from tests.e2e.flows import MARITAL, sign_up, start_marital

URL = "/api/v1/sync/telemetry"


def _wait(check: Any, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_no_event_carries_a_typed_value(page, db):
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.post_data or "") if URL in r.url else None)
    # What the server answered 200 to has been committed: the rows are read only after that.
    kept: list[str] = []
    page.on("response", lambda r: kept.append(r.request.post_data or "")
            if URL in r.url and r.ok else None)
    sign_up(page)
    start_marital(page)
    marker = f"Q{uuid.uuid4().hex[:5]}"  # short enough for a 12-digit ID field
    number = "7319"
    controls = page.locator("form.dossier input:visible, form.dossier textarea:visible")
    expect(controls.first).to_be_visible()
    filled = 0
    for i in range(controls.count()):
        control = controls.nth(i)
        kind = control.get_attribute("type") or "text"
        if kind in ("radio", "checkbox", "file", "hidden"):
            continue
        control.fill(f"{number}{i:02d}" if kind == "number" else f"{marker}{i:02d}")
        filled += 1
    assert filled >= 5
    # Straight from the last field to "Submit": the tap is not lost to the field's message.
    page.get_by_role("button", name="Nộp hồ sơ").click()  # the markers fail their rules
    expect(page.locator(".summary")).to_contain_text("cần sửa")
    page.evaluate("location.hash = '#/dossiers'")  # leaves the draft
    expect(page.locator("h1")).to_have_text("Hồ sơ của tôi")

    def delivered() -> bool:
        page.evaluate("window.__hoso && window.__hoso.sync.syncNow()")
        kinds = {e["kind"] for body in kept if body for e in json.loads(body)["events"]}
        return {"validation_failed", "section_time", "draft_left", "form_opened",
                "draft_started"} <= kinds

    _wait(delivered)
    queued = page.evaluate("localStorage.getItem('hoso.telemetry') || ''")
    for body in [*sent, queued]:
        assert marker not in body and number not in body
    db.session.rollback()
    rows = db.session.query(TelemetryEvent).all()
    failed = {r.field for r in rows if r.kind == "validation_failed"}
    assert failed and all(not f.startswith(marker) for f in failed)
    for row in rows:
        text = " ".join(str(getattr(row, c.name)) for c in TelemetryEvent.__table__.columns)
        assert marker not in text and number not in text


def test_account_turns_it_off(page, db):
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.post_data or "") if URL in r.url else None)
    sign_up(page)
    page.evaluate("location.hash = '#/account'")
    switch = page.get_by_label("Gửi dữ liệu chẩn đoán ẩn danh")
    expect(switch).to_be_checked()
    switch.uncheck()
    page.goto(f"/#/p/{MARITAL}")
    expect(page.get_by_role("button", name="Bắt đầu điền hồ sơ")).to_be_visible()
    page.evaluate("window.__hoso.sync.syncNow()")
    # Nothing was queued, so nothing can go.
    assert page.evaluate("localStorage.getItem('hoso.telemetry')") is None
    assert not any("form_opened" in body for body in sent)
