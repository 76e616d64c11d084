"""The offline journey in WebKit, which has no Background Sync: one online visit; the server
goes down; the app and a draft open from the phone, a submission is queued and the person is
told it goes only when the app is opened online; the server comes back; the app, opened
again, sends the queue, applied exactly once, and shows the dossier submitted."""

from __future__ import annotations

from typing import Any

from tests.webkit import flows
from tests.webkit.conftest import shot, until


def test_submission_queued_offline_goes_when_the_app_is_opened_again(webkit: Any, live_server: Any) -> None:
    base = live_server.url
    flows.sign_up(webkit, base)
    flows.wait_offline_ready(webkit)
    token = flows.access_token(webkit)
    assert webkit.execute_script("return !!navigator.serviceWorker.controller")

    live_server.stop()
    flows.open_app(webkit, base, "#/")  # the shell from the worker's cache
    dossier_id = flows.start_marital(webkit, base)
    flows.fill_marital(webkit)
    shot(webkit, "offline-form")
    flows.submit(webkit)
    flows.wait_status(webkit, "Chờ gửi (đã nộp trên máy)")
    badge = flows.wait_badge(webkit, "offline")  # the server cannot be reached
    assert badge["waiting"] >= 2  # the draft's save and the submission
    told = until(webkit, """const p = document.querySelector('#device [data-device=open-to-send]');
        return p && p.innerText;""", "the person told how the queue goes on this phone")
    assert "chỉ được gửi đi khi ứng dụng Hồ sơ đang mở và có mạng" in told
    shot(webkit, "offline-queued")

    # The app is closed (the page left), the server comes back, the person opens the app.
    webkit.get("about:blank")
    live_server.start()
    assert live_server.api("GET", "/api/v1/dossiers", token).json()["total"] == 0
    flows.open_app(webkit, base, f"#/d/{dossier_id}")
    flows.wait_status(webkit, "Mới đăng ký", timeout=45)
    flows.wait_badge(webkit, "saved")
    shot(webkit, "sent-on-reopening")
    items = live_server.api("GET", "/api/v1/dossiers?per_page=100", token).json()["items"]
    assert [d["id"] for d in items] == [dossier_id]
    detail = live_server.api("GET", f"/api/v1/dossiers/{dossier_id}", token).json()
    assert [e["action"] for e in detail["history"]].count("submit") == 1
    assert detail["fields"]["applicant_national_id"] == "001190012345"
