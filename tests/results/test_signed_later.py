"""With a job queue (REDIS_URL), an accept answers before its receipt is signed: the receipt
is listed as being prepared until a worker (RQ on the local Redis) lays it out and signs it."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from rq import SimpleWorker
from sqlalchemy import select, update

from app.jobs import document_signing, push_worker
from app.models.signed import IssuedDocument
from app.services import clock, pdf_render, signed_documents
from app.services import dossiers as svc
from app.services import lifecycle as lc
from tests.factories import make_dossier
from tests.queues import rq_queue

REDIS_URL = "redis://127.0.0.1:6379/6"
QUEUE = f"hoso-sign-test-{os.getpid()}"  # a run of its own, should two run at once


@pytest.fixture()
def queue(app: Any, signing: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Documents are signed by an RQ worker on the local Redis (db 6)."""
    with rq_queue(app, monkeypatch, REDIS_URL, QUEUE) as q:
        yield q


def _work(queue: Any, db: Any) -> None:
    """Run the queued jobs here; the test's own session first ends its transaction (on
    SQLite a transaction holds the database's write lock)."""
    db.session.rollback()
    SimpleWorker([queue], connection=queue.connection).work(burst=True)


def _accept(client: Any, db: Any, citizen: Any, official: Any) -> Any:
    dossier = make_dossier(db.session, citizen.user, status=lc.SUBMITTED, official=official.user)
    answer = client.post(f"/api/v1/office/dossiers/{dossier.id}/transitions",
                         json={"action": "accept"}, headers=official.headers)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["status"] == lc.ACCEPTED
    return dossier


def _receipt(client: Any, dossier: Any, who: Any) -> dict[str, Any]:
    listing = client.get(f"/api/v1/dossiers/{dossier.id}/issued", headers=who.headers)
    assert listing.status_code == 200
    (item,) = [i for i in listing.get_json()["items"] if i["kind"] == "receipt"]
    return item


def test_an_accept_answers_first_and_the_worker_signs_its_receipt(client, db, citizen, official,
                                                                   signing, queue):
    dossier = _accept(client, db, citizen, official)
    assert queue.count == 1

    # Before the worker: listed as being prepared, to the citizen and to the agency.
    for who in (citizen, official):
        item = _receipt(client, dossier, who)
        assert item["ready"] is False
        assert item["sha256"] is None and item["size"] is None and item["signed_at"] is None
    pdf = client.get(item["pdf_url"], headers={**citizen.headers, "Accept-Language": "vi"})
    assert pdf.status_code == 409 and pdf.headers["Retry-After"] == "2"
    assert pdf.mimetype == "application/problem+json"
    assert pdf.get_json()["title"] == "Giấy tờ đang được chuẩn bị"
    share = client.post(f"/api/v1/documents/{item['id']}/shares", headers=citizen.headers,
                        json={"hours": 24})
    assert share.status_code == 409
    page = client.get(f"/verify/{item['code']}")
    assert page.status_code == 200 and 'data-state="preparing"' in page.text
    info = client.get(f"/verify/{item['code']}", headers={"Accept": "application/json"}).get_json()
    assert info["state"] == "preparing" and not info["signature_ok"]
    mine = client.get("/api/v1/documents", headers=citizen.headers).get_json()["items"]
    assert [d["ready"] for d in mine] == [False]

    _work(queue, db)

    item = _receipt(client, dossier, citizen)
    assert item["ready"] is True and item["signed_at"] is not None
    pdf = client.get(item["pdf_url"], headers=citizen.headers)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    assert item["size"] == len(pdf.data) and item["sha256"] == pdf_render.sha256_hex(pdf.data)
    check = pdf_render.check_signature(pdf.data, signing.trust_roots())
    assert check.valid, check.problem
    assert item["number"] == dossier.receipt_code
    info = client.get(f"/verify/{item['code']}", headers={"Accept": "application/json"}).get_json()
    assert info["state"] == "valid" and info["signature_ok"] and info["hash_ok"]
    # What it says was taken at the accept, and is not kept once it is signed.
    stored = db.session.get(IssuedDocument, __import__("uuid").UUID(item["id"]))
    db.session.refresh(stored)
    assert stored.source is None
    assert client.post(f"/api/v1/documents/{item['id']}/shares", headers=citizen.headers,
                       json={"hours": 24}).status_code == 201


def _metric(client: Any, name: str) -> float:
    text = client.get("/metrics").get_data(as_text=True)
    (line,) = [ln for ln in text.splitlines() if ln.startswith(name + " ")]
    return float(line.split()[1])


def test_a_receipt_lost_on_its_way_to_the_worker_is_signed_after_the_sweep(client, db, citizen,
                                                                          official, signing, queue):
    dossier = _accept(client, db, citizen, official)
    queue.empty()  # the hand-over lost (Redis flushed, the worker's host gone)
    # What an operator's alert reads: one document waiting, for a few seconds so far.
    assert _metric(client, "hoso_documents_unsigned") == 1
    assert 0 <= _metric(client, "hoso_documents_unsigned_oldest_seconds") < 60
    app = client.application
    with app.app_context():
        assert document_signing.sweep(app) == 0  # issued just now: its job may still come
    db.session.execute(update(IssuedDocument).values(issued_at=clock.now() - timedelta(minutes=5)))
    db.session.commit()
    with app.app_context():
        push_worker.periodic(app)  # the workers' periodic sweep runs the document sweep
    assert queue.count == 1
    assert _metric(client, "hoso_documents_unsigned_oldest_seconds") >= 300
    _work(queue, db)
    assert _receipt(client, dossier, citizen)["ready"] is True
    assert _metric(client, "hoso_documents_unsigned") == 0


def test_a_document_is_signed_once_however_often_it_is_handed_over(app, db, citizen, official,
                                                                  signing, queue):
    make_dossier(db.session, citizen.user, status=lc.ACCEPTED, official=official.user)
    doc = db.session.scalars(select(IssuedDocument)).one()
    assert doc.pdf is None
    db.session.rollback()
    assert document_signing.sign(app, doc.id) is True
    first = db.session.scalars(select(IssuedDocument.pdf)).one()
    db.session.rollback()
    assert document_signing.sign(app, doc.id) is False
    assert db.session.scalars(select(IssuedDocument.pdf)).one() == first


def test_a_receipt_withdrawn_before_it_is_signed_shows_withdrawn(client, db, citizen, official,
                                                                 signing, queue):
    dossier = _accept(client, db, citizen, official)
    item = _receipt(client, dossier, official)
    revoked = client.post(f"/api/v1/documents/{item['id']}/revoke", headers=official.headers,
                          json={"reason": "Cấp nhầm"})
    assert revoked.status_code == 200 and revoked.get_json()["ready"] is False
    info = client.get(f"/verify/{item['code']}", headers={"Accept": "application/json"}).get_json()
    assert info["state"] == "revoked" and info["revoked_reason"] == "Cấp nhầm"
    page = client.get(f"/verify/{item['code']}")
    assert 'data-state="revoked"' in page.text and "Cấp nhầm" in page.text


def test_a_result_with_its_scan_is_signed_by_the_worker(app, db, citizen, official, signing, queue):
    from PIL import Image

    image = io.BytesIO()
    Image.new("RGB", (60, 80), (200, 30, 30)).save(image, "PNG")
    dossier = make_dossier(db.session, citizen.user, status=lc.IN_PROGRESS, official=official.user)
    signed_documents.attach_scan(db.session, dossier.id, image.getvalue())
    svc.transition(db.session, dossier, official.user, "complete",
                   result={"number": "77/2026/KS", "data": {}})
    db.session.commit()
    _work(queue, db)
    db.session.expire_all()
    result = db.session.scalars(select(IssuedDocument).where(IssuedDocument.kind == "result")).one()
    assert result.pdf is not None and result.number == "77/2026/KS"
    assert b"/Subtype /Image" in result.pdf
    assert pdf_render.check_signature(result.pdf, signing.trust_roots()).valid


def test_without_a_queue_the_request_signs_before_it_answers(client, db, citizen, official, signing):
    dossier = _accept(client, db, citizen, official)
    item = _receipt(client, dossier, citizen)
    assert item["ready"] is True and item["size"] > 0


def test_every_verdict_of_the_verify_page_has_its_colour(app):
    """The verdict's heading is white text on its state's colour: a state without a rule in
    verify.css would be white on the page's background, unreadable."""
    from pathlib import Path

    from api.documents.public import STATES

    css = (Path(app.config["PWA_DIR"]) / "verify.css").read_text()
    for state in STATES:
        assert re.search(rf"\.{state}\b[^{{]*\{{[^}}]*background", css), state
