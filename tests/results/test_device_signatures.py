"""Submissions signed on the citizen's phone: verified before they are accepted."""

from __future__ import annotations

import base64
import uuid

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from app.models.dossiers import Dossier
from app.services.device_signatures import canonical_form, document_hashes
from tests.sync.helpers import Phone, documents_for, full_values, iso, save_args


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class PhoneKey:
    """What the PWA does with WebCrypto: an ECDSA P-256 key, its JWK, P1363 signatures."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        numbers = self.key.public_key().public_numbers()
        self.jwk = {"kty": "EC", "crv": "P-256", "x": _b64(numbers.x.to_bytes(32, "big")),
                    "y": _b64(numbers.y.to_bytes(32, "big"))}
        self.id: str | None = None

    def register(self, client, citizen) -> None:
        resp = client.post("/api/v1/devices/keys", headers=citizen.headers,
                           json={"public_key": self.jwk, "label": "Chrome trên Android"})
        assert resp.status_code == 201, resp.get_json()
        self.id = resp.get_json()["id"]

    def sign(self, dossier_id, fields, documents, captured_at: str) -> dict:
        claimed = document_hashes(documents)
        der = self.key.sign(canonical_form(dossier_id, fields, claimed, captured_at),
                            ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return {"key_id": self.id, "captured_at": captured_at, "documents": claimed,
                "signature": _b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))}


def _ready_draft(client, db, citizen):
    phone = Phone(client, citizen)
    did = uuid.uuid4()
    values = full_values(db.session)
    assert phone.one("dossier.save", save_args(did, values))["status"] == "applied"
    dossier = db.session.get(Dossier, did)
    dossier.documents = documents_for(db.session, values)
    db.session.commit()
    return phone, did, values, dict(dossier.documents)


def test_a_signed_submission_is_verified_and_the_desk_sees_the_device(client, db, citizen, official):
    key = PhoneKey()
    key.register(client, citizen)
    phone, did, values, documents = _ready_draft(client, db, citizen)
    signature = key.sign(did, values, documents, iso(__import__("datetime").datetime.now(
        __import__("datetime").UTC)))
    result = phone.one("dossier.submit", {"dossier_id": str(did), "device_signature": signature})
    assert result["status"] == "applied", result
    desk = client.get(f"/api/v1/office/dossiers/{did}", headers=official.headers).get_json()
    assert desk["submission_signature"]["signed"] is True
    assert desk["submission_signature"]["device"]["label"] == "Chrome trên Android"


def test_fields_changed_after_signing_are_refused_with_a_clear_problem(client, db, citizen):
    key = PhoneKey()
    key.register(client, citizen)
    phone, did, values, documents = _ready_draft(client, db, citizen)
    signature = key.sign(did, values, documents, "2026-11-30T10:00:00+00:00")
    # Someone changes a field after the phone signed.
    dossier = db.session.get(Dossier, did)
    dossier.fields = {**dossier.fields, "child_full_name": "Tên khác"}
    db.session.commit()
    result = phone.one("dossier.submit", {"dossier_id": str(did), "device_signature": signature})
    assert result["status"] == "rejected"
    assert result["error"]["type"] == "/problems/signature-mismatch"
    assert "thay đổi sau khi ký" in result["error"]["detail"]
    db.session.expire_all()
    assert db.session.get(Dossier, did).status == "draft"


def test_a_signature_by_another_key_or_garbage_is_refused(client, db, citizen, make_citizen):
    mine, theirs = PhoneKey(), PhoneKey()
    mine.register(client, citizen)
    theirs.register(client, make_citizen(name="Người khác"))
    phone, did, values, documents = _ready_draft(client, db, citizen)
    forged = mine.sign(did, values, documents, "2026-11-30T10:00:00+00:00")
    forged["signature"] = theirs.sign(did, values, documents, forged["captured_at"])["signature"]
    assert phone.one("dossier.submit", {"dossier_id": str(did), "device_signature": forged}
                     )["error"]["status"] == 422
    other_key = theirs.sign(did, values, documents, "2026-11-30T10:00:00+00:00")
    assert phone.one("dossier.submit", {"dossier_id": str(did), "device_signature": other_key}
                     )["error"]["status"] == 404
    for junk in ("x", {"key_id": mine.id}, {"key_id": mine.id, "captured_at": "t",
                                            "signature": "!!"}):
        r = phone.one("dossier.submit", {"dossier_id": str(did), "device_signature": junk})
        assert r["status"] == "rejected" and r["error"]["status"] in (404, 422)


def test_unsigned_submission_is_accepted_and_the_desk_says_so(client, db, citizen, official):
    phone, did, _values, _documents = _ready_draft(client, db, citizen)
    assert phone.one("dossier.submit", {"dossier_id": str(did)})["status"] == "applied"
    desk = client.get(f"/api/v1/office/dossiers/{did}", headers=official.headers).get_json()
    assert desk["submission_signature"]["signed"] is False


def test_malformed_public_keys_are_422(client, citizen):
    for jwk in ({"kty": "RSA"}, {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}, {}):
        resp = client.post("/api/v1/devices/keys", headers=citizen.headers,
                           json={"public_key": jwk})
        assert resp.status_code == 422, resp.get_json()


def test_a_document_other_than_the_one_signed_is_refused(client, db, citizen):
    key = PhoneKey()
    key.register(client, citizen)
    phone, did, values, documents = _ready_draft(client, db, citizen)
    code = next(iter(documents))
    dossier = db.session.get(Dossier, did)
    dossier.documents = {**documents, code: {**documents[code], "sha256": "b" * 64}}
    db.session.commit()
    # The phone signed the file it uploaded (hash a…); the server holds another (b…).
    signed_other = key.sign(did, values, {**documents, code: {"sha256": "a" * 64}},
                            "2026-11-30T10:00:00+00:00")
    r = phone.one("dossier.submit", {"dossier_id": str(did), "device_signature": signed_other})
    assert r["status"] == "rejected" and r["error"]["type"] == "/problems/signature-mismatch"
    signed_same = key.sign(did, values, dict(db.session.get(Dossier, did).documents),
                           "2026-11-30T10:00:00+00:00")
    r = phone.one("dossier.submit", {"dossier_id": str(did), "device_signature": signed_same})
    assert r["status"] == "applied", r
