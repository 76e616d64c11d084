"""Signed documents an agency issues: the receipt of filing at `accept`, the result at
`complete`, the fee receipt when a fee is paid (app/services/fee_receipts.py); each a PDF
signed by the agency's key, with a QR code to its /verify page.

Each app keeps its own `SigningSettings` (key store, TSA, public base URL); the factory
passes `configure()` a function giving the running app's, so two apps in one process sign
with their own keys. The transition listener does the rest. No Flask here.

Where a job queue runs background work (`SigningSettings.later`), the transition stores the
document with what it says and no PDF; after the commit a worker lays it out and signs it
(`sign_pending`, app/jobs/document_signing.py), so an official's accept does not wait for
it. Until then the document is listed as being prepared, and its PDF answers 409.
"""

from __future__ import annotations

import io
import logging
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.errors import DomainError, NotFound, ValidationFailed
from app.models.accounts import Agency, User
from app.models.dossiers import Dossier, DossierEvent
from app.models.signed import IssuedDocument
from app.services import clock, forms, pdf_render, pki
from app.services.dossiers import form_version, listeners_before_feed
from app.services.ids import as_uuid

log = logging.getLogger(__name__)
RESULT, RECEIPT, FEE_RECEIPT = "result", "receipt", "fee_receipt"
LISTED = (RESULT, RECEIPT)  # a fee receipt is listed with its payment, not with these
MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
RECEIPT_TITLE = "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"
# session.info: the documents of this transaction to be signed by a worker after its commit.
TO_SIGN = "hoso.documents_to_sign"
RETRY_SECONDS = 2


class DocumentPreparing(DomainError):
    """The document is stored but not yet laid out and signed."""

    status, slug, title = 409, "document-preparing", "Document being prepared"

    def __init__(self) -> None:
        super().__init__("The document is being prepared; try again in a few seconds.",
                         headers={"Retry-After": str(RETRY_SECONDS)},
                         extra={"retry_after": RETRY_SECONDS})


@dataclass
class SigningSettings:
    """One app's signing: its agencies' keys, its TSA, the public base URL of its QR codes,
    and the signature verdicts it has reached (against its own trust roots)."""

    keys: pki.AgencyKeys | None = None
    timestamp_url: str | None = None
    base_url: Callable[[], str] = lambda: "http://127.0.0.1:8000"
    checked: dict[str, pdf_render.SignatureCheck] = field(default_factory=dict)
    # Whether a worker signs documents after the transaction that issues them commits.
    later: Callable[[], bool] = lambda: False


_UNCONFIGURED = SigningSettings()
_wiring: dict[str, Callable[[], SigningSettings]] = {"settings": lambda: _UNCONFIGURED}


def configure(settings_of_app: Callable[[], SigningSettings]) -> None:
    """Called by the app factory: a function giving the running app's settings."""
    _wiring["settings"] = settings_of_app


def settings() -> SigningSettings:
    return _wiring["settings"]()


def can_sign(agency_code: str) -> bool:
    """Whether the running app has a key for this agency (else it issues no document)."""
    keys = settings().keys
    return keys is not None and keys.pkcs12_path(agency_code).exists()


def sign(agency_code: str, pdf: bytes, *, reason: str, location: str) -> bytes:
    """The PDF signed (PAdES) with the agency's key, timestamped where a TSA is configured."""
    current = settings()
    if current.keys is None:
        raise pki.SignerUnavailable("signed documents are not configured")
    return pdf_render.sign_pdf(pdf, pki.load_signer(current.keys, agency_code),
                               timestamp_url=current.timestamp_url, reason=reason,
                               location=location)


def initials(full_name: str) -> str:
    """'Nguyễn Thị Hường' -> 'N. T. H.': all /verify shows of the holder."""
    return " ".join(f"{part[0].upper()}." for part in full_name.split() if part)[:16]


def verify_url(code: str) -> str:
    return f"{settings().base_url().rstrip('/')}/verify/{code}"


def _local(moment: datetime) -> str:
    return clock.local_date(moment).strftime("%d/%m/%Y")


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(_text(v) for v in value.values() if v not in (None, "", [], {}))
    if isinstance(value, list):
        return "; ".join(_text(v) for v in value)
    if isinstance(value, bool):
        return "Có" if value else "Không"
    return str(value)


def _field_rows(session: Session, dossier: Dossier, names: list[str] | None = None
                ) -> list[tuple[str, str]]:
    """The dossier's answers with their Vietnamese labels, in form order: only what the
    answers show (a value left in a field that was later hidden is not the citizen's answer)."""
    form = form_version(session, dossier.procedure_code, dossier.form_version).form
    labels = forms.field_map(form)
    shown = forms.visible_values(form, dossier.fields or {}, clock.today())
    rows = []
    for name, spec in labels.items():
        if "." in name or (names is not None and name not in names):
            continue
        value = shown.get(name)
        if value in (None, "", [], {}):
            continue
        label = (spec.get("label") or {}).get("vi") or name
        rows.append((label, _text(forms.shown_value(spec, value, "vi"))))
    return rows


def _document_rows(session: Session, dossier: Dossier) -> list[tuple[str, str]]:
    """Each document received with the SHA-256 of exactly the bytes submitted."""
    form = form_version(session, dossier.procedure_code, dossier.form_version).form
    names = {d["code"]: (d.get("label") or d.get("name") or {}).get("vi", d["code"])
             for d in form.get("documents", [])}
    rows = []
    for code, item in sorted((dossier.documents or {}).items()):
        digest = item.get("sha256") or item.get("hash") or ""
        label = names.get(code, code) if isinstance(names.get(code, code), str) else code
        rows.append((label, f"{item.get('filename') or item.get('source', '')} · SHA-256 {digest}"))
    return rows


def issue(session: Session, dossier: Dossier, kind: str, number: str, title: str,
          sections: list[pdf_render.Section], moment: datetime,
          image: bytes | None = None, *, replaces: bool = True, later: bool = False
          ) -> IssuedDocument:
    """Store a document with its /verify code, laid out and signed with the dossier's
    agency's key now, or by a worker after the commit when `later` and the app has one.
    `replaces`: it replaces the dossier's current document of this kind (a result issued
    again); a dossier's fee receipts stand side by side."""
    agency = session.get(Agency, dossier.agency_code)
    agency_name = (agency.name.get("vi") if agency else None) or dossier.agency_code
    code = secrets.token_urlsafe(12)
    owner = session.get(User, dossier.owner_id)
    holder = initials(owner.full_name if owner else "")
    doc = pdf_render.Document(
        title=title, header=(agency_name.upper(), *MOTTO),
        subtitle=f"Số: {number} · Ngày {_local(moment)}",
        sections=sections,
        qr_url=verify_url(code),
        qr_caption="Quét mã để kiểm tra tính xác thực của văn bản (mã " + code + ")",
        footer=(f"Văn bản điện tử được ký số bởi {agency_name}.",),
        author=agency_name, created_at=moment, image=image,
    )
    previous = session.scalars(select(IssuedDocument).where(
        IssuedDocument.dossier_id == dossier.id, IssuedDocument.kind == kind,
        IssuedDocument.replaced_by.is_(None))).all() if replaces else []
    issued = IssuedDocument(
        id=uuid.uuid4(), code=code, dossier_id=dossier.id, owner_id=dossier.owner_id, kind=kind,
        agency_code=dossier.agency_code, procedure_code=dossier.procedure_code, number=number,
        title=title, holder_initials=holder, issued_at=moment)
    for old in previous:  # a document issued again replaces the earlier one
        old.replaced_by = code
    if later and settings().later():
        issued.source = doc.as_source()
        session.info.setdefault(TO_SIGN, []).append(issued.id)
    else:
        _sign_into(issued, doc)
    session.add(issued)
    return issued


def _sign_into(issued: IssuedDocument, doc: pdf_render.Document) -> None:
    signed = sign(issued.agency_code, pdf_render.render_document(doc),
                  reason=doc.title.capitalize(), location=doc.author)
    issued.pdf, issued.sha256 = signed, pdf_render.sha256_hex(signed)
    issued.signed_at, issued.source = clock.now(), None


def sign_pending(session: Session, document_id: uuid.UUID) -> IssuedDocument | None:
    """Lay out and sign a document stored without its PDF (the caller commits). None when
    there is nothing to do: signed already, gone, or being signed by another worker (its
    row is locked)."""
    doc = session.scalars(select(IssuedDocument).where(
        IssuedDocument.id == document_id, IssuedDocument.pdf.is_(None))
        .with_for_update(skip_locked=True)).first()
    if doc is None or doc.source is None:
        return None
    _sign_into(doc, pdf_render.Document.from_source(doc.source))
    return doc


def unsigned_summary(session: Session) -> tuple[int, datetime | None]:
    """How many documents wait for their signature, and when the oldest was issued."""
    count, oldest = session.execute(select(func.count(), func.min(IssuedDocument.issued_at))
                                    .where(IssuedDocument.pdf.is_(None))).one()
    return int(count), oldest


def unsigned_ids(session: Session, issued_before: datetime, limit: int) -> list[uuid.UUID]:
    """Documents still waiting for their signature that were issued before this time."""
    return list(session.scalars(select(IssuedDocument.id).where(
        IssuedDocument.pdf.is_(None), IssuedDocument.issued_at < issued_before)
        .order_by(IssuedDocument.issued_at).limit(limit)))


def issue_receipt(session: Session, dossier: Dossier, moment: datetime) -> IssuedDocument:
    """Giấy tiếp nhận hồ sơ và hẹn trả kết quả, with the hash of what was submitted."""
    from app.services.device_signatures import submitted_hash

    proc_name = (dossier.procedure.name or {}).get("vi", dossier.procedure_code)
    owner = session.get(User, dossier.owner_id)
    sections = [
        pdf_render.Section("Thông tin hồ sơ", rows=[
            ("Mã hồ sơ", dossier.receipt_code or ""),
            ("Thủ tục", proc_name),
            ("Người nộp", owner.full_name if owner else ""),
            ("Ngày nộp", _local(dossier.submitted_at or moment)),
            ("Ngày tiếp nhận", _local(moment)),
            ("Ngày hẹn trả kết quả", dossier.appointment_date.strftime("%d/%m/%Y")
             if dossier.appointment_date else ""),
        ]),
        pdf_render.Section("Thành phần hồ sơ đã nhận", rows=_document_rows(session, dossier)
                           or [("Giấy tờ", "Không có")]),
        pdf_render.Section("Dữ liệu đã nộp", rows=[
            ("Mã băm SHA-256", submitted_hash(session, dossier))]),
    ]
    return issue(session, dossier, RECEIPT, dossier.receipt_code or "", RECEIPT_TITLE,
                  sections, moment, later=True)


MAX_SCAN_BYTES = 1_400_000  # base64 in a JSON body under MAX_BODY_BYTES (2 MB)
MAX_SCAN_PIXELS = 40_000_000


class ScanRefused(ValidationFailed):
    """The uploaded scan is not a readable JPEG or PNG image of a sensible size."""


def decode_base64(text: str) -> bytes:
    """A scan sent as base64 (standard or URL-safe, with or without a data: prefix)."""
    import base64
    import binascii

    payload = text.split(",", 1)[1] if text.startswith("data:") else text
    try:
        return base64.b64decode(payload.replace("-", "+").replace("_", "/") + "==", validate=False)
    except (binascii.Error, ValueError):
        raise ScanRefused("The scan is not valid base64.",
                          errors={"result.scan": ["base64"]}) from None


def attach_scan(session: Session, dossier_id: uuid.UUID, data: bytes) -> None:
    """Use this scan of the paper result, signed by hand, as the result document of the
    next `complete` of this dossier in this transaction (instead of the template)."""
    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_SCAN_BYTES:
        raise ScanRefused("The scan is too large.", errors={"result.scan": ["≤ 1.4 MB"]})
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ("JPEG", "PNG"):
                raise ValueError(image.format)
            if image.width * image.height > MAX_SCAN_PIXELS:
                raise ValueError("too many pixels")
            image.verify()
    except (UnidentifiedImageError, ValueError, OSError, Image.DecompressionBombError):
        raise ScanRefused("The scan must be a JPEG or PNG image.",
                          errors={"result.scan": ["JPEG, PNG"]}) from None
    session.info.setdefault("result_scans", {})[dossier_id] = data


def issue_result(session: Session, dossier: Dossier, moment: datetime) -> IssuedDocument:
    """The result from the procedure's result template: its label as the title, the
    result's own data, then the dossier's answers (`result.template.fields` narrows them);
    or, when the agency attached one, the scan of the signed paper result."""
    template = dossier.procedure.result or {}
    title = ((template.get("label") or {}).get("vi") or "Kết quả giải quyết").upper()
    result = dossier.result or {}
    number = str(result.get("number") or dossier.receipt_code or "")
    data_rows = [(str(k), _text(v)) for k, v in (result.get("data") or {}).items()]
    wanted = (template.get("template") or {}).get("fields")
    scan = session.info.get("result_scans", {}).pop(dossier.id, None)
    sections = [
        pdf_render.Section("Thông tin kết quả", rows=[
            ("Số", number), ("Mã hồ sơ", dossier.receipt_code or ""),
            ("Thủ tục", (dossier.procedure.name or {}).get("vi", dossier.procedure_code)),
            ("Ngày cấp", _local(moment)), *data_rows]),
    ]
    if scan is None:
        sections.append(pdf_render.Section("Nội dung", rows=_field_rows(session, dossier, wanted)))
    else:
        sections.append(pdf_render.Section("Bản quét kết quả giấy đã ký", paragraphs=[
            "Bản điện tử này gồm bản quét kết quả giấy do người có thẩm quyền ký."]))
    return issue(session, dossier, RESULT, number, title, sections, moment, image=scan,
                 later=True)


def _on_transition(session: Session, dossier: Dossier, event: DossierEvent) -> None:
    """Issue the receipt at `accept` and the result at `complete`. An agency with no key
    (PKI not set up) gets no document, logged as an error, rather than a failed action."""
    if not can_sign(dossier.agency_code):
        if event.action in ("accept", "complete"):
            log.error("no signing key for agency %s: %s %s issued no signed document "
                      "(run `flask pki init` or configure its PKCS#12)",
                      dossier.agency_code, event.action, dossier.id)
        return
    if event.action == "accept":
        issue_receipt(session, dossier, event.at)
    elif event.action == "complete":
        issue_result(session, dossier, event.at)


listeners_before_feed.append(_on_transition)


def documents_of(session: Session, dossier_id: uuid.UUID) -> list[IssuedDocument]:
    return list(session.scalars(select(IssuedDocument).where(
        IssuedDocument.dossier_id == dossier_id, IssuedDocument.kind.in_(LISTED))
        .order_by(IssuedDocument.issued_at)))


def documents_of_owner(session: Session, user: User) -> list[IssuedDocument]:
    """A citizen's signed documents, newest first (the warehouse lists them)."""
    return list(session.scalars(select(IssuedDocument).where(
        IssuedDocument.owner_id == user.id, IssuedDocument.kind.in_(LISTED))
        .order_by(IssuedDocument.issued_at.desc())))


def owned_document(session: Session, user: User, document_id: Any) -> IssuedDocument:
    """The citizen's own document (an official's: one of their agency); else 404."""
    key = as_uuid(document_id)
    doc = session.get(IssuedDocument, key) if key is not None else None
    if doc is None or not (doc.owner_id == user.id or (
            user.is_official and user.agency_code == doc.agency_code)):
        raise NotFound("No such document.")
    return doc


def revoke(session: Session, official: User, document: IssuedDocument, reason: str) -> None:
    if document.revoked_at is None:
        document.revoked_at = clock.now()
        document.revoked_reason = reason


def document_dict(doc: IssuedDocument) -> dict[str, Any]:
    return {"id": str(doc.id), "code": doc.code, "kind": doc.kind, "title": doc.title,
            "number": doc.number, "dossier_id": str(doc.dossier_id),
            "agency_code": doc.agency_code, "ready": doc.ready, "sha256": doc.sha256,
            "size": len(doc.pdf) if doc.pdf is not None else None,
            "issued_at": doc.issued_at.isoformat(),
            "signed_at": doc.signed_at.isoformat() if doc.signed_at else None,
            "revoked_at": doc.revoked_at.isoformat() if doc.revoked_at else None,
            "replaced_by": doc.replaced_by, "verify_url": verify_url(doc.code),
            "pdf_url": f"/api/v1/documents/{doc.id}/pdf"}


def verification(session: Session, code: str) -> dict[str, Any] | None:
    """What /verify/<code> shows: no personal data beyond the holder's initials."""
    doc = session.scalars(select(IssuedDocument).where(IssuedDocument.code == code)).first()
    if doc is None:
        return None
    if doc.pdf is None:
        return _preparing(session, doc)
    digest = pdf_render.sha256_hex(doc.pdf)
    current = settings()
    check = current.checked.get(digest)
    if check is None:  # the bytes decide the verdict: validate each document's bytes once
        check = pdf_render.check_signature(doc.pdf, current.keys.trust_roots()
                                           if current.keys else [])
        if len(current.checked) >= 1024:
            current.checked.clear()
        current.checked[digest] = check
    hash_ok = digest == doc.sha256
    if doc.revoked_at is not None:
        state = "revoked"
    elif doc.replaced_by:
        state = "replaced"
    elif check.valid and hash_ok:
        state = "valid"
    else:
        state = "invalid"
    return {**_described(session, doc, state), "sha256": doc.sha256,
            "hash_ok": hash_ok, "signature_ok": check.valid, "signer": check.signer,
            "timestamped": check.timestamped}


def _preparing(session: Session, doc: IssuedDocument) -> dict[str, Any]:
    """What /verify says of a document not yet signed: nothing to check yet (unless the
    agency has already withdrawn or replaced it)."""
    state = "revoked" if doc.revoked_at else "replaced" if doc.replaced_by else "preparing"
    return {**_described(session, doc, state), "sha256": None, "hash_ok": False,
            "signature_ok": False, "signer": "", "timestamped": False}


def _described(session: Session, doc: IssuedDocument, state: str) -> dict[str, Any]:
    from app.models.catalog import Procedure

    agency = session.get(Agency, doc.agency_code)
    proc = session.get(Procedure, doc.procedure_code)
    return {"code": doc.code, "state": state, "kind": doc.kind, "title": doc.title,
            "number": doc.number,
            "procedure": (proc.name if proc else {"vi": doc.procedure_code}),
            "agency": (agency.name if agency else {"vi": doc.agency_code}),
            "issued_on": clock.local_date(doc.issued_at).isoformat(),
            "holder_initials": doc.holder_initials,
            "revoked_at": doc.revoked_at.isoformat() if doc.revoked_at else None,
            "revoked_reason": doc.revoked_reason, "replaced_by": doc.replaced_by}
