"""The service worker shows a pushed status update and a tap opens the dossier (Chromium).

The push message is the server's own payload (app.services.push.payload of a real inbox
row), delivered to the registered worker through the DevTools protocol
(ServiceWorker.deliverPushMessage), as a push service would.
"""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

from app.models.notifications import Notification
from app.services import lifecycle as lc
from app.services import push
from tests.e2e.conftest import deliver_push, shot, worker_registration
from tests.factories import make_dossier
from tests.servers import browser_sleep, wait_for

NOTIFICATIONS = """async () => {
  const reg = await navigator.serviceWorker.ready;
  return (await reg.getNotifications()).map((n) => ({
    title: n.title, body: n.body, tag: n.tag, icon: n.icon, data: n.data }));
}"""


def test_push_shows_notification_and_tap_opens_the_dossier(
        db: Any, live_server: Any, new_context: Any, make_citizen: Any, official_of: Any) -> None:
    citizen = make_citizen(language="en")
    officer = official_of("birth-registration")
    dossier = make_dossier(db.session, citizen.user, status=lc.RESULT_READY, official=officer.user)
    note = db.session.scalars(select(Notification).where(Notification.kind == lc.RESULT_READY)).one()
    message = json.loads(push.payload(note))
    assert message["body"] == "Birth registration: there is an update. Open Hoso to see it."
    db.session.rollback()  # hold no SQLite lock while gunicorn serves the browser

    context = new_context()
    context.grant_permissions(["notifications"], origin=live_server.url)
    page = context.new_page()
    page.goto("/")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=20000)
    assert page.evaluate(NOTIFICATIONS) == []

    cdp, registration_id = worker_registration(context, page)
    deliver_push(cdp, page, live_server.url, registration_id, message)
    shown = wait_for(lambda: page.evaluate(NOTIFICATIONS), 15, "the notification", 0.2, browser_sleep(page))
    assert shown == [{
        "title": "Result ready", "body": message["body"], "tag": f"dossier-{dossier.id}",
        "icon": f"{live_server.url}/icons/icon-192.png",
        "data": {"url": f"/#/d/{dossier.id}", "dossier_id": str(dossier.id),
                 "notification_id": str(note.id)}}]

    # A newer update for the same dossier replaces it rather than piling up.
    deliver_push(cdp, page, live_server.url, registration_id,
                 {**message, "title": "Đã có kết quả", "notification_id": "n2"})
    wait_for(lambda: [n["title"] for n in page.evaluate(NOTIFICATIONS)] == ["Đã có kết quả"], 15,
             "the replaced notification", 0.2, browser_sleep(page))

    # Tapping it: no trusted click exists in the DevTools protocol, so the worker dispatches
    # the notificationclick event to its own listener with the notification it showed.
    page.goto("/#/")
    worker = context.service_workers[0]
    worker.evaluate("""async () => {
      const [n] = await self.registration.getNotifications();
      self.dispatchEvent(new NotificationEvent('notificationclick', { notification: n }));
    }""")
    # Nobody is signed in on this phone: the dossier's screen asks to sign in, then goes there.
    expect(page).to_have_url(f"{live_server.url}/#/login?next=%23%2Fd%2F{dossier.id}", timeout=10000)
    expect(page.locator("h1")).to_have_text("Đăng nhập")
    wait_for(lambda: page.evaluate(NOTIFICATIONS) == [], 15, "the tapped notification to close", 0.05,
             browser_sleep(page))
    shot(page, "push-opened-dossier")


def test_offer_push_explains_first_and_never_nags(live_server: Any, new_context: Any) -> None:
    context = new_context()
    page = context.new_page()
    page.goto("/")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null && window.__hoso",
                           timeout=20000)
    offer = "import('/app/push.js').then((m) => m.offerPush(window.__hoso.api))"
    page.evaluate(f"() => {{ window.__offer = {offer}; }}")  # not awaited: it waits for a tap
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Nhận thông báo về hồ sơ?")
    shot(page, "push-offer")
    # The card covers the bottom of the screen, but the page's end scrolls above it.
    ends = ("() => { window.scrollTo(0, document.documentElement.scrollHeight);"
            " return [document.querySelector('footer').getBoundingClientRect().bottom,"
            " document.querySelector('.push-offer').getBoundingClientRect().top]; }")
    page_end, card_top = page.evaluate(ends)
    assert page_end <= card_top
    dialog.get_by_role("button", name="Để sau").click()
    assert page.evaluate("document.body.style.paddingBottom") == ""  # the room goes with the card
    assert page.evaluate("window.__offer") == "dismissed"
    assert json.loads(page.evaluate("localStorage.getItem('hoso.push')"))["outcome"] == "dismissed"
    # Asked once: the next call answers from memory and shows nothing.
    assert page.evaluate(offer) == "dismissed"
    expect(page.get_by_role("dialog")).to_have_count(0)
