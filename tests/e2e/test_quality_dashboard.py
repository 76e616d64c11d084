"""The leaders' dashboard at 1366x768: the index with its groups and trend, the funnel and the
failing fields for the demo history, the CSV, and a rating answered."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from app.services import clock, quality_demo
from tests.e2e import flows
from tests.e2e.conftest import shot
from tests.e2e.test_desk import desk_page


def test_a_leader_sees_the_index_and_the_funnel(new_context: Any, live_server: Any, db: Any,
                                                official_of: Any) -> None:
    leader = official_of(flows.MARITAL)
    assert quality_demo.seed_demo(db.session, clock.today()) > 0
    db.session.commit()
    db.session.rollback()
    page = desk_page(new_context, leader)
    page.get_by_role("link", name="Chất lượng phục vụ").click()
    expect(page.locator("h1")).to_have_text("Chất lượng phục vụ (Quyết định 766/QĐ-TTg)")
    # The period opens on the last six months, its days written dd/mm/yyyy (not the PC's way).
    today = clock.today()
    on_phone = page.evaluate("new Date().toLocaleDateString('en-GB')")  # the browser's today
    expect(page.locator("#q-to")).to_have_value(on_phone)
    expect(page.locator("#q-from")).to_have_value(re.compile(r"^01/\d{2}/\d{4}$"))
    page.locator("#q-from").fill("01/06/" + str(today.year))
    page.get_by_role("button", name="Xem").click()
    expect(page).to_have_url(re.compile(rf"#/quality\?from={today.year}-06-01&to="))
    page.get_by_role("button", name="Sáu tháng").click()
    expect(page).to_have_url(re.compile(r"#/quality\?from="))

    points = page.locator("#quality-points")
    expect(points).not_to_have_text("0")
    groups = page.locator("#quality-groups g[data-group]")
    expect(groups).to_have_count(5)
    expect(page.locator("#quality-groups g[data-group=publicity]")).to_contain_text("chưa đo")
    expect(page.locator("#quality-groups g[data-group=progress] rect.chart-bar")).to_have_count(1)
    # A month that received no dossier has no index: no dot, said in words (not a fall to 0).
    months = live_server.api("GET", "/api/v1/quality/trend?months=12", leader.access).json()["months"]
    empty = [m["month"] for m in months if not m["received"]]
    assert 0 < len(empty) < 12  # the demo history covers the last six months only
    expect(page.locator("#quality-trend circle")).to_have_count(12 - len(empty))
    expect(page.locator(f"#quality-trend g[data-month='{empty[0]}'] title")).to_have_text(
        f"{empty[0]}: không có hồ sơ tiếp nhận")
    expect(page.locator("tr[data-indicator=published_on_time]")).to_contain_text("Chưa đo được")
    expect(page.locator("tr[data-indicator=progress]")).to_contain_text("/ 20")

    funnel = page.locator(f"#quality-funnel article[data-procedure='{flows.MARITAL}']")
    expect(funnel.locator("h3")).to_have_text("Xác nhận tình trạng hôn nhân")
    for step in ("opened", "started", "submitted", "accepted", "returned"):
        expect(funnel.locator(f"g[data-step={step}] text.chart-value")).not_to_have_text("0")
    expect(funnel.locator("ol.failing li").first).to_be_visible()
    expect(page.locator("table.networks tr[data-network='2g']")).to_be_visible()
    shot(page, "quality-dashboard")

    with page.expect_download() as download:
        page.locator("#quality-csv").click()
    assert download.value.suggested_filename.startswith("chi-so-766-")

    ratings = page.locator("#quality-ratings li.card")
    first = ratings.filter(has=page.locator("textarea")).first
    first.locator("textarea").fill("Cảm ơn anh chị, cơ quan đã rút kinh nghiệm.")
    first.get_by_role("button", name="Gửi trả lời").click()
    expect(page.locator("#quality-ratings p.answer").first).to_contain_text("đã rút kinh nghiệm")
