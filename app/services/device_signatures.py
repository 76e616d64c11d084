"""Submissions signed on the citizen's phone: device keys and the canonical form.

Each phone makes a non-extractable ECDSA P-256 key with WebCrypto at sign-in and
registers its public key (a JWK). `dossier.submit` then carries

    "device_signature": {"key_id": "<uuid>", "captured_at": "<RFC 3339>",
                         "documents": {"<code>": "<sha256 hex or null>", …},
                         "signature": "<base64url of r||s, 64 bytes>"}

over the UTF-8 bytes of the canonical form (docs/results.md):

    {"captured_at":…,"documents":{"<code>":"<sha256 or null>",…},"dossier_id":"<uuid>",
     "fields":{…}}

JSON with keys sorted at every level, no whitespace, non-ASCII characters as themselves
(RFC 8785 for the strings, integers, booleans, nulls, lists and objects a form holds).
Top-level fields whose value is null are left out. `fields` are the server's copy of the
dossier: if they differ from what the phone signed, the signature fails and the submission
is refused. `documents` names the documents the
phone uploaded itself with the SHA-256 of each file (null or absent where it holds no hash,
e.g. a record reused from the warehouse); each named one must be on the dossier with that
hash. No Flask here.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import DomainError, NotFound, ValidationFailed
from app.models.accounts import User
from app.models.dossiers import Dossier
from app.models.signed import DeviceKey, SubmissionSignature
from app.services import clock
from app.services.ids import as_uuid

MAX_KEYS_PER_USER = 20


class SignatureMismatch(DomainError):
    status, slug, title = 422, "signature-mismatch", "Signature does not match"


MESSAGES = {
    "vi": ("Chữ ký trên điện thoại không khớp với hồ sơ: nội dung đã bị thay đổi sau khi ký. "
           "Hãy mở lại hồ sơ, kiểm tra và nộp lại."),
    "en": ("The phone's signature does not match the dossier: its content changed after it "
           "was signed. Open the dossier, check it and submit again."),
}


def _b64url(data: str) -> bytes:
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


def document_hashes(documents: dict[str, Any]) -> dict[str, str | None]:
    """The dossier's documents as the canonical form names them: code -> SHA-256 or null."""
    return {code: (item or {}).get("sha256") for code, item in (documents or {}).items()}


def canonical_form(dossier_id: uuid.UUID | str, fields: dict[str, Any],
                   documents: dict[str, str | None], captured_at: str) -> bytes:
    """The exact bytes a phone signs for `dossier.submit` (see the module docstring);
    `documents` maps each document code to a SHA-256 hex digest or None."""
    body = {"captured_at": captured_at, "documents": dict(documents or {}),
            "dossier_id": str(dossier_id).lower(),
            "fields": {k: v for k, v in (fields or {}).items() if v is not None}}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def _public_key(jwk: dict[str, Any]) -> ec.EllipticCurvePublicKey:
    if not isinstance(jwk, dict) or jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise ValueError("an EC P-256 JWK is required")
    x, y = _b64url(str(jwk["x"])), _b64url(str(jwk["y"]))
    if len(x) != 32 or len(y) != 32:
        raise ValueError("bad coordinates")
    numbers = ec.EllipticCurvePublicNumbers(int.from_bytes(x, "big"), int.from_bytes(y, "big"),
                                            ec.SECP256R1())
    return numbers.public_key()


def register_key(session: Session, user: User, jwk: Any, label: str) -> DeviceKey:
    """Store a phone's public key; a malformed key is a 422, never a 500."""
    try:
        _public_key(jwk)
    except (ValueError, KeyError, TypeError) as exc:
        raise ValidationFailed("Not an ECDSA P-256 public key.",
                               errors={"public_key": [str(exc)]}) from None
    count = len(session.scalars(select(DeviceKey.id).where(
        DeviceKey.user_id == user.id, DeviceKey.revoked_at.is_(None))).all())
    if count >= MAX_KEYS_PER_USER:  # the oldest keys are retired, not refused
        oldest = session.scalars(select(DeviceKey).where(
            DeviceKey.user_id == user.id, DeviceKey.revoked_at.is_(None))
            .order_by(DeviceKey.created_at).limit(count - MAX_KEYS_PER_USER + 1)).all()
        for key in oldest:
            key.revoked_at = clock.now()
    public = {k: jwk[k] for k in ("kty", "crv", "x", "y")}
    key = DeviceKey(id=uuid.uuid4(), user_id=user.id, public_key=public, label=label[:200])
    session.add(key)
    session.flush()
    return key


def check_submission(session: Session, user: User, dossier: Dossier, signed: Any,
                     lang: str = "vi") -> SubmissionSignature:
    """Verify the phone's signature over the dossier as the server holds it; unsigned
    (no `device_signature`) is allowed and recorded as such."""
    if signed is None:
        return SubmissionSignature(dossier_id=dossier.id, canonical_sha256=hashlib.sha256(
            canonical_form(dossier.id, dossier.fields, document_hashes(dossier.documents), "")
        ).hexdigest())
    problem = SignatureMismatch(MESSAGES.get(lang, MESSAGES["vi"]))
    if not isinstance(signed, dict):
        raise ValidationFailed("`device_signature` must be an object.",
                               errors={"device_signature": ["object"]})
    try:
        key_id = as_uuid(signed.get("key_id"))
        if key_id is None:
            raise ValueError("key_id")
        captured_at = str(signed["captured_at"])
        raw = _b64url(str(signed["signature"]))
        claimed = signed.get("documents", {})
        if not isinstance(claimed, dict) or not all(
                v is None or isinstance(v, str) for v in claimed.values()):
            raise ValueError("documents")
    except (KeyError, ValueError, TypeError):
        raise ValidationFailed(
            "`device_signature` needs key_id, captured_at, documents and signature.",
            errors={"device_signature": ["key_id, captured_at, documents, signature"]}
        ) from None
    key = session.get(DeviceKey, key_id)
    if key is None or key.user_id != user.id:
        raise NotFound("No such device key.")
    held = document_hashes(dossier.documents)
    if key.revoked_at is not None or len(raw) != 64 or any(
            code not in held or (value is not None and value != held[code])
            for code, value in claimed.items()):
        raise problem
    message = canonical_form(dossier.id, dossier.fields, claimed, captured_at)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        _public_key(key.public_key).verify(der, message, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise problem from None
    return SubmissionSignature(dossier_id=dossier.id, device_key_id=key.id,
                               signature=str(signed["signature"]),
                               canonical_sha256=hashlib.sha256(message).hexdigest(),
                               captured_at=captured_at)


def store(session: Session, record: SubmissionSignature) -> None:
    """Keep the latest submission's signature (a resubmission replaces it)."""
    existing = session.get(SubmissionSignature, record.dossier_id)
    if existing is not None:
        session.delete(existing)
        session.flush()
    record.verified_at = clock.now()
    session.add(record)


def submitted_hash(session: Session, dossier: Dossier) -> str:
    """SHA-256 of the canonical form of what was submitted (printed on the receipt)."""
    record = session.get(SubmissionSignature, dossier.id)
    if record is not None:
        return record.canonical_sha256
    return hashlib.sha256(canonical_form(
        dossier.id, dossier.fields, document_hashes(dossier.documents), "")).hexdigest()


def signature_dict(session: Session, dossier_id: uuid.UUID) -> dict[str, Any]:
    """For the desk: signed on the citizen's phone (which device), or unsigned."""
    record = session.get(SubmissionSignature, dossier_id)
    if record is None or record.device_key_id is None:
        return {"signed": False, "device": None, "canonical_sha256":
                record.canonical_sha256 if record else None}
    key = session.get(DeviceKey, record.device_key_id)
    return {"signed": True, "canonical_sha256": record.canonical_sha256,
            "captured_at": record.captured_at,
            "device": {"id": str(record.device_key_id), "label": key.label if key else "",
                       "registered_at": key.created_at.isoformat() if key else None}}
