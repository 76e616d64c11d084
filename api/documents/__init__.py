"""Signed documents (results, receipts of filing), share links and device keys.

The public pages (`/verify/<code>`, `/s/<token>`) are in api/documents/public.py.
See docs/results.md.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from api.documents.schemas import (
    PDF_OK,
    DeviceKeyIn,
    DeviceKeyOut,
    DocumentListOut,
    IssuedListOut,
    IssuedOut,
    RevokeIn,
    ShareIn,
    ShareListOut,
    ShareOut,
)
from api.security import BEARER, citizen_required, official_required, user_required
from api.transactions import commits
from app.errors import NotFound
from app.extensions import db
from app.public_urls import public_url
from app.services import device_signatures, document_shares, signed_documents
from app.services.dossiers import get_for_official, get_owned

blp = Blueprint("documents", __name__, url_prefix="/api/v1",
                description="Signed results and receipts, share links, device keys")


def pdf_response(document: Any, *, cache: str = "private, no-store") -> Response:
    """The signed PDF as it was issued, shown inline by the browser's viewer; 409 with
    Retry-After while it is being prepared."""
    if document.pdf is None:
        raise signed_documents.DocumentPreparing()
    resp = Response(document.pdf, mimetype="application/pdf")
    name = f"{document.kind}-{document.number or document.code}".replace("/", "-")
    resp.headers["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    resp.headers["Cache-Control"] = cache
    resp.headers["ETag"] = f'"{document.sha256[:32]}"'
    # The browser's PDF viewer needs a plugin frame: no `object-src 'none'` here.
    resp.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'self'"
    return resp


@blp.get("/dossiers/<dossier_id>/issued")
@blp.response(200, IssuedListOut)
@blp.doc(security=BEARER)
@user_required
def list_issued(dossier_id: str) -> dict[str, Any]:
    """The signed documents of a dossier: the citizen's own, or one of the official's agency."""
    if current_user.is_official:
        dossier = get_for_official(db.session, current_user, dossier_id)
    else:
        dossier = get_owned(db.session, current_user, dossier_id)
    items = [signed_documents.document_dict(d)
             for d in signed_documents.documents_of(db.session, dossier.id)]
    return {"items": items,
            "submission_signature": device_signatures.signature_dict(db.session, dossier.id)}


@blp.get("/documents")
@blp.response(200, DocumentListOut)
@blp.doc(security=BEARER)
@citizen_required
def my_documents() -> dict[str, Any]:
    """Every signed document issued to the citizen (results and receipts), newest first."""
    return {"items": [signed_documents.document_dict(d)
                      for d in signed_documents.documents_of_owner(db.session, current_user)]}


@blp.get("/documents/<document_id>/pdf")
@blp.doc(security=BEARER, responses=PDF_OK)
@user_required
def document_pdf(document_id: str) -> Response:
    return pdf_response(signed_documents.owned_document(db.session, current_user, document_id))


@blp.post("/documents/<document_id>/shares")
@blp.arguments(ShareIn)
@blp.response(201, ShareOut)
@blp.doc(security=BEARER)
@citizen_required
@commits
def create_share(body: dict[str, Any], document_id: str) -> dict[str, Any]:
    """A link that opens the document without an account until it expires or is revoked."""
    document = signed_documents.owned_document(db.session, current_user, document_id)
    if not document.ready:
        raise signed_documents.DocumentPreparing()
    link, token = document_shares.create(db.session, document, body["hours"])
    data = document_shares.link_dict(link, token)
    data["url"] = public_url(data["url"])
    return data


@blp.get("/documents/<document_id>/shares")
@blp.response(200, ShareListOut)
@blp.doc(security=BEARER)
@citizen_required
def list_shares(document_id: str) -> dict[str, Any]:
    document = signed_documents.owned_document(db.session, current_user, document_id)
    return {"items": [document_shares.link_dict(s)
                      for s in document_shares.links_of(db.session, document)]}


@blp.delete("/documents/<document_id>/shares/<share_id>")
@blp.response(200, ShareOut)
@blp.doc(security=BEARER)
@citizen_required
@commits
def revoke_share(document_id: str, share_id: str) -> dict[str, Any]:
    document = signed_documents.owned_document(db.session, current_user, document_id)
    link = document_shares.revoke(db.session, document, share_id)
    return document_shares.link_dict(link)


@blp.post("/documents/<document_id>/revoke")
@blp.arguments(RevokeIn)
@blp.response(200, IssuedOut)
@blp.doc(security=BEARER)
@official_required
@commits
def revoke_document(body: dict[str, Any], document_id: str) -> dict[str, Any]:
    """The issuing agency withdraws a document: /verify shows it revoked from then on."""
    document = signed_documents.owned_document(db.session, current_user, document_id)
    if document.agency_code != current_user.agency_code:
        raise NotFound("No such document.")
    signed_documents.revoke(db.session, current_user, document, body["reason"])
    return signed_documents.document_dict(document)


@blp.post("/devices/keys")
@blp.arguments(DeviceKeyIn)
@blp.response(201, DeviceKeyOut)
@blp.doc(security=BEARER)
@citizen_required
@commits
def register_device_key(body: dict[str, Any]) -> dict[str, Any]:
    """Register this phone's public key; its submissions are then signed with it."""
    key = device_signatures.register_key(db.session, current_user, body["public_key"],
                                         body["label"])
    return {"id": str(key.id), "created_at": key.created_at.isoformat()}
