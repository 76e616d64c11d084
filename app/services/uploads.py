"""Resumable document uploads (tus 1.0.0): creation, durable chunks, completion, expiry.

Bytes go to disk before the new offset is committed, so an upload cut at any byte
resumes where the database says it stopped. Finished files are stored by content hash
(identical files once); the type is judged by magic bytes, never by name or header.
HTTP lives in api/uploads; this module takes a session, a user and plain data.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Conflict, DomainError, Gone, NotFound, PayloadTooLarge, ValidationFailed
from app.models.accounts import User
from app.models.catalog import FormVersion, Procedure
from app.models.dossiers import Dossier
from app.models.uploads import COMPLETE, EXPIRED, UPLOADING, DocumentLink, Upload
from app.services import clock
from app.services import lifecycle as lc
from app.services.i18n import localise, message

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,creation-with-upload,checksum,termination,expiration"
CHECKSUMS: dict[str, Callable[[], Any]] = {"sha256": hashlib.sha256, "sha1": hashlib.sha1}
OCTET_STREAM = "application/offset+octet-stream"
SNIFF_BYTES = 12  # enough to tell JPEG, PNG, PDF, HEIC and WebP apart
PIECE = 64 * 1024


class BadTusRequest(DomainError):
    status, slug, title = 400, "bad-upload-request", "Bad upload request"


class UnsupportedVersion(DomainError):
    status, slug, title = 412, "unsupported-tus-version", "Unsupported tus version"


class OffsetMismatch(Conflict):
    slug, title = "offset-mismatch", "Upload-Offset does not match"


class UnsupportedFileType(DomainError):
    status, slug, title = 415, "unsupported-file-type", "File type not accepted"


class ChecksumMismatch(DomainError):
    status, slug, title = 460, "checksum-mismatch", "Checksum mismatch"


@dataclass(frozen=True)
class Settings:
    """Where bytes go and how big things may be (from the app config, env overridable)."""

    root: Path
    max_size: int    # Tus-Max-Size: no document may be larger
    chunk_max: int   # one PATCH/POST body
    ttl: timedelta   # an unfinished upload expires this long after its last chunk

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        env = os.environ
        return cls(
            root=Path(config["UPLOAD_DIR"]),
            max_size=int(config.get("UPLOAD_MAX_BYTES") or env.get("UPLOAD_MAX_BYTES", 20 << 20)),
            chunk_max=int(config.get("UPLOAD_CHUNK_MAX_BYTES")
                          or env.get("UPLOAD_CHUNK_MAX_BYTES", 4 << 20)),
            ttl=timedelta(hours=float(config.get("UPLOAD_EXPIRES_HOURS")
                                      or env.get("UPLOAD_EXPIRES_HOURS", 72))),
        )

    def partial(self, upload_id: uuid.UUID) -> Path:
        return self.root / "partial" / upload_id.hex

    def blob(self, sha256: str) -> Path:
        return self.root / "blobs" / sha256[:2] / sha256


# ---- Parsing the protocol's headers ------------------------------------------------------

def check_version(header: str | None) -> None:
    if header != TUS_VERSION:
        raise UnsupportedVersion(f"This server speaks tus {TUS_VERSION}; send Tus-Resumable: "
                                 f"{TUS_VERSION}.", headers={"Tus-Version": TUS_VERSION})


def parse_int(header: str | None, name: str) -> int:
    if header is None or not header.isdigit():
        raise BadTusRequest(f"{name} must be a non-negative integer.",
                            errors={name: ["A non-negative integer is required."]})
    return int(header)


def parse_metadata(header: str | None) -> dict[str, str]:
    """`key base64,key2 base64,flag` → {key: value}; values are UTF-8."""
    result: dict[str, str] = {}
    if not header:
        return result
    if len(header) > 2000:
        raise BadTusRequest("Upload-Metadata is too long.")
    for pair in header.split(","):
        bits = pair.strip().split(" ")
        if not bits[0] or len(bits) > 2 or bits[0] in result:
            raise BadTusRequest("Upload-Metadata is malformed.")
        try:
            value = base64.b64decode(bits[1], validate=True).decode() if len(bits) == 2 else ""
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise BadTusRequest(f"Upload-Metadata {bits[0]!r} is not base64 UTF-8.") from exc
        result[bits[0]] = value
    return result


def parse_checksum(header: str | None) -> tuple[str, bytes] | None:
    if not header:
        return None
    algo, _, digest = header.strip().partition(" ")
    if algo not in CHECKSUMS:
        raise BadTusRequest(f"Checksum algorithm {algo!r} is not supported; use one of "
                            f"{', '.join(CHECKSUMS)}.")
    try:
        return algo, base64.b64decode(digest, validate=True)
    except binascii.Error as exc:
        raise BadTusRequest("Upload-Checksum must be '<algorithm> <base64 digest>'.") from exc


# ---- Types by magic bytes ----------------------------------------------------------------

HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}


def sniff(head: bytes) -> str | None:
    """The MIME type the first bytes prove, or None if they match no known format."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "image/heic"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


KNOWN_TYPES = {"image/jpeg", "image/png", "application/pdf", "image/heic", "image/webp"}
ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/heif": "image/heic"}
BY_EXTENSION = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png",
                "pdf": "application/pdf", "heic": "image/heic", "heif": "image/heic",
                "webp": "image/webp"}


def claimed_types(declared_type: str, filename: str) -> set[str]:
    """What the header and the file name say the file is (only types we can recognise)."""
    claims = {ALIASES.get(declared_type.lower(), declared_type.lower())}
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    claims.add(BY_EXTENSION.get(ext, ""))
    return claims & KNOWN_TYPES


def type_accepted(detected: str | None, accept: list[str]) -> bool:
    if not accept:
        return True
    if detected == "image/heic" and "image/heif" in accept:
        return True
    return detected in accept


# ---- Document definitions ----------------------------------------------------------------

def document_definition(session: Session, procedure_code: str, document_code: str,
                        version: int | None = None) -> tuple[FormVersion, dict[str, Any]]:
    proc = session.get(Procedure, procedure_code or "")
    if proc is None:
        raise ValidationFailed("Unknown procedure.", errors={"procedure_code": ["Unknown."]})
    fv = session.get(FormVersion, (proc.code, version or proc.current_version))
    if fv is None:
        raise ValidationFailed("Unknown form version.", errors={"form_version": ["Unknown."]})
    for doc in fv.form.get("documents", []):
        if doc["code"] == document_code:
            return fv, doc
    raise ValidationFailed("The form asks for no such document.",
                           errors={"document_code": ["Unknown for this procedure."]})


def _doc_limits(doc: dict[str, Any], settings: Settings) -> tuple[int, list[str]]:
    return min(int(doc.get("max_bytes") or settings.max_size), settings.max_size), \
        list(doc.get("accept") or [])


# ---- Lookups -----------------------------------------------------------------------------

def parse_uuid(value: Any) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


def get_owned(session: Session, user: User, upload_id: Any) -> Upload:
    """The caller's own upload; another user's id is answered exactly like a missing one."""
    key = parse_uuid(upload_id)
    upload = session.get(Upload, key) if key is not None else None
    if upload is None or upload.owner_id != user.id:
        raise NotFound("No such upload.")
    return upload


def ensure_alive(session: Session, settings: Settings, upload: Upload) -> None:
    """410 for an expired upload (expiring it now if the sweeper has not run yet)."""
    if upload.status == UPLOADING and upload.expires_at <= clock.now():
        expire_one(session, settings, upload)
    if upload.status == EXPIRED:
        raise Gone("This upload expired; start a new one.")


# ---- Creation ----------------------------------------------------------------------------

def megabytes(n: int) -> str:
    """1.5, 10: as the phone shows sizes (pwa/app/uploads.js)."""
    return f"{n / 1048576:.1f}".removesuffix(".0")


def type_list(accept: list[str]) -> str:
    """JPEG, PNG, PDF: as the phone lists accepted types (pwa/app/uploads.js)."""
    return ", ".join(SHORT_NAMES.get(t, t) for t in accept)


SHORT_NAMES = {"image/jpeg": "JPEG", "image/png": "PNG", "application/pdf": "PDF",
               "image/heic": "HEIC", "image/heif": "HEIF", "image/webp": "WebP"}


def create(session: Session, settings: Settings, owner: User, length: int,
           metadata_header: str | None, lang: str = "vi") -> Upload:
    """A new upload for one document of one procedure, checked against its definition.

    The size and type refusals use the same texts the phone shows before sending."""
    meta = parse_metadata(metadata_header)
    missing = [k for k in ("procedure_code", "document_code") if not meta.get(k)]
    if missing:
        raise ValidationFailed("Upload-Metadata must name the procedure and the document.",
                               errors={k: ["Required in Upload-Metadata."] for k in missing})
    version = int(meta["form_version"]) if meta.get("form_version", "").isdigit() else None
    fv, doc = document_definition(session, meta["procedure_code"], meta["document_code"], version)
    max_bytes, accept = _doc_limits(doc, settings)
    label = localise(doc.get("label"), "en")
    if length > max_bytes:
        text = message("file_too_large", lang, max_mb=megabytes(max_bytes), size_mb=megabytes(length))
        raise PayloadTooLarge(f"{localise(doc.get('label'), lang)}: {text}",
                              extra={"max_bytes": max_bytes, "length": length})
    declared_type = meta.get("filetype", "")
    normal = ALIASES.get(declared_type.lower(), declared_type.lower())
    if normal in KNOWN_TYPES and accept and not type_accepted(normal, accept):
        text = message("file_type", lang, accept=type_list(accept))
        raise UnsupportedFileType(f"{localise(doc.get('label'), lang)}: {text}",
                                  extra={"accept": accept})
    declared_sha = (meta.get("sha256") or "").lower() or None
    if declared_sha is not None and (len(declared_sha) != 64
                                     or any(c not in "0123456789abcdef" for c in declared_sha)):
        raise BadTusRequest("Metadata sha256 must be 64 hex digits.")
    now = clock.now()
    upload = Upload(id=uuid.uuid4(), owner_id=owner.id, procedure_code=fv.procedure_code,
                    document_code=doc["code"], form_version=fv.version,
                    filename=(meta.get("filename") or "")[:255], declared_type=declared_type[:100],
                    metadata_header=metadata_header or "", length=length, offset=0,
                    status=UPLOADING, declared_sha256=declared_sha, created_at=now,
                    expires_at=now + settings.ttl)
    session.add(upload)
    if declared_sha is not None:
        _finish_from_known(session, settings, upload, accept, label)
    session.flush()
    return upload


def _finish_from_known(session: Session, settings: Settings, upload: Upload,
                       accept: list[str], label: str) -> None:
    """The owner already stored this exact file: the new upload is complete at once."""
    known = session.scalars(
        select(Upload).where(Upload.owner_id == upload.owner_id, Upload.status == COMPLETE,
                             Upload.sha256 == upload.declared_sha256)
    ).first()
    if known is None or not settings.blob(known.sha256 or "").exists():
        return
    if known.length != upload.length:
        raise BadTusRequest("Upload-Length does not match the file with this sha256.")
    if not type_accepted(known.content_type, accept):
        raise UnsupportedFileType(f"{label}: accepted types are {', '.join(accept)}; "
                                  f"this file is {known.content_type or 'of an unknown type'}.",
                                  extra={"accept": accept, "detected": known.content_type})
    upload.offset, upload.status = upload.length, COMPLETE
    upload.sha256, upload.content_type = known.sha256, known.content_type
    upload.completed_at = clock.now()


# ---- Writing chunks ----------------------------------------------------------------------

@dataclass
class Received:
    """One request body, streamed to its own temp file with no database work under way."""

    path: Path
    start: int           # the offset the request was sent for
    size: int            # bytes that arrived (and are kept)
    cut: bool            # the body ended before its Content-Length
    checksum_ok: bool = True


def receive(settings: Settings, upload_id: uuid.UUID, start: int, room: int,
            pieces: Iterable[bytes], expected: int | None,
            checksum: tuple[str, bytes] | None) -> Received:
    """Stream a PATCH body to a temp file of its own.

    A body cut short keeps what arrived, unless a checksum was sent (it cannot be checked
    on a part, so the part is dropped); a failed checksum drops the whole body.
    """
    path = settings.partial(upload_id).with_name(f"{upload_id.hex}.{secrets.token_hex(6)}.part")
    path.parent.mkdir(parents=True, exist_ok=True)
    hasher = CHECKSUMS[checksum[0]]() if checksum else None
    size = 0
    try:
        with open(path, "wb") as fh:
            for piece in pieces:
                if size + len(piece) > room:
                    raise PayloadTooLarge("The body runs past Upload-Length.",
                                          extra={"room": room})
                fh.write(piece)
                size += len(piece)
                if hasher:
                    hasher.update(piece)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    cut = expected is not None and size < expected
    ok = hasher is None or (not cut and hasher.digest() == checksum[1])  # type: ignore[index]
    if not ok:
        size = 0
    return Received(path=path, start=start, size=size, cut=cut, checksum_ok=ok or cut)


def locked(session: Session, upload_id: uuid.UUID) -> Upload | None:
    """Re-read an upload and lock its row: appends to one upload happen one at a time."""
    return session.scalars(select(Upload).where(Upload.id == upload_id)
                           .with_for_update()).first()


def append(session: Session, settings: Settings, upload: Upload, got: Received) -> None:
    """Append what arrived at the committed offset, fsync, then move the offset (caller commits).

    A concurrent request may have stored part of the same range meanwhile; the same bytes
    at the same offsets are idempotent, so only the part past the current offset is added.
    """
    if upload.offset < got.start:
        raise OffsetMismatch("The upload went back; start from HEAD.",
                             headers={"Upload-Offset": str(upload.offset)})
    skip = upload.offset - got.start
    if got.size > skip:
        partial = settings.partial(upload.id)
        with open(got.path, "rb") as src, open(partial, "ab") as dst:
            dst.truncate(upload.offset)  # bytes past the committed offset were never acknowledged
            src.seek(skip)
            for piece in iter(lambda: src.read(PIECE), b""):
                dst.write(piece)
            dst.flush()
            os.fsync(dst.fileno())
        upload.offset = got.start + got.size
        upload.expires_at = clock.now() + settings.ttl
    session.flush()


def head_bytes(settings: Settings, upload: Upload, n: int = SNIFF_BYTES) -> bytes:
    path = settings.partial(upload.id) if upload.status != COMPLETE else settings.blob(
        upload.sha256 or "")
    try:
        with open(path, "rb") as fh:
            return fh.read(n)
    except FileNotFoundError:
        return b""


def check_type_early(session: Session, settings: Settings, upload: Upload) -> None:
    """Reject as soon as the first bytes show a type the document does not accept."""
    if upload.content_type is not None or upload.offset < min(SNIFF_BYTES, upload.length):
        return
    _fv, doc = document_definition(session, upload.procedure_code, upload.document_code,
                                   upload.form_version)
    _max, accept = _doc_limits(doc, settings)
    detected = sniff(head_bytes(settings, upload))
    label = localise(doc.get("label"), "en")
    if not type_accepted(detected, accept):
        discard(session, settings, upload)
        raise UnsupportedFileType(
            f"{label}: accepted types are {', '.join(accept)}; the content is "
            f"{detected or 'of an unknown type'} whatever its name says.",
            extra={"accept": accept, "detected": detected})
    claims = claimed_types(upload.declared_type, upload.filename)
    if detected is not None and claims - {detected}:
        # A renamed file is refused: the citizen should send what the file really is.
        discard(session, settings, upload)
        raise UnsupportedFileType(
            f"{label}: the file is {detected} but was sent as {', '.join(sorted(claims))} "
            f"({upload.filename or 'no name'}); send it under its real type.",
            extra={"accept": accept, "detected": detected, "declared": sorted(claims)})
    upload.content_type = detected


# ---- Completion --------------------------------------------------------------------------

def finish(session: Session, settings: Settings, upload: Upload) -> None:
    """Hash, verify and store a fully received upload by content; flip linked items to ready.

    Idempotent: the partial file is linked into the blob store before the commit and
    removed after it, so a crash in between is finished by the next request.
    """
    if upload.status != UPLOADING or upload.offset != upload.length:
        return
    partial = settings.partial(upload.id)
    digest = hashlib.sha256()
    with open(partial, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
        digest.update(head)
        for piece in iter(lambda: fh.read(PIECE), b""):
            digest.update(piece)
    sha = digest.hexdigest()
    if upload.declared_sha256 and upload.declared_sha256 != sha:
        discard(session, settings, upload)
        raise ChecksumMismatch("The file's sha256 differs from the one declared; it was not "
                               "kept. Upload it again.",
                               extra={"declared_sha256": upload.declared_sha256, "sha256": sha})
    upload.content_type = None
    check_type_early(session, settings, upload)
    blob = settings.blob(sha)
    if not blob.exists():
        blob.parent.mkdir(parents=True, exist_ok=True)
        tmp = blob.with_name(f"{sha}.{upload.id.hex}.tmp")
        os.link(partial, tmp)
        os.replace(tmp, blob)
    upload.sha256, upload.status, upload.completed_at = sha, COMPLETE, clock.now()
    mark_linked_ready(session, upload)
    session.flush()


def drop_partial(settings: Settings, upload_id: uuid.UUID) -> None:
    """After the completing commit: the bytes now live in the blob store."""
    settings.partial(upload_id).unlink(missing_ok=True)


def mark_linked_ready(session: Session, upload: Upload) -> None:
    from app.services.dossiers import bump

    for link in session.scalars(select(DocumentLink).where(DocumentLink.upload_id == upload.id)):
        dossier = session.scalars(select(Dossier).where(Dossier.id == link.dossier_id)
                                  .with_for_update(of=Dossier)).one()
        item = (dossier.documents or {}).get(link.document_code)
        if not item or item.get("upload_id") != str(upload.id):
            continue
        dossier.documents = {**dossier.documents, link.document_code: {
            **item, "status": "ready", "sha256": upload.sha256, "size": upload.length}}
        bump(session, dossier, clock.now())


# ---- Removal -----------------------------------------------------------------------------

def discard(session: Session, settings: Settings, upload: Upload) -> None:
    """Forget an upload entirely: its row, its partial bytes, items that pointed at it."""
    unlink_from_dossiers(session, upload)
    sha = upload.sha256 if upload.status == COMPLETE else None
    settings.partial(upload.id).unlink(missing_ok=True)
    session.delete(upload)
    session.flush()
    if sha:
        collect_blob(session, settings, sha)


def collect_blob(session: Session, settings: Settings, sha: str) -> None:
    still_used = session.scalars(select(Upload.id).where(Upload.sha256 == sha,
                                                         Upload.status == COMPLETE)).first()
    if still_used is None:
        settings.blob(sha).unlink(missing_ok=True)


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
        select(Dossier.id).join(DocumentLink, DocumentLink.dossier_id == Dossier.id)
        .where(DocumentLink.upload_id == upload.id,
               Dossier.status.not_in([lc.DRAFT, lc.SUPPLEMENT_REQUESTED]))
    ).first()
    kept = session.scalars(select(WarehouseRecord.id)
                           .where(WarehouseRecord.upload_id == upload.id)).first()
    if in_use is not None or kept is not None:
        raise Conflict("This file belongs to a submitted dossier and cannot be deleted.")
    discard(session, settings, upload)


def expire_one(session: Session, settings: Settings, upload: Upload) -> None:
    unlink_from_dossiers(session, upload)
    settings.partial(upload.id).unlink(missing_ok=True)
    upload.status = EXPIRED
    session.flush()


def expire(session: Session, settings: Settings, now: datetime | None = None,
           keep_expired: timedelta = timedelta(days=30)) -> dict[str, int]:
    """Sweep: expire unfinished uploads past their time, forget old expired rows, and
    remove partial files no upload is writing any more."""
    now = now or clock.now()
    stale = list(session.scalars(select(Upload).where(
        Upload.status == UPLOADING, Upload.expires_at <= now)))
    for upload in stale:
        expire_one(session, settings, upload)
    old = list(session.scalars(select(Upload).where(Upload.status == EXPIRED,
                                                    Upload.expires_at <= now - keep_expired)))
    for upload in old:
        session.delete(upload)
    session.flush()
    live = {u.hex for u in session.scalars(select(Upload.id).where(Upload.status == UPLOADING))}
    orphans = 0
    partial_dir = settings.root / "partial"
    if partial_dir.is_dir():
        for path in partial_dir.iterdir():
            # <id> is live while its upload is; <id>.<token>.part is a request's own body,
            # left behind only by a worker that died (an hour is far longer than any request).
            is_body = path.name.endswith(".part")
            dead = path.name.split(".")[0] not in live or (
                is_body and path.stat().st_mtime < now.timestamp() - 3600)
            if dead:
                path.unlink(missing_ok=True)
                orphans += 1
    return {"expired": len(stale), "forgotten": len(old), "orphan_files": orphans}


# ---- Reading -----------------------------------------------------------------------------

def content_path(settings: Settings, upload: Upload) -> Path:
    if upload.status != COMPLETE or not upload.sha256:
        raise Conflict("The upload is not complete yet.",
                       extra={"offset": upload.offset, "length": upload.length})
    path = settings.blob(upload.sha256)
    if not path.exists():
        raise Gone("The file is no longer stored.")
    return path


def official_use(session: Session, official: User, upload: Upload) -> tuple[uuid.UUID, str] | None:
    """The (non-draft) dossier of the official's agency that has this upload as a document,
    and the document's code; None when the official has no business with the file."""
    row = session.execute(
        select(Dossier.id, DocumentLink.document_code)
        .join(DocumentLink, DocumentLink.dossier_id == Dossier.id)
        .where(DocumentLink.upload_id == upload.id, Dossier.agency_code == official.agency_code,
               Dossier.status != lc.DRAFT)
    ).first()
    return (row[0], row[1]) if row is not None else None


def readable_by_official(session: Session, official: User, upload: Upload) -> bool:
    """An official may read a document of a (non-draft) dossier of their own agency."""
    return official_use(session, official, upload) is not None


def upload_dict(upload: Upload) -> dict[str, Any]:
    return {
        "id": str(upload.id), "status": upload.status, "procedure_code": upload.procedure_code,
        "document_code": upload.document_code, "form_version": upload.form_version,
        "filename": upload.filename, "length": upload.length, "offset": upload.offset,
        "sha256": upload.sha256, "content_type": upload.content_type,
        "created_at": upload.created_at.isoformat(),
        "expires_at": upload.expires_at.isoformat() if upload.status == UPLOADING else None,
        "completed_at": upload.completed_at.isoformat() if upload.completed_at else None,
    }
