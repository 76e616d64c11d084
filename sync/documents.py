"""A dossier's documents: the sync mutations `dossier.attach` and `dossier.detach`.

An item points at an upload (status `uploading` until the upload completes) or at a
warehouse record the form's `reuse` kinds accept (ready at once, nothing to upload).
Items change only on drafts, and on documents an official named in a supplement request.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from app.errors import Gone, TransitionNotAllowed, ValidationFailed
from app.models.dossiers import Dossier
from app.models.uploads import EXPIRED, DocumentLink
from app.models.warehouse import RESULT
from app.services import clock, dossiers, lifecycle, uploads, warehouse
from app.services.i18n import localise
from app.services.ids import require_uuid
from app.services.representations import dossier_dict
from sync.mutations import APPLIED, Context, Outcome, mutation, own_dossier


def _code(args: dict[str, Any]) -> str:
    code = args.get("document_code")
    if not isinstance(code, str) or not code:
        raise ValidationFailed("`document_code` is required.", errors={"document_code": ["Required."]})
    return code


def _check_editable(dossier: Dossier, code: str) -> None:
    if dossier.status == lifecycle.DRAFT:
        return
    requested = (dossier.supplement_request or {}).get("documents", [])
    if dossier.status == lifecycle.SUPPLEMENT_REQUESTED and code in requested:
        return
    raise TransitionNotAllowed(
        "Documents can change only on a draft, or when the agency asks for them.",
        extra={"current_status": dossier.status, "requested_documents": requested})


def _definition(session: Session, dossier: Dossier, code: str) -> dict[str, Any]:
    form = dossiers.form_version(session, dossier.procedure_code, dossier.form_version).form
    for doc in form.get("documents", []):
        if doc["code"] == code:
            return doc
    raise ValidationFailed("The form asks for no such document.",
                           errors={"document_code": ["Unknown for this form."]})


def _upload_item(ctx: Context, dossier: Dossier, code: str, upload_id: Any) -> dict[str, Any]:
    # Locked: the request that receives the last bytes holds the upload's row while it marks
    # the items linked to it ready. Read without the lock, an upload finishing at this moment
    # was seen still uploading, and the link made here was not yet there for that request to
    # find: the item stayed "uploading" for ever and the phone's signed submission, which
    # names the file's hash, was refused.
    upload = uploads.get_owned(ctx.session, ctx.user, upload_id, lock=True)
    if upload.status == EXPIRED:
        raise Gone("This upload expired; upload the file again.")
    if upload.procedure_code != dossier.procedure_code or upload.document_code != code:
        raise ValidationFailed("This upload was made for another document.",
                               errors={"upload_id": [f"Made for {upload.document_code}."]})
    item: dict[str, Any] = {"source": "upload", "status": "ready" if upload.is_complete
                            else "uploading", "upload_id": str(upload.id),
                            "name": upload.filename, "size": upload.length}
    if upload.sha256:
        item["sha256"] = upload.sha256
    return item


def _record_item(ctx: Context, doc: dict[str, Any], record_id: Any) -> dict[str, Any]:
    record = warehouse.get_record_owned(ctx.session, ctx.user, record_id)
    if record.kind not in (doc.get("reuse") or []):
        raise ValidationFailed("This record cannot stand for this document.",
                               errors={"record_id": [f"Accepted: {', '.join(doc.get('reuse') or [])}."]})
    # An earlier dossier's result, or something else the warehouse holds.
    source = "dossier" if record.origin == RESULT and record.dossier_id else "warehouse"
    item: dict[str, Any] = {"source": source, "status": "ready", "record_id": str(record.id),
                            "name": localise(record.label, ctx.lang)}
    if record.sha256:
        item.update(sha256=record.sha256, size=record.size)
    return item


def _set_link(session: Session, dossier: Dossier, code: str, item: dict[str, Any] | None) -> None:
    session.execute(delete(DocumentLink).where(DocumentLink.dossier_id == dossier.id,
                                               DocumentLink.document_code == code))
    if item is not None:
        session.add(DocumentLink(dossier_id=dossier.id, document_code=code,
                                 upload_id=require_uuid(item["upload_id"], "upload_id")
                                 if "upload_id" in item else None,
                                 record_id=require_uuid(item["record_id"], "record_id")
                                 if "record_id" in item else None))
    session.flush()


@mutation("dossier.attach")
def attach(ctx: Context, args: dict[str, Any]) -> Outcome:
    """Link an upload (`upload_id`) or a warehouse record (`record_id`) to a document item."""
    code = _code(args)
    has_upload, has_record = args.get("upload_id") is not None, args.get("record_id") is not None
    if has_upload == has_record:
        raise ValidationFailed("Give either `upload_id` or `record_id`.",
                               errors={"upload_id": ["Exactly one of upload_id, record_id."]})
    dossier = own_dossier(ctx, args)
    _check_editable(dossier, code)
    doc = _definition(ctx.session, dossier, code)
    item = (_upload_item(ctx, dossier, code, args["upload_id"]) if has_upload
            else _record_item(ctx, doc, args["record_id"]))
    if (dossier.documents or {}).get(code) != item:
        dossier.documents = {**(dossier.documents or {}), code: item}
        _set_link(ctx.session, dossier, code, item)
        dossiers.bump(ctx.session, dossier, clock.now())
    return Outcome(APPLIED, entity=dossier_dict(dossier))


@mutation("dossier.detach")
def detach(ctx: Context, args: dict[str, Any]) -> Outcome:
    """Remove a document item (the upload itself stays until it is deleted or expires)."""
    code = _code(args)
    dossier = own_dossier(ctx, args)
    _check_editable(dossier, code)
    if code in (dossier.documents or {}):
        docs = dict(dossier.documents)
        docs.pop(code)
        dossier.documents = docs
        _set_link(ctx.session, dossier, code, None)
        dossiers.bump(ctx.session, dossier, clock.now())
    return Outcome(APPLIED, entity=dossier_dict(dossier))
