"""Chromium through the production shape's TLS front over HTTP/2: the offline flow, an upload
that switches node (each node stopped in turn), and a push the RQ worker delivers to a real
push service, handed to the phone's service worker as the push service would."""

from __future__ import annotations

import base64
import hashlib
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from app import create_app
from app.models.accounts import User
from app.models.catalog import Procedure
from app.services import accounts
from tests.e2e import flows
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, deliver_push, worker_registration
from tests.production.shape import Shape
from tests.servers import TEST_KEY, browser_sleep, wait_for

# The production shape starts once (about 100 s on a loaded machine) within the first test.
pytestmark = pytest.mark.timeout(600)

NOTIFICATIONS = """async () => {
  const reg = await navigator.serviceWorker.ready;
  return (await reg.getNotifications()).map((n) => ({ title: n.title, tag: n.tag, data: n.data }));
}"""

TUS = """async ({token, method, url, headers, body}) => {
  const r = await fetch(url, { method, body: body === null ? null : new Uint8Array(body),
    headers: { Authorization: 'Bearer ' + token, 'Tus-Resumable': '1.0.0', ...headers } });
  return { status: r.status, location: r.headers.get('Location'),
           offset: r.headers.get('Upload-Offset'), text: r.status >= 400 ? await r.text() : '' };
}"""


def _spki_hash(cert: str) -> str:
    """What --ignore-certificate-errors-spki-list takes: base64(sha256(SubjectPublicKeyInfo))."""
    pem = subprocess.run(["openssl", "x509", "-in", cert, "-pubkey", "-noout"], capture_output=True,
                         check=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pem, capture_output=True,
                         check=True).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


@pytest.fixture()
def phone(shape: Shape, playwright_instance: Any) -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    # The front's self-signed certificate is trusted by its key, as a real one would be: a
    # service worker only registers over a certificate the browser accepts.
    trust = f"--ignore-certificate-errors-spki-list={_spki_hash(shape.cert)}"
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, trust])
    context = browser.new_context(viewport=PHONE, base_url=shape.url, locale="vi-VN",
                                  timezone_id="Asia/Ho_Chi_Minh", service_workers="allow")
    context.set_default_timeout(20000)
    context.on("console", lambda m: print(f"[console.{m.type}] {m.text}"))
    context.grant_permissions(["notifications"], origin=shape.url)
    yield context
    context.close()
    browser.close()


def _official(shape: Shape) -> str:
    url = shape.env["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": TEST_KEY, "JWT_SECRET_KEY": TEST_KEY})
    engine = create_engine(url)
    with app.app_context(), Session(engine) as session:
        agency = session.get(Procedure, flows.MARITAL).agency_code
        official = accounts.create_official(session, email="mot-cua@office.test",
                                            password="Can-bo-mot-cua-2026", full_name="Cán bộ một cửa",
                                            agency_code=agency, role="leader")
        token = accounts.issue_tokens(session, official)["access_token"]
        session.commit()
    engine.dispose()
    return token


def _citizen_id(shape: Shape, phone_number: str) -> int:
    engine = create_engine(shape.env["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1))
    with Session(engine) as session:
        found = session.scalars(select(User.id).where(User.phone == phone_number)).one()
    engine.dispose()
    return found


def test_offline_flow_node_switching_upload_and_push_through_the_front(
        shape: Shape, shape_push: Any, phone: Any) -> None:
    page = phone.new_page()
    number = flows.sign_up(page)
    assert page.evaluate("performance.getEntriesByType('navigation')[0].nextHopProtocol") == "h2"
    flows.wait_offline_ready(page)
    token = flows.tokens_of(page)["access_token"]

    # Airplane mode: filled and submitted on the phone, sent once when the network returns.
    phone.set_offline(True)
    page.reload()
    expect(page.locator("#sync")).to_have_attribute("data-state", "offline")
    dossier_id = flows.start_marital(page)
    flows.fill_marital(page)
    flows.submit(page)
    expect(page.locator("#status")).to_have_text("Chờ gửi (đã nộp trên máy)")
    phone.set_offline(False)
    expect(page.locator("#status")).to_have_text("Mới đăng ký", timeout=30000)
    api = shape.session()
    mine = api.get(f"{shape.url}/api/v1/dossiers", headers={"Authorization": f"Bearer {token}"}).json()
    assert [d["id"] for d in mine["items"]] == [dossier_id]

    # An upload begun on node 1 (node 2 down) and finished on node 2 (node 1 killed).
    data = list(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + hashlib.sha256(b"x").digest() * 3000)
    meta = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in {
        "procedure_code": "birth-registration", "document_code": "birth_notice",
        "filename": "giay-chung-sinh.jpg", "filetype": "image/jpeg"}.items())

    def tus(method: str, url: str, body: list[int] | None = None, **headers: str) -> dict[str, Any]:
        """One tus request; a 5xx is retried as the app's uploader does (a request caught by a
        node's death may come back 502: nginx re-sends only what never reached a node)."""
        for _ in range(10):
            got = page.evaluate(TUS, {"token": token, "method": method, "url": url, "headers": headers,
                                      "body": body})
            if got["status"] < 500:
                return got
            if method == "PATCH":  # resume from what the server has
                head = page.evaluate(TUS, {"token": token, "method": "HEAD", "url": url, "headers": {},
                                           "body": None})
                if head["status"] == 200:
                    offset = int(head["offset"])
                    headers, body = {**headers, "Upload-Offset": str(offset)}, data[offset:]
            page.wait_for_timeout(500)
        return got

    shape.script("kill-node", "2")
    try:
        made = tus("POST", "/api/v1/uploads", None,
                   **{"Upload-Length": str(len(data)), "Upload-Metadata": meta})
        assert made["status"] == 201, made
        location = made["location"]
        half = len(data) // 2
        sent = tus("PATCH", location, data[:half], **{"Upload-Offset": "0",
                                                      "Content-Type": "application/offset+octet-stream"})
        assert sent["status"] == 204 and sent["offset"] == str(half), sent
        shape.script("restart-node", "2")
        shape.script("kill-node", "1")
        sent = tus("PATCH", location, data[half:], **{"Upload-Offset": str(half),
                                                      "Content-Type": "application/offset+octet-stream"})
        assert sent["status"] == 204 and sent["offset"] == str(len(data)), sent
    finally:
        shape.script("restart-node", "1")
        shape.script("restart-node", "2")
    upload_id = location.rsplit("/", 1)[-1]
    got = api.get(f"{shape.url}/api/v1/uploads/{upload_id}/content",
                  headers={"Authorization": f"Bearer {token}"})
    assert got.content == bytes(data)

    # A push: the phone subscribed (a device of the test push service), the official accepts,
    # the RQ worker delivers; the push service's message goes to the phone's service worker.
    device = shape_push.new_device()
    subscribed = page.evaluate("""async ({token, sub}) => (await fetch('/api/v1/push/subscriptions', {
        method: 'POST', body: JSON.stringify(sub),
        headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' } })).status""",
                               {"token": token, "sub": device.subscription()})
    assert subscribed == 201
    official = _official(shape)
    r = api.post(f"{shape.url}/api/v1/office/dossiers/{dossier_id}/transitions", json={"action": "accept"},
                 headers={"Authorization": f"Bearer {official}"})
    assert r.status_code == 200, r.text
    shape_push.wait_until(lambda: bool(shape_push.accepted(device)), timeout=60)
    (delivered,) = shape_push.accepted(device)
    assert delivered.problems == [] and delivered.message is not None
    cdp, registration = worker_registration(phone, page)
    deliver_push(cdp, page, shape.url, registration, delivered.message)
    shown = wait_for(lambda: page.evaluate(NOTIFICATIONS), 20, "the notification", 0.2, browser_sleep(page))
    assert shown[0]["tag"] == f"dossier-{dossier_id}"
    assert _citizen_id(shape, number)
