"""Signed results on the phone: opened online and offline, shared by a link that opens
without an account and stops working when revoked or expired."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.models.signed import ShareLink
from app.services import clock, pdf_render
from tests.e2e import flows
from tests.e2e.conftest import CHROMIUM, LiveServer, shot

PHONE_360 = {"width": 360, "height": 740}
# The result's PDF as the phone keeps it (base64), read from the person's IndexedDB store.
KEPT_PDF = """async (id) => {
  const kept = await window.__hoso.store().get('kv', `issued:${id}`);
  const doc = kept.items.find((d) => d.kind === 'result');
  const bytes = new Uint8Array(await doc.blob.arrayBuffer());
  let s = ''; for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}"""


@pytest.fixture(scope="module")
def signing_server(app: Any, tmp_path_factory: pytest.TempPathFactory,
                   demo_keys: Any) -> Iterator[LiveServer]:
    """The app with every agency's demo key, so accept and complete issue signed PDFs."""
    with LiveServer(app, tmp_path_factory.mktemp("live-results"),
                    PKI_DIR=str(demo_keys.directory)) as server:
        yield server


@pytest.fixture()
def phone(browser: Any, signing_server: LiveServer) -> Iterator[Any]:
    made: list[Any] = []

    def make(**kwargs: Any) -> Any:
        ctx = browser.new_context(viewport=PHONE_360, base_url=signing_server.url, locale="vi-VN",
                                  timezone_id="Asia/Ho_Chi_Minh", service_workers="allow", **kwargs)
        ctx.set_default_timeout(15000)
        ctx.on("console", lambda m: print(f"[console.{m.type}] {m.text}"))
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.close()


def _open_result(page: Any, dossier_id: str, keys: Any) -> None:
    """Tap Open on the result: the browser's viewer gets the PDF kept on the phone, which
    is the agency's signed document."""
    card = page.locator(".issued[data-kind='result']")
    expect(card.get_by_role("button", name="Mở")).to_be_enabled()
    with page.expect_popup() as popup:
        card.get_by_role("button", name="Mở").click()
    assert popup.value.url.startswith("blob:"), popup.value.url
    popup.value.close()
    kept = base64.b64decode(page.evaluate(KEPT_PDF, dossier_id))
    check = pdf_render.check_signature(kept, keys.trust_roots())
    assert check.valid, check.problem


def test_result_opens_offline_and_share_links_open_without_an_account(
        phone: Any, signing_server: LiveServer, official_of: Any, db: Any,
        demo_keys: Any) -> None:
    if not __import__("pathlib").Path(CHROMIUM).exists():
        pytest.skip("no Chromium")
    ctx = phone()
    page = ctx.new_page()
    flows.sign_up(page)
    flows.wait_offline_ready(page)
    dossier_id = flows.start_marital(page)
    flows.fill_marital(page)
    assert flows.submit(page) == dossier_id
    expect(page.locator("#status")).to_have_text("Mới đăng ký", timeout=20000)

    official = official_of(flows.MARITAL)
    # The desk shows the submission was signed on the citizen's phone, and by which device.
    desk = phone().new_page()
    flows.open_app(desk, "#/login")
    desk.get_by_label("Số điện thoại hoặc email").fill(official.email)
    desk.get_by_label("Mật khẩu").fill(official.password)
    desk.get_by_role("button", name="Đăng nhập").click()
    expect(desk.locator("h1")).to_have_text("Bàn làm việc")
    desk.goto(f"/#/office/{dossier_id}")
    expect(desk.locator("#device-signature")).to_have_attribute("data-signed", "true")
    expect(desk.locator("#device-signature")).to_contain_text("Đã ký trên điện thoại của công dân")
    shot(desk, "desk-device-signature", focus="#device-signature")
    for action in ("accept", "start", "complete"):
        body: dict[str, Any] = {"action": action}
        if action == "complete":
            body["result"] = {"number": "88/2026/XNHN", "data": {"Tình trạng": "Chưa kết hôn"}}
        r = signing_server.api("POST", f"/api/v1/office/dossiers/{dossier_id}/transitions",
                               official.access, json=body)
        assert r.status_code == 200, r.text

    # The phone pulls the news and keeps the signed documents.
    expect(page.locator("#status")).to_have_text("Đã có kết quả", timeout=30000)
    expect(page.locator(".issued[data-kind='receipt']")).to_be_visible()
    _open_result(page, dossier_id, demo_keys)
    shot(page, "result-online", focus=".issued")

    # Offline: the app opens again from the phone and the result still opens.
    ctx.set_offline(True)
    page.reload()
    page.goto(f"/#/d/{dossier_id}")
    expect(page.locator(".issued[data-kind='result']")).to_be_visible()
    _open_result(page, dossier_id, demo_keys)
    ctx.set_offline(False)

    # A share link made on the phone opens in a fresh browser without an account.
    page.reload()
    expect(page.locator(".issued[data-kind='result']")).to_be_visible()
    card = page.locator(".issued[data-kind='result']")
    card.get_by_role("button", name="Tạo liên kết chia sẻ").click()
    link_input = card.locator(".share-link input")
    expect(link_input).to_have_count(1)
    url = link_input.input_value()
    assert "/s/" in url
    shot(page, "result-share-link", focus=".issued[data-kind='result']")
    stranger = phone()
    opened = stranger.request.get(url)
    assert opened.status == 200 and opened.headers["content-type"] == "application/pdf"
    assert opened.body().startswith(b"%PDF-")
    # The QR code's page, opened by anyone: the signature and the hash hold.
    issued = signing_server.api("GET", f"/api/v1/dossiers/{dossier_id}/issued",
                                flows.tokens_of(page)["access_token"]).json()["items"]
    result = next(d for d in issued if d["kind"] == "result")
    verify = stranger.new_page()
    verify.goto(f"/verify/{result['code']}")
    expect(verify.locator("h1")).to_contain_text("Hợp lệ")
    verify.screenshot(path=str(shot.__globals__["SHOTS"] / "verify-page.png"), full_page=True)

    # Revoked on the phone: the link stops working.
    card.get_by_role("button", name="Thu hồi").click()
    expect(card.locator(".share-link")).to_contain_text("Đã hết hiệu lực")
    gone = stranger.request.get(url)
    assert gone.status == 410

    # Expired: a second link past its time no longer opens.
    card.get_by_role("button", name="Tạo liên kết chia sẻ").click()
    expect(card.locator(".share-link input")).to_have_count(1)
    second = card.locator(".share-link input").input_value()
    assert stranger.request.get(second).status == 200
    for link in db.session.scalars(select(ShareLink).where(ShareLink.revoked_at.is_(None))):
        link.expires_at = clock.now() - timedelta(seconds=1)
    db.session.commit()
    expired = stranger.request.get(second)
    assert expired.status == 410 and "hết hạn" in expired.text()
