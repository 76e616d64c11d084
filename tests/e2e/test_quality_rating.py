"""On the phone: a returned dossier asks once for a rating (level, reasons, criteria,
comment); it reaches the agency once and the question is gone."""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

from app.models.accounts import User
from app.models.quality import Rating
from tests.e2e import flows
from tests.factories import make_dossier


def _until(check: Any, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_a_returned_dossier_is_rated_once(page: Any, db: Any, official_of: Any) -> None:
    phone = flows.sign_up(page)
    user = db.session.scalars(select(User).where(User.phone == phone)).one()
    leader = official_of(flows.MARITAL)
    dossier_id = str(make_dossier(db.session, user, flows.MARITAL, "returned", official=leader.user).id)
    db.session.rollback()
    _until(lambda: page.evaluate("""async (id) => { await window.__hoso.sync.syncNow();
        return Boolean(await window.__hoso.store().get('dossiers', id)); }""", dossier_id))
    page.goto(f"/#/d/{dossier_id}")
    form = page.locator("form.rate")
    expect(form).to_be_visible()
    form.locator("input[name=rating][value='2']").check()
    form.get_by_label("Phải đi lại nhiều lần").check()
    form.locator("details summary").click()
    form.get_by_label("Thái độ của công chức").select_option("4")
    form.get_by_label("Góp ý (không bắt buộc)").fill("Phải đến cơ quan hai lần")
    form.get_by_role("button", name="Gửi đánh giá").click()
    expect(page.locator("p.rated")).to_contain_text("Cảm ơn")

    def stored() -> list[Rating]:
        db.session.rollback()
        return list(db.session.scalars(select(Rating)))
    _until(lambda: len(stored()) == 1)
    rating = stored()[0]
    assert (rating.level, rating.reasons, rating.criteria, rating.comment) == (
        2, ["many_trips"], {"staff_attitude": 4}, "Phải đến cơ quan hai lần")
    db.session.rollback()
    page.reload()
    expect(page.locator("#status")).to_be_visible()
    expect(page.locator("form.rate")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("Bạn đã đánh giá 2/5.")
