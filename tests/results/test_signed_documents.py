"""Receipts at accept and results at complete: signed PDFs anyone can verify at /verify."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app.models.dossiers import Dossier
from app.models.signed import IssuedDocument, ShareLink
from app.services import clock, pdf_render, signed_documents
from app.services import dossiers as svc
from app.services import lifecycle as lc
from tests.databases import postgresql_only
from tests.factories import make_dossier
from tests.sync.helpers import Phone, save_args


def _issued(db, dossier_id, kind):
    return db.session.scalars(select(IssuedDocument).where(
        IssuedDocument.dossier_id == dossier_id, IssuedDocument.kind == kind)).one()


def _complete(db, citizen, official, result=None):
    dossier = make_dossier(db.session, citizen.user, status=lc.IN_PROGRESS, official=official.user)
    svc.transition(db.session, dossier, official.user, "complete",
                   result=result or {"number": "125/2026/KS", "data": {"Quyển số": "01"}})
    db.session.commit()
    return dossier


def test_accept_and_complete_issue_pdfs_the_agency_chain_validates(db, citizen, official, signing):
    dossier = _complete(db, citizen, official)
    for kind in ("receipt", "result"):
        doc = _issued(db, dossier.id, kind)
        check = pdf_render.check_signature(doc.pdf, signing.trust_roots())
        assert check.valid, check.problem
        assert dossier.agency_code in check.signer
        assert pdf_render.sha256_hex(doc.pdf) == doc.sha256
        # One changed byte inside the signed range: the validator refuses the copy.
        broken = bytearray(doc.pdf)
        broken[broken.index(b"/Title") + 8] ^= 0x01
        assert not pdf_render.check_signature(bytes(broken), signing.trust_roots()).valid
    receipt = _issued(db, dossier.id, "receipt")
    assert receipt.number == dossier.receipt_code
    assert receipt.holder_initials == "N. V. A."
    assert _issued(db, dossier.id, "result").number == "125/2026/KS"


def test_every_issued_document_validates(db, citizen, official, signing):
    _complete(db, citizen, official)
    make_dossier(db.session, citizen.user, procedure_code="birth-registration",
                 status=lc.ACCEPTED, official=official.user)
    docs = db.session.scalars(select(IssuedDocument)).all()
    assert len(docs) == 3
    for doc in docs:
        assert pdf_render.check_signature(doc.pdf, signing.trust_roots()).valid


def test_citizen_lists_and_opens_their_documents_others_cannot(client, db, citizen, official,
                                                               make_citizen, signing):
    dossier = _complete(db, citizen, official)
    listing = client.get(f"/api/v1/dossiers/{dossier.id}/issued", headers=citizen.headers)
    assert listing.status_code == 200
    items = {i["kind"]: i for i in listing.get_json()["items"]}
    assert set(items) == {"receipt", "result"}
    pdf = client.get(items["result"]["pdf_url"], headers=citizen.headers)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF-")
    stranger = make_citizen(name="Trần Thị Bình")
    assert client.get(items["result"]["pdf_url"], headers=stranger.headers).status_code == 404
    assert client.get(f"/api/v1/dossiers/{dossier.id}/issued",
                      headers=stranger.headers).status_code == 404
    assert client.get("/api/v1/documents/not-a-uuid/pdf",
                      headers=citizen.headers).status_code == 404


def test_verify_says_valid_invalid_revoked_and_replaced(client, db, citizen, official, signing):
    dossier = _complete(db, citizen, official)
    doc = _issued(db, dossier.id, "result")
    page = client.get(f"/verify/{doc.code}")
    assert page.status_code == 200 and 'data-state="valid"' in page.text
    assert "N. V. A." in page.text and "Nguyễn Văn An" not in page.text
    assert doc.sha256 in page.text
    info = client.get(f"/verify/{doc.code}", headers={"Accept": "application/json"}).get_json()
    assert info["state"] == "valid" and info["signature_ok"] and info["hash_ok"]

    # The stored bytes altered (one byte): the signature no longer holds.
    original = doc.pdf
    broken = bytearray(original)
    broken[broken.index(b"/Title") + 8] ^= 0x01
    doc.pdf = bytes(broken)
    db.session.commit()
    info = client.get(f"/verify/{doc.code}", headers={"Accept": "application/json"}).get_json()
    assert info["state"] == "invalid" and not info["signature_ok"] and not info["hash_ok"]
    assert 'data-state="invalid"' in client.get(f"/verify/{doc.code}").text
    doc.pdf = original
    db.session.commit()

    revoked = client.post(f"/api/v1/documents/{doc.id}/revoke", headers=official.headers,
                          json={"reason": "Cấp nhầm"})
    assert revoked.status_code == 200
    page = client.get(f"/verify/{doc.code}")
    assert 'data-state="revoked"' in page.text and "Cấp nhầm" in page.text

    # The citizen cannot revoke; unknown codes are a 404 page.
    assert client.post(f"/api/v1/documents/{doc.id}/revoke", headers=citizen.headers,
                       json={"reason": "x"}).status_code == 403
    assert client.get("/verify/no-such-code").status_code == 404


def test_a_result_issued_again_replaces_the_first(client, db, citizen, official, signing):
    dossier = _complete(db, citizen, official)
    first = _issued(db, dossier.id, "result")
    svc.transition(db.session, dossier, official.user, "return_result",
                   result={"number": "125/2026/KS"})
    from app.services import signed_documents

    second = signed_documents.issue_result(db.session, dossier, clock.now())
    db.session.commit()
    info = client.get(f"/verify/{first.code}", headers={"Accept": "application/json"}).get_json()
    assert info["state"] == "replaced" and info["replaced_by"] == second.code
    assert 'data-state="valid"' in client.get(f"/verify/{second.code}").text


def test_share_link_opens_without_an_account_until_revoked_or_expired(client, db, citizen,
                                                                      official, signing):
    dossier = _complete(db, citizen, official)
    doc = _issued(db, dossier.id, "result")
    made = client.post(f"/api/v1/documents/{doc.id}/shares", headers=citizen.headers,
                       json={"hours": 24})
    assert made.status_code == 201
    link = made.get_json()
    opened = client.get(link["url"])
    assert opened.status_code == 200 and opened.data == doc.pdf
    # Only the hash of the token is stored.
    token = link["url"].rsplit("/", 1)[1]
    assert token not in {s.token_hash for s in db.session.scalars(select(ShareLink))}
    revoke = client.delete(f"/api/v1/documents/{doc.id}/shares/{link['id']}",
                           headers=citizen.headers)
    assert revoke.status_code == 200 and revoke.get_json()["active"] is False
    gone = client.get(link["url"])
    assert gone.status_code == 410 and 'data-state="revoked"' in gone.text

    second = client.post(f"/api/v1/documents/{doc.id}/shares", headers=citizen.headers,
                         json={}).get_json()
    row = db.session.get(ShareLink, __import__("uuid").UUID(second["id"]))
    row.expires_at = clock.now() - timedelta(seconds=1)
    db.session.commit()
    expired = client.get(second["url"], headers={"Accept": "application/json"})
    assert expired.status_code == 410 and expired.get_json()["reason"] == "expired"
    assert client.get("/s/not-a-token").status_code == 404
    bad = client.post(f"/api/v1/documents/{doc.id}/shares", headers=citizen.headers,
                      json={"hours": 100000})
    assert bad.status_code == 422


def test_without_keys_actions_still_work_and_issue_nothing(db, citizen, official, monkeypatch):
    # No agency keys in this app.
    monkeypatch.setattr(signed_documents.settings(), "keys", None)
    dossier = make_dossier(db.session, citizen.user, status=lc.RESULT_READY, official=official.user)
    assert db.session.get(Dossier, dossier.id).status == lc.RESULT_READY
    assert not db.session.scalars(select(IssuedDocument)).all()


@postgresql_only("PostgreSQL's row locks; SQLite serialises every writer")
def test_a_citizens_push_goes_through_while_their_receipt_is_being_signed(
        app, db, citizen, official, signing, monkeypatch):
    """An official accepts a citizen's dossier; while the receipt is being laid out and
    signed (held here until the push is done), the citizen's phone pushes a draft: the
    push does not wait for the accept, whose lock on the citizen's feed comes after."""
    did = make_dossier(db.session, citizen.user, status=lc.SUBMITTED, official=official.user).id
    rendering, release = threading.Event(), threading.Event()
    real = pdf_render.render_document

    def held(doc):
        rendering.set()
        release.wait(30)
        return real(doc)

    monkeypatch.setattr(pdf_render, "render_document", held)
    answers: dict[str, Any] = {}
    desk = app.test_client()
    accepting = threading.Thread(target=lambda: answers.update(accept=desk.post(
        f"/api/v1/office/dossiers/{did}/transitions", json={"action": "accept"},
        headers=official.headers)))
    accepting.start()
    try:
        assert rendering.wait(30), "the accept never reached its receipt"
        phone = Phone(app.test_client(), citizen)
        pushing = threading.Thread(target=lambda: answers.update(push=phone.send([phone.mutation(
            "dossier.save", save_args(uuid.uuid4(), {"child_home_town": "Xã Tân Lập"}))])))
        pushing.start()
        pushing.join(timeout=15)
        waited = pushing.is_alive()
    finally:
        release.set()
        accepting.join(timeout=30)
    pushing.join(timeout=30)
    assert not waited, "the phone's push waited for the official's accept"
    assert answers["push"].status_code == 200
    assert answers["push"].get_json()["results"][0]["status"] == "applied"
    assert answers["accept"].status_code == 200, answers["accept"].get_json()
    db.session.expire_all()
    assert _issued(db, did, "receipt").number == db.session.get(Dossier, did).receipt_code
