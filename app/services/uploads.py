"""A document upload's life: created against its form's definition, finished, linked, removed.

The protocol is in `tus`, the bytes in `upload_store`, expiry in `upload_expiry`; HTTP lives
in api/uploads. This module takes a session, a user and plain data.
"""

from __future__ import annotations

import unicodedata
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Conflict, NotFound, PayloadTooLarge, ValidationFailed
from app.models.accounts import User
from app.models.catalog import FormVersion, Procedure
from app.models.dossiers import Dossier
from app.models.uploads import COMPLETE, UPLOADING, DocumentLink, Upload
from app.services import clock, lifecycle
from app.services.dossiers import find_form_version, not_a_bundle
from app.services.i18n import localise, message
from app.services.ids import as_uuid
from app.services.owned import get_owned_row
from app.services.tus import BadTusRequest, ChecksumMismatch, parse_metadata
from app.services.upload_store import (
    Settings,
    blob_exists,
    collect_blob,
    drop_partial,
    head_bytes,
    partial_sha256,
    store_blob,
)
from app.services.upload_types import (
    ALIASES,
    KNOWN_TYPES,
    SNIFF_BYTES,
    UnsupportedFileType,
    claimed_types,
    megabytes,
    sniff,
    type_accepted,
    type_list,
)

# ---- Document definitions ----------------------------------------------------------------


def _form_version(value: str | None) -> int | None:
    """Upload metadata's optional `form_version`: ASCII digits naming a version that can exist."""
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 9:
        raise ValidationFailed("Unknown form version.", errors={"form_version": ["Unknown."]})
    return int(value)


def clean_filename(name: str | None) -> str:
    """A file name as a person sees it: control characters, line and paragraph separators
    and format characters (which HTTP headers cannot carry, or which hide text) removed."""
    kept = "".join(c for c in (name or "") if unicodedata.category(c) not in _HIDDEN)
    return kept.strip()[:255]


_HIDDEN = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}


def document_definition(
    session: Session, procedure_code: str, document_code: str, version: int | None = None
) -> tuple[FormVersion, dict[str, Any]]:
    proc = session.get(Procedure, procedure_code or "")
    if proc is None:
        raise ValidationFailed("Unknown procedure.", errors={"procedure_code": ["Unknown."]})
    fv = find_form_version(session, proc.code, version or proc.current_version)
    if fv is None:
        raise ValidationFailed("Unknown form version.", errors={"form_version": ["Unknown."]})
    for doc in fv.form.get("documents", []):
        if doc["code"] == document_code:
            return fv, doc
    raise ValidationFailed(
        "The form asks for no such document.", errors={"document_code": ["Unknown for this procedure."]}
    )


def _doc_limits(doc: dict[str, Any], settings: Settings) -> tuple[int, list[str]]:
    return min(int(doc.get("max_bytes") or settings.max_size), settings.max_size), list(
        doc.get("accept") or []
    )


# ---- Lookups -----------------------------------------------------------------------------


def get_owned(session: Session, user: User, upload_id: Any, *, lock: bool = False) -> Upload:
    """The caller's own upload; another user's id is answered exactly like a missing one.
    `lock`: wait for a request finishing it (tus.locked) and see what it committed."""
    return get_owned_row(session, Upload, user, upload_id, "No such upload.", lock=lock)


# ---- Creation ----------------------------------------------------------------------------


def create(
    session: Session,
    settings: Settings,
    owner: User,
    length: int,
    metadata_header: str | None,
    lang: str = "vi",
) -> Upload:
    """A new upload for one document of one procedure, checked against its definition.

    The size and type refusals use the same texts the phone shows before sending."""
    meta = parse_metadata(metadata_header)
    missing = [k for k in ("procedure_code", "document_code") if not meta.get(k)]
    if missing:
        raise ValidationFailed(
            "Upload-Metadata must name the procedure and the document.",
            errors={k: ["Required in Upload-Metadata."] for k in missing},
        )
    version = _form_version(meta.get("form_version"))
    fv, doc = document_definition(session, meta["procedure_code"], meta["document_code"], version)
    max_bytes, accept = _doc_limits(doc, settings)
    label = localise(doc.get("label"), "en")
    if length > max_bytes:
        text = message("file_too_large", lang, max_mb=megabytes(max_bytes), size_mb=megabytes(length))
        raise PayloadTooLarge(
            f"{localise(doc.get('label'), lang)}: {text}", extra={"max_bytes": max_bytes, "length": length}
        )
    declared_type = meta.get("filetype", "")
    normal = ALIASES.get(declared_type.lower(), declared_type.lower())
    if normal in KNOWN_TYPES and accept and not type_accepted(normal, accept):
        text = message("file_type", lang, accept=type_list(accept))
        raise UnsupportedFileType(f"{localise(doc.get('label'), lang)}: {text}", extra={"accept": accept})
    declared_sha = (meta.get("sha256") or "").lower() or None
    if declared_sha is not None and (
        len(declared_sha) != 64 or any(c not in "0123456789abcdef" for c in declared_sha)
    ):
        raise BadTusRequest("Metadata sha256 must be 64 hex digits.")
    now = clock.now()
    upload = Upload(
        id=uuid.uuid4(),
        owner_id=owner.id,
        procedure_code=fv.procedure_code,
        document_code=doc["code"],
        form_version=fv.version,
        filename=clean_filename(meta.get("filename")),
        declared_type=declared_type[:100],
        metadata_header=metadata_header or "",
        length=length,
        offset=0,
        status=UPLOADING,
        declared_sha256=declared_sha,
        created_at=now,
        expires_at=now + settings.ttl,
    )
    session.add(upload)
    if declared_sha is not None:
        _finish_from_known(session, settings, upload, accept, label)
    session.flush()
    return upload


def _finish_from_known(
    session: Session, settings: Settings, upload: Upload, accept: list[str], label: str
) -> None:
    """The owner already stored this exact file: the new upload is complete at once."""
    known = session.scalars(
        select(Upload).where(
            Upload.owner_id == upload.owner_id,
            Upload.status == COMPLETE,
            Upload.sha256 == upload.declared_sha256,
        )
    ).first()
    if known is None or not blob_exists(settings, known.sha256 or ""):
        return
    if known.length != upload.length:
        raise BadTusRequest("Upload-Length does not match the file with this sha256.")
    if not type_accepted(known.content_type, accept):
        raise UnsupportedFileType(
            f"{label}: accepted types are {', '.join(accept)}; "
            f"this file is {known.content_type or 'of an unknown type'}.",
            extra={"accept": accept, "detected": known.content_type},
        )
    upload.offset, upload.status = upload.length, COMPLETE
    upload.sha256, upload.content_type = known.sha256, known.content_type
    upload.completed_at = clock.now()


# ---- Checking what arrives, completion ---------------------------------------------------


def check_type_early(session: Session, settings: Settings, upload: Upload) -> None:
    """Reject as soon as the first bytes show a type the document does not accept."""
    if upload.content_type is not None or upload.offset < min(SNIFF_BYTES, upload.length):
        return
    _fv, doc = document_definition(session, upload.procedure_code, upload.document_code, upload.form_version)
    _max, accept = _doc_limits(doc, settings)
    detected = sniff(head_bytes(settings, upload))
    label = localise(doc.get("label"), "en")
    if not type_accepted(detected, accept):
        discard(session, settings, upload)
        raise UnsupportedFileType(
            f"{label}: accepted types are {', '.join(accept)}; the content is "
            f"{detected or 'of an unknown type'} whatever its name says.",
            extra={"accept": accept, "detected": detected},
        )
    claims = claimed_types(upload.declared_type, upload.filename)
    if detected is not None and claims - {detected}:
        # A renamed file is refused: the citizen should send what the file really is.
        discard(session, settings, upload)
        raise UnsupportedFileType(
            f"{label}: the file is {detected} but was sent as {', '.join(sorted(claims))} "
            f"({upload.filename or 'no name'}); send it under its real type.",
            extra={"accept": accept, "detected": detected, "declared": sorted(claims)},
        )
    upload.content_type = detected


def finish(session: Session, settings: Settings, upload: Upload) -> None:
    """Hash, verify and store a fully received upload by content; flip linked items to ready.

    Idempotent: the partial file is linked into the blob store before the commit and
    removed after it, so a crash in between is finished by the next request.
    """
    if upload.status != UPLOADING or upload.offset != upload.length:
        return
    sha = partial_sha256(settings, upload.id, upload.length)
    if upload.declared_sha256 and upload.declared_sha256 != sha:
        discard(session, settings, upload)
        raise ChecksumMismatch(
            "The file's sha256 differs from the one declared; it was not kept. Upload it again.",
            extra={"declared_sha256": upload.declared_sha256, "sha256": sha},
        )
    upload.content_type = None
    check_type_early(session, settings, upload)
    store_blob(settings, upload.id, sha)
    upload.sha256, upload.status, upload.completed_at = sha, COMPLETE, clock.now()
    mark_linked_ready(session, upload)
    session.flush()


def mark_linked_ready(session: Session, upload: Upload) -> None:
    from app.services.dossiers import bump

    for link in session.scalars(select(DocumentLink).where(DocumentLink.upload_id == upload.id)):
        dossier = session.scalars(
            select(Dossier).where(Dossier.id == link.dossier_id).with_for_update(of=Dossier)
        ).one()
        item = (dossier.documents or {}).get(link.document_code)
        if not item or item.get("upload_id") != str(upload.id):
            continue
        dossier.documents = {
            **dossier.documents,
            link.document_code: {**item, "status": "ready", "sha256": upload.sha256, "size": upload.length},
        }
        bump(session, dossier, clock.now())


# ---- Removal -----------------------------------------------------------------------------


def discard(session: Session, settings: Settings, upload: Upload) -> None:
    """Forget an upload entirely: its row, its partial bytes, items that pointed at it."""
    unlink_from_dossiers(session, upload)
    sha = upload.sha256 if upload.status == COMPLETE else None
    drop_partial(settings, upload.id)
    session.delete(upload)
    session.flush()
    if sha:
        collect_blob(session, settings, sha)


def unlink_from_dossiers(session: Session, upload: Upload) -> None:
    """Items of open dossiers lose a vanished upload (the citizen sees it missing again)."""
    from app.services.dossiers import bump

    for link in session.scalars(select(DocumentLink).where(DocumentLink.upload_id == upload.id)):
        dossier = session.get(Dossier, link.dossier_id)
        item = (dossier.documents or {}).get(link.document_code) if dossier else None
        if dossier is not None and item and item.get("upload_id") == str(upload.id):
            docs = dict(dossier.documents)
            docs.pop(link.document_code)
            dossier.documents = docs
            bump(session, dossier, clock.now())
        session.delete(link)
    session.flush()


def terminate(session: Session, settings: Settings, upload: Upload) -> None:
    """tus termination; a file a submitted dossier or the warehouse relies on stays."""
    from app.models.warehouse import WarehouseRecord

    in_use = session.scalars(
        select(Dossier.id)
        .join(DocumentLink, DocumentLink.dossier_id == Dossier.id)
        .where(
            DocumentLink.upload_id == upload.id,
            Dossier.status.not_in([lifecycle.DRAFT, lifecycle.SUPPLEMENT_REQUESTED]),
        )
    ).first()
    kept = session.scalars(select(WarehouseRecord.id).where(WarehouseRecord.upload_id == upload.id)).first()
    if in_use is not None or kept is not None:
        raise Conflict("This file belongs to a submitted dossier and cannot be deleted.")
    discard(session, settings, upload)


# ---- Reading -----------------------------------------------------------------------------


def agency_link(session: Session, official: User, link: Any) -> tuple[uuid.UUID, str] | None:
    """The (non-draft) dossier of the official's agency holding the document `link` (a
    condition on DocumentLink) picks out, and the document's code; None when the official
    has no business with it. Officials see citizens' files only through such a dossier."""
    row = session.execute(
        select(Dossier.id, DocumentLink.document_code)
        .join(DocumentLink, DocumentLink.dossier_id == Dossier.id)
        .where(link, Dossier.agency_code == official.agency_code, Dossier.status != lifecycle.DRAFT,
               not_a_bundle())
    ).first()
    return (row[0], row[1]) if row is not None else None


def official_use(session: Session, official: User, upload: Upload) -> tuple[uuid.UUID, str] | None:
    """The agency's dossier holding this upload as a document, and the document's code."""
    return agency_link(session, official, DocumentLink.upload_id == upload.id)


def readable_by_official(session: Session, official: User, upload: Upload) -> bool:
    """An official may read a document of a (non-draft) dossier of their own agency."""
    return official_use(session, official, upload) is not None


def list_owned(session: Session, user: User, limit: int = 200) -> list[Upload]:
    """The user's uploads, newest first (finished and unfinished)."""
    return list(session.scalars(select(Upload).where(Upload.owner_id == user.id)
                                .order_by(Upload.created_at.desc()).limit(limit)))


def readable_by(session: Session, user: User, upload_id: Any
                ) -> tuple[Upload, tuple[uuid.UUID, str] | None]:
    """An upload its owner may read, or an official of the agency handling a dossier that
    uses it (with that use: dossier id and document code, for the access log); else 404."""
    key = as_uuid(upload_id)
    upload = session.get(Upload, key) if key is not None else None
    use = official_use(session, user, upload) if upload is not None and user.is_official else None
    allowed = upload is not None and (upload.owner_id == user.id if not user.is_official else use is not None)
    if not allowed:
        raise NotFound("No such upload.")
    return upload, use


def upload_dict(upload: Upload) -> dict[str, Any]:
    return {
        "id": str(upload.id),
        "status": upload.status,
        "procedure_code": upload.procedure_code,
        "document_code": upload.document_code,
        "form_version": upload.form_version,
        "filename": clean_filename(upload.filename),
        "length": upload.length,
        "offset": upload.offset,
        "sha256": upload.sha256,
        "content_type": upload.content_type,
        "created_at": upload.created_at.isoformat(),
        "expires_at": upload.expires_at.isoformat() if upload.status == UPLOADING else None,
        "completed_at": upload.completed_at.isoformat() if upload.completed_at else None,
    }
