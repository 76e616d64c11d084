"""The fee receipt (biên lai) is signed by the agency like a result and checks at /verify."""

from __future__ import annotations

from sqlalchemy import select

from app.models.signed import IssuedDocument
from app.services import pdf_render, signed_documents
from tests.payments.helpers import CRIMINAL, open_request, sandbox_pay, unpaid_dossier


def _paid_receipt(client, db, citizen, make_official) -> tuple[object, dict]:
    dossier = unpaid_dossier(db, citizen, make_official(procedure=CRIMINAL))
    sandbox_pay(client, open_request(client, citizen, dossier.id))
    mine = client.get(f"/api/v1/dossiers/{dossier.id}/payments", headers=citizen.headers)
    db.session.rollback()
    return dossier, mine.get_json()["items"][0]["receipt"]


def test_a_paid_fee_gets_a_receipt_signed_by_the_agency_that_verifies(
        client, db, citizen, make_official, signing) -> None:
    dossier, receipt = _paid_receipt(client, db, citizen, make_official)
    pdf = client.get(f"/api/v1/fee-receipts/{receipt['id']}.pdf", headers=citizen.headers).data
    check = pdf_render.check_signature(pdf, signing.trust_roots())
    assert check.valid, check.problem
    assert dossier.agency_code in check.signer
    issued = db.session.scalars(select(IssuedDocument).where(
        IssuedDocument.kind == signed_documents.FEE_RECEIPT)).one()
    assert issued.pdf == pdf and issued.number == f"{receipt['series']} {receipt['number']}"
    page = client.get(f"/verify/{issued.code}", headers={"Accept": "application/json"}).get_json()
    assert page["state"] == "valid" and page["kind"] == "fee_receipt"
    assert page["title"] == "BIÊN LAI THU PHÍ, LỆ PHÍ" and page["signature_ok"] and page["hash_ok"]
    html = client.get(f"/verify/{issued.code}")
    assert html.status_code == 200 and "BIÊN LAI THU PHÍ" in html.get_data(as_text=True)
    # Listed with its payment, not again among the dossier's receipt and result.
    listed = client.get("/api/v1/documents", headers=citizen.headers).get_json()["items"]
    assert all(d["kind"] != "fee_receipt" for d in listed)


def test_without_a_key_the_receipt_is_an_unsigned_rendering(
        client, db, citizen, make_official, monkeypatch) -> None:
    monkeypatch.setattr(signed_documents.settings(), "keys", None)
    _, receipt = _paid_receipt(client, db, citizen, make_official)
    pdf = client.get(f"/api/v1/fee-receipts/{receipt['id']}.pdf", headers=citizen.headers)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert not pdf_render.check_signature(pdf.data, []).valid
    assert not db.session.scalars(select(IssuedDocument)).all()
