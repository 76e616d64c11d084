"""With a job queue, a receipt is signed by the worker after the accept: the phone shows it
being prepared, then the document itself once the worker has signed it, without a reload."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from rq import SimpleWorker

from app.signing import EXTENSION
from tests.e2e import flows
from tests.e2e.conftest import LiveServer, shot
from tests.queues import rq_queue

REDIS_URL = "redis://127.0.0.1:6379/6"
QUEUE = f"hoso-sign-e2e-{os.getpid()}"  # a run of its own, should two run at once
PHONE_360 = {"width": 360, "height": 740}


@pytest.fixture(scope="module")
def queued_server(app: Any, tmp_path_factory: pytest.TempPathFactory,
                  demo_keys: Any) -> Iterator[LiveServer]:
    """The app with every agency's key and RQ on the local Redis, with no worker running:
    the test runs the worker when it wants the documents signed."""
    with LiveServer(app, tmp_path_factory.mktemp("live-queued"), PKI_DIR=str(demo_keys.directory),
                    REDIS_URL=REDIS_URL, PUSH_QUEUE=QUEUE) as server:
        yield server


@pytest.fixture()
def queue(app: Any, demo_keys: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The server's queue, worked here by an RQ worker bound to the test's app (same
    database, the same agency keys)."""
    monkeypatch.setattr(app.extensions[EXTENSION], "keys", demo_keys)
    with rq_queue(app, monkeypatch, REDIS_URL, QUEUE) as q:
        yield q


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_phone_shows_a_receipt_being_signed_then_the_receipt(
        browser: Any, queued_server: LiveServer, official_of: Any, db: Any, queue: Any,
        lang: str) -> None:
    ctx = browser.new_context(viewport=PHONE_360, base_url=queued_server.url, locale="vi-VN",
                              timezone_id="Asia/Ho_Chi_Minh", service_workers="allow")
    ctx.set_default_timeout(15000)
    try:
        page = ctx.new_page()
        flows.sign_up(page)
        dossier_id = flows.start_marital(page)
        flows.fill_marital(page)
        assert flows.submit(page) == dossier_id
        expect(page.locator("#status")).to_have_text("Mới đăng ký", timeout=20000)
        if lang == "en":
            page.evaluate("localStorage.setItem('hoso.lang', 'en')")
            page.reload()
        official = official_of(flows.MARITAL)
        r = queued_server.api("POST", f"/api/v1/office/dossiers/{dossier_id}/transitions",
                              official.access, json={"action": "accept"})
        assert r.status_code == 200, r.text
        assert queue.count == 1  # the receipt waits for the worker

        accepted, preparing, opens = {
            "vi": ("Đã tiếp nhận", "Cơ quan đang ký số giấy tờ này", "Mở"),
            "en": ("Accepted", "The agency is signing this document", "Open")}[lang]
        page.goto(f"/#/d/{dossier_id}")
        expect(page.locator("#status")).to_have_text(accepted, timeout=30000)
        card = page.locator(".issued[data-kind='receipt']")
        expect(card).to_have_attribute("data-preparing", "1")
        expect(card).to_contain_text(preparing)
        expect(card.get_by_role("button")).to_have_count(0)
        shot(page, f"receipt-being-signed-{lang}", focus=".issued")

        db.session.rollback()  # no SQLite lock held here while the worker writes
        SimpleWorker([queue], connection=queue.connection).work(burst=True)

        # The open page asks again on its own: the card becomes the signed receipt.
        expect(card.get_by_role("button", name=opens)).to_be_enabled(timeout=15000)
        expect(card).not_to_have_attribute("data-preparing", "1")
        kept = page.evaluate("""async (id) => {
          const kept = await window.__hoso.store().get('kv', `issued:${id}`);
          return kept.items.map((d) => [d.kind, d.ready, d.blob ? d.blob.size : 0]);
        }""", dossier_id)
        (receipt,) = [k for k in kept if k[0] == "receipt"]
        assert receipt[1] is True and receipt[2] > 1000, kept
        shot(page, f"receipt-signed-{lang}", focus=".issued")
    finally:
        ctx.close()
