"""A newcomer does it alone, at 360 × 740, in Vietnamese and again in English: first visit →
intro → a procedure → sign up from there and land back on the form → fill → offline → a
photo → submit → online → the official accepts and asks for more in the desk (viewing the
photo) → a push reaches the citizen's service worker and its tap opens the dossier → the
supplement is answered → the official sees what changed → the result is returned → the
citizen opens it. Every step is audited (tests/e2e/journey_checks.py) and photographed;
with HOSO_SCREENS=1 the key steps also go to docs/screens/ (scripts/screens.sh)."""

from __future__ import annotations

import json
import os
import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.models.notifications import Notification
from app.services import lifecycle as lc
from app.services import push
from tests.e2e import docs_flows as docs
from tests.e2e import flows
from tests.e2e.conftest import deliver_push, worker_registration
from tests.e2e.journey_checks import ROOT, audit, t
from tests.servers import browser_sleep, wait_for

PHONE_360 = {"width": 360, "height": 740}
SHOWN = """async (id) => (await (await navigator.serviceWorker.ready).getNotifications())
    .some((n) => n.data && n.data.notification_id === id)"""
SCREENS = ROOT / "docs" / "screens"
# The key screens of docs/screens.md: step name → one line about it.
KEY_SCREENS = {
    "01-intro": "First visit: what Hoso is, that it works offline, what a procedure needs.",
    "03-procedure": "A procedure: agency, time, fee (with its exemptions) and the papers it needs.",
    "04-signup": "Signed out, “Start” says why an account is needed; the password rules come first.",
    "06-offline-photo": "Offline: the form is filled and the photo waits on the phone.",
    "07-submitted": "Back online: sent once, the photo uploaded, the receipt number shown.",
    "09-desk-photo": "The official opens the citizen's photo in the desk.",
    "10-desk-supplement": "The desk's supplement request: the form's sections, visible fields only.",
    "11-push-opened": "The push notification's tap opens the dossier with the request.",
    "13-desk-changed": "After the answer the official sees what changed, before and after.",
    "14-result": "The citizen opens the signed result.",
    "16-account": "Account: notifications with their real state, password, sign out everywhere.",
}


def keep(page: Page, lang: str, step: str) -> None:
    """With HOSO_SCREENS=1, a small copy of the screen for docs/screens.md."""
    if not os.environ.get("HOSO_SCREENS") or step not in KEY_SCREENS:
        return
    from PIL import Image

    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{lang}-{step}.png"
    page.screenshot(path=str(path))
    with Image.open(path) as img:
        img.convert("RGB").resize((240, 493)).quantize(64).save(path, optimize=True)


def step(page: Page, lang: str, name: str, focus: str | None = None, allowed: tuple[str, ...] = ()) -> None:
    audit(page, lang, name, focus, allowed)
    keep(page, lang, name)


def write_screens_doc() -> None:
    lines = ["# Screens of the citizen's journey", "",
             "The key screens of the newcomer's walk in `tests/e2e/test_journey.py`, at 360 × 740,",
             "in Vietnamese and in English. Regenerate them with `bash scripts/screens.sh`.", ""]
    for name, line in KEY_SCREENS.items():
        lines += [f"## {name[3:].replace('-', ' ')}", "", line, "",
                  f"![vi](screens/vi-{name}.png) ![en](screens/en-{name}.png)", ""]
    (ROOT / "docs" / "screens.md").write_text("\n".join(lines))


def detail_receipt(live: Any, token: str, dossier_id: str) -> str:
    return str(live.api("GET", f"/api/v1/dossiers/{dossier_id}", token).json().get("receipt_code") or "")


def desk_action(desk: Page, lang: str, action: str) -> None:
    desk.locator(f".actions button[data-action={action}]").click()
    desk.locator(f"form.action[data-action={action}] button[type=submit]").click()


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_newcomer_does_it_alone(lang: str, new_context: Any, live_server: Any, db: Any,
                                  official_of: Any) -> None:
    # A browser whose own locale is the other language: dates must still be the UI's.
    context = new_context(viewport=PHONE_360, locale="en-US" if lang == "vi" else "vi-VN")
    context.grant_permissions(["notifications"], origin=live_server.url)
    page = context.new_page()
    name, phone = "Trần Thị Hoa", flows.new_phone()

    # First visit: the intro, in the person's language.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"#/welcome$"))
    if lang == "en":
        page.locator("#lang").click()
    expect(page.locator("main h1")).to_have_text(t(lang, "intro.title"))
    step(page, lang, "01-intro")
    page.locator("#intro-start").click()
    expect(page.locator("main h1")).to_have_text(t(lang, "catalog.title"))
    step(page, lang, "02-catalog")

    # A procedure, then "Start" while signed out: sign up from there, land on the form.
    birth = "Birth registration" if lang == "en" else "Đăng ký khai sinh"
    page.locator(".card-link", has=page.get_by_text(birth, exact=True)).click()
    expect(page.locator(".fee, dd").first).to_be_visible()
    step(page, lang, "03-procedure")
    page.locator("main button.primary").click()
    expect(page.locator("#why")).to_have_text(t(lang, "auth.why_start"))
    expect(page.locator("#signup-password-help")).to_have_text(t(lang, "auth.password_rules"))
    page.locator("#signup-full_name").fill(name)
    page.locator("#signup-phone").fill("0123")
    page.locator("#signup-password").fill("short")
    page.locator("main button.primary").click()
    expect(page.locator("#signup-password-err")).not_to_be_empty()
    # Each message once: the field's under it, not again in the summary.
    summary = page.locator(".summary").inner_text()
    assert page.locator("#signup-password-err").inner_text() not in summary
    step(page, lang, "04-signup", allowed=(name,))
    page.locator("#signup-phone").fill(phone)
    page.locator("#signup-password").fill(flows.PASSWORD)
    page.locator("main button.primary").click()
    # The phone number is proven by the SMS code (the development outbox shows it), and the
    # person still lands on the form they started.
    flows.enter_code(page, confirm=t(lang, "auth.confirm"))
    expect(page).to_have_url(re.compile(r"#/d/[0-9a-f-]+/edit$"))
    dossier_id = page.url.split("#/d/")[1].split("/")[0]
    step(page, lang, "05-form", allowed=(name, phone))
    flows.wait_offline_ready(page)
    token = flows.tokens_of(page)["access_token"]

    # Offline: fill the form, take the photo, submit.
    context.set_offline(True)
    docs.fill_birth(page, docs.recent_birth())
    expect(page.locator("#f-child_birth_date")).to_have_value(docs.recent_birth().strftime("%d/%m/%Y"))
    docs.photo(page, "birth_notice", docs.camera_jpeg(page))
    expect(page.locator("[data-doc=birth_notice]")).to_have_attribute("data-state", "queued")
    typed = (name, phone, docs.CHILD, "Trần Thị Hoa", "Nam Định", "Bệnh viện Phụ sản Hà Nội", "12 Hàng Bạc",
             "Phường Hoàn Kiếm", "Hà Nội", "0912345678", "001194012345")
    step(page, lang, "06-offline-photo", "[data-doc=birth_notice]", allowed=typed)
    page.locator("main button.primary", has_text=t(lang, "editor.submit")).click()
    expect(page).to_have_url(re.compile(rf"#/d/{dossier_id}$"))
    expect(page.locator("#status")).to_have_text(t(lang, "status.queued_submit"))

    # Back online: sent once, the photo uploaded.
    context.set_offline(False)
    expect(page.locator("#status")).to_have_text(t(lang, "status.submitted"), timeout=30000)
    expect(page.locator("[data-doc=birth_notice]")).to_have_attribute("data-state", "ready", timeout=30000)
    detail = live_server.api("GET", f"/api/v1/dossiers/{dossier_id}", token).json()
    assert [e["action"] for e in detail["history"]].count("submit") == 1
    receipt = detail.get("receipt_code") or ""
    step(page, lang, "07-submitted", allowed=typed + (receipt,))

    # The official, on a phone too: accept, view the photo, ask for more.
    official = official_of(docs.BIRTH)
    desk_ctx = new_context(viewport=PHONE_360)
    desk = desk_ctx.new_page()
    desk.goto("/#/login")
    desk.evaluate(f"localStorage.setItem('hoso.lang', '{lang}')")
    desk.reload()
    desk.locator("#login-login").fill(official.email)
    desk.locator("#login-password").fill(official.password)
    desk.locator("main button.primary").click()
    expect(desk.locator("main h1")).to_have_text(t(lang, "nav.office"))
    expect(desk.locator(f"tr[data-id='{dossier_id}']")).to_be_visible()
    step(desk, lang, "08-desk-list", allowed=typed + (detail_receipt(live_server, token, dossier_id),))
    desk.goto(f"/#/office/{dossier_id}")
    desk_action(desk, lang, "accept")
    expect(desk.locator(".status").first).to_have_text(t(lang, "status.accepted"))
    receipt = live_server.api("GET", f"/api/v1/dossiers/{dossier_id}", token).json()["receipt_code"]
    shown = typed + (receipt,)
    step(desk, lang, "08-desk-dossier", allowed=shown)
    desk.locator("[data-doc=birth_notice] a.view").click()
    image = desk.locator(".viewer img")
    expect(image).to_be_visible()
    wait_for(lambda: desk.evaluate("() => document.querySelector('.viewer img').naturalWidth > 0"), 15,
             "the photo to load", 0.05, browser_sleep(desk))
    step(desk, lang, "09-desk-photo", allowed=shown)
    desk.go_back()
    desk_action(desk, lang, "start")
    expect(desk.locator(".status").first).to_have_text(t(lang, "status.in_progress"))
    desk.locator(".actions button[data-action=request_supplement]").click()
    panel = desk.locator("form.action[data-action=request_supplement]")
    expect(panel.locator("fieldset.section legend").first).to_be_visible()
    panel.locator("input[name=fields][value=child_home_town]").check()
    panel.locator("input[name=documents][value=birth_notice]").check()
    note = {"vi": "Ảnh giấy chứng sinh bị mờ, xin chụp lại.",
            "en": "The photo is blurred, please take it again."}[lang]
    panel.locator("textarea").fill(note)
    step(desk, lang, "10-desk-supplement", "form.action", allowed=shown)
    panel.locator("button[type=submit]").click()
    expect(desk.locator(".status").first).to_have_text(t(lang, "status.supplement_requested"))

    # The push reaches the citizen's worker; its tap opens the dossier.
    note_row = db.session.scalars(select(Notification).where(
        Notification.kind == lc.SUPPLEMENT_REQUESTED,
        Notification.dossier_id == uuid.UUID(dossier_id))).one()
    message = push.payload(note_row)
    db.session.rollback()
    page.goto("/#/")
    cdp, registration = worker_registration(context, page)
    cdp.send("ServiceWorker.deliverPushMessage", {
        "origin": live_server.url, "registrationId": registration, "data": message.decode()})
    wait_for(lambda: page.evaluate("""async () => (await (await navigator.serviceWorker.ready)
        .getNotifications()).length"""), 15, "the notification", 0.05, browser_sleep(page))
    context.service_workers[0].evaluate("""async () => {
      const [n] = await self.registration.getNotifications();
      self.dispatchEvent(new NotificationEvent('notificationclick', { notification: n }));
    }""")
    expect(page).to_have_url(f"{live_server.url}/#/d/{dossier_id}", timeout=15000)
    expect(page.locator("#status")).to_have_text(t(lang, "status.supplement_requested"), timeout=25000)
    step(page, lang, "11-push-opened", allowed=typed + (receipt, note))

    # The supplement: the asked field and a new photo.
    box = page.locator("section.notice.warn")
    box.locator("#f-child_home_town").fill("Hải Phòng")
    docs.photo(page, "birth_notice", docs.camera_jpeg(page, 2000, 3000), "IMG_20260102_1015.jpg")
    expect(box.locator("[data-doc=birth_notice]")).to_contain_text("IMG_20260102_1015.jpg")
    step(page, lang, "12-supplement", "section.notice", allowed=typed + (receipt, note, "Hải Phòng"))
    box.locator("button.primary", has_text=t(lang, "supplement.send")).click()
    expect(page.locator("#status")).to_have_text(t(lang, "status.in_progress"), timeout=30000)

    # The official sees what changed, then completes and returns the result.
    desk.reload()
    changed = desk.locator("li.changed[data-field=child_home_town]")
    expect(changed.locator("del")).to_have_text("Nam Định")
    expect(changed.locator("ins")).to_have_text("Hải Phòng")
    expect(desk.locator("li.changed[data-doc=birth_notice]")).to_be_visible()
    step(desk, lang, "13-desk-changed", "#changed-h", allowed=shown + (note, "Hải Phòng"))
    desk_action(desk, lang, "complete")
    expect(desk.locator(".status").first).to_have_text(t(lang, "status.result_ready"))
    desk.locator(".actions button[data-action=return_result]").click()
    desk.locator("#res-number").fill("123/2026/KS")
    desk.locator("form.action[data-action=return_result] button[type=submit]").click()
    expect(desk.locator(".status").first).to_have_text(t(lang, "status.returned"))

    # The citizen opens the result: the signed PDF, in the browser's viewer.
    page.reload()
    expect(page.locator("#status")).to_have_text(t(lang, "status.returned"), timeout=25000)
    result = page.locator("[data-issued=result]")
    expect(result).to_be_visible()
    result.locator("a.view").click()
    expect(page.locator(".viewer")).to_have_attribute("data-type", "application/pdf")
    step(page, lang, "14-result", allowed=typed + (receipt, note, "Hải Phòng", "123/2026/KS"))
    with context.expect_page() as opened:
        page.locator("a[data-pdf]").click()
    assert opened.value.url.startswith("blob:")
    opened.value.close()

    # The inbox in the reader's language, all marked read at once; the account's settings.
    page.goto("/#/inbox")
    expect(page.locator(".card.unread").first).to_be_visible()
    step(page, lang, "15-inbox", allowed=(receipt,))
    page.locator("main button.secondary", has_text=t(lang, "inbox.mark_all")).click()
    expect(page.locator(".card.unread")).to_have_count(0)
    page.goto("/#/account")
    expect(page.locator("#push-state")).to_be_visible()
    step(page, lang, "16-account", allowed=(name, phone))
    if os.environ.get("HOSO_SCREENS") and lang == "en":
        write_screens_doc()


def test_every_link_the_server_and_the_worker_make_opens_a_real_screen(
        new_context: Any, live_server: Any, db: Any, make_citizen: Any, official_of: Any) -> None:
    """Every notification kind × status the server writes, as an inbox item's link and as a
    push payload tapped in the service worker, and every link of the route table, opens a
    screen of the app, never "not found"."""
    from app.services import links, notifications
    from tests.factories import PATHS, make_dossier

    phone = flows.new_phone()
    citizen = make_citizen(phone=phone)
    officer = official_of(docs.BIRTH)
    payloads: list[dict[str, Any]] = []
    made = {status: make_dossier(db.session, citizen.user, status=status, official=officer.user)
            for status in notifications.TEXTS.keys() & PATHS.keys()}
    # … the agency's answer to a rating ("rating_answer").
    from app.services import satisfaction
    from app.services.dossiers import transition as act

    rated = made[lc.RETURNED]
    act(db.session, rated, citizen.user, "rate", rating=2, note="Chậm")
    satisfaction.record(db.session, rated, {}, [], rated.updated_at)
    satisfaction.answer(db.session, officer.user, rated.id, "Xin lỗi, chúng tôi sẽ nhanh hơn.")
    # Kinds that are events, not statuses: the fee taken at the desk ("fee_paid").
    fee_desk = official_of("criminal-record-certificate")
    make_dossier(db.session, citizen.user, "criminal-record-certificate", status=lc.SUBMITTED,
                 official=fee_desk.user)
    # … and the apology with a new date for a late dossier ("apology").
    from datetime import timedelta

    from app.services import clock
    from app.services.dossiers import transition

    late = make_dossier(db.session, citizen.user, status=lc.IN_PROGRESS, official=officer.user)
    late.appointment_date = clock.today() - timedelta(days=3)
    transition(db.session, late, officer.user, "apologise", note="Chờ kết quả xác minh",
               new_date=clock.today() + timedelta(days=5))
    # … and the transfer to another ward's agency after a supplement moved the address
    # ("transferred").
    moved = make_dossier(db.session, citizen.user, status=lc.IN_PROGRESS, official=officer.user)
    transition(db.session, moved, officer.user, "request_supplement", note="Ghi rõ nơi cư trú",
               fields=["mother_residence"])
    elsewhere = "00073" if moved.agency_code != "UBP-CUANAM" else "00070"
    transition(db.session, moved, citizen.user, "supplement", values={"mother_residence": {
        "line": "5 Lý Thái Tổ", "ward": elsewhere, "province": "01"}})
    db.session.commit()
    rows = list(db.session.scalars(select(Notification).where(Notification.user_id == citizen.id)))
    assert {row.kind for row in rows} >= set(notifications.TEXTS), [row.kind for row in rows]
    for row in rows:
        payloads.append(json.loads(push.payload(row)))
    kinds = {p["url"] for p in payloads}
    db.session.rollback()
    assert len(payloads) >= len(notifications.TEXTS)
    inbox = live_server.api("GET", "/api/v1/notifications?per_page=100", citizen.access).json()["items"]
    urls = {n["data"]["url"] for n in inbox} | kinds
    urls |= {links.link(name, id=payloads[0]["dossier_id"]) for name in links.ROUTES}
    assert all(u.startswith("/#/") and "dossiers/" not in u for u in urls), urls

    context = new_context(viewport=PHONE_360)
    context.grant_permissions(["notifications"], origin=live_server.url)
    page = context.new_page()
    flows.open_app(page, "#/login")
    page.locator("#login-login").fill(phone)
    page.locator("#login-password").fill(citizen.password)
    page.locator("main button.primary").click()
    expect(page.locator("main h1")).to_have_text(t("vi", "nav.dossiers"))

    def real_screen() -> None:
        heading = page.locator("main h1")
        expect(heading).to_be_visible()
        expect(heading).not_to_have_text(t("vi", "error.not_found"))
        expect(page.locator("main")).not_to_contain_text(t("vi", "error.title"))

    for url in sorted(urls):
        page.goto(url)
        real_screen()
    # Through the worker: each kind's payload, tapped, opens its screen.
    page.goto("/#/")
    cdp, registration = worker_registration(context, page)
    for message in payloads:
        page.goto("/#/")
        deliver_push(cdp, page, live_server.url, registration, message)
        wait_for(lambda m=message: page.evaluate(SHOWN, m["notification_id"]),
                 15, "the notification", 0.2, browser_sleep(page))
        context.service_workers[-1].evaluate("""async (id) => {
          const n = (await self.registration.getNotifications()).find((x) => x.data.notification_id === id);
          self.dispatchEvent(new NotificationEvent('notificationclick', { notification: n }));
        }""", message["notification_id"])
        expect(page).to_have_url(f"{live_server.url}{message['url']}", timeout=15000)
        real_screen()
