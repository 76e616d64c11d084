"""WebKit keeps a website's storage only for an app on the Home Screen (no
`navigator.storage.persist()`; Safari erases it after seven days without a visit): while
something waits only on the phone, the app says so and shows the iPhone's own steps to add
Hoso to the Home Screen, in Vietnamese and in English; once the queue is sent (here by the
open app's retry timer, with no Background Sync) it says nothing."""

from __future__ import annotations

from typing import Any

from selenium.webdriver.common.by import By

from tests.webkit import flows
from tests.webkit.conftest import IPHONE_UA, shot, until

BANNER = "const b = document.getElementById('device'); return b && !b.hidden && b.innerText || null;"
ENGLISH = """const b = document.getElementById('device');
    return !b.hidden && b.innerText.includes('Home Screen') && b.innerText;"""


def banner(driver: Any) -> str | None:
    return driver.execute_script(BANNER)


def test_queued_on_an_iphone_without_persistent_storage_warns_and_guides(new_webkit: Any,
                                                                        live_server: Any) -> None:
    webkit = new_webkit(user_agent=IPHONE_UA)
    base = live_server.url
    flows.sign_up(webkit, base)
    flows.wait_offline_ready(webkit)
    storage = until(webkit, "return document.documentElement.dataset.storage", "the storage's standing")
    assert storage == "best-effort"  # no persist() in WebKit, and not opened from the Home Screen
    assert banner(webkit) is None  # nothing waits: nothing to say
    # The footer's install hint (WebKit has no install prompt) names the iPhone's steps.
    hint = webkit.find_element(By.ID, "install-hint")
    assert hint.is_displayed() and "Thêm Hồ sơ vào Màn hình chính" in hint.text

    live_server.stop()
    flows.open_app(webkit, base, "#/")
    flows.start_marital(webkit, base)
    flows.type_into(webkit, "f-applicant_full_name", "Trần Thị Bình")
    flows.wait_badge(webkit, "offline")
    # Not while the person is on the form (nothing moves under their finger): on the next screen.
    assert banner(webkit) is None
    flows.click(webkit, "#nav a[href='#/dossiers']")
    text = until(webkit, BANNER, "the warning that the change is only on this phone")
    assert "chỉ lưu trên điện thoại này" in text
    assert "chỉ được gửi đi khi ứng dụng Hồ sơ đang mở và có mạng" in text  # no Background Sync
    assert "sau 7 ngày không mở" in text
    assert not webkit.find_element(By.ID, "device-guide").is_displayed()
    flows.click_text(webkit, "button", "Cách thêm Hồ sơ vào Màn hình chính")
    until(webkit, "return !document.getElementById('device-guide').hidden", "the steps shown")
    steps = webkit.find_element(By.ID, "device-guide").text
    assert "Trên iPhone, iPad" in steps and "«Thêm vào MH chính»" in steps and "Chạm «Thêm»" in steps
    assert "Android" not in steps  # an iPhone sees its own steps only
    shot(webkit, "storage-warning-vi")

    webkit.find_element(By.ID, "lang").click()
    text = until(webkit, ENGLISH, "the warning in English")
    assert "only on this phone" in text and "after 7 days without a visit" in text
    assert "“Add to Home Screen”" in text  # the steps stay open
    shot(webkit, "storage-warning-en")

    # The server is back while the app stays open (no reload, no navigation): its retry timer
    # (backoff: 1 s, 2 s, 4 s… with jitter) sends the queue, and the warning goes with it.
    live_server.start()
    until(webkit, "return document.getElementById('sync').dataset.state === 'saved'",
          "the queue sent by the retry timer", timeout=90)
    until(webkit, "return document.getElementById('device').hidden", "the warning gone once sent")


def test_push_on_an_iphone_outside_the_home_screen_is_explained(new_webkit: Any, live_server: Any) -> None:
    """No Push API in Safari's tabs: after the first submission the app says where status
    changes appear instead, and how to add it to the Home Screen to be notified."""
    webkit = new_webkit(user_agent=IPHONE_UA)
    base = live_server.url
    flows.sign_up(webkit, base)
    flows.start_marital(webkit, base)
    flows.fill_marital(webkit)
    flows.submit(webkit)
    flows.wait_status(webkit, "Mới đăng ký")
    note = until(webkit, "const n = document.getElementById('push-note'); return !n.hidden && n.innerText",
                 "the explanation about notifications")
    assert "chỉ gửi được thông báo khi đã được thêm vào Màn hình chính" in note
    assert "mục Thông báo" in note
    shot(webkit, "push-explained")
    assert webkit.execute_script("return document.querySelector('[role=dialog]')") is None  # no push offer
