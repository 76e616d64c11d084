"""With a TSA configured, signatures carry an RFC 3161 timestamp the validator accepts."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from sqlalchemy import select

from app.models.signed import IssuedDocument
from app.services import lifecycle as lc
from app.services import pdf_render, pki, signed_documents
from tests.factories import make_dossier


@pytest.fixture()
def tsa_url(signing: pki.AgencyKeys) -> Iterator[str]:
    """A timestamp authority on 127.0.0.1 whose certificate the demo CA issued."""
    ca_key = serialization.load_pem_private_key((signing.directory / "ca.key").read_bytes(), None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    ca_cert = signing.trust_roots()[0]
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Hoso test TSA")]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .sign(ca_key, hashes.SHA256()))
    stamper = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            answer = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_a_configured_tsa_timestamps_the_signature(signing: pki.AgencyKeys, tsa_url: str) -> None:
    pdf = pdf_render.render_document(pdf_render.Document(title="BIÊN NHẬN"))
    signed = pdf_render.sign_pdf(pdf, pki.load_signer(signing, "UBP-HOANKIEM"),
                                 timestamp_url=tsa_url)
    check = pdf_render.check_signature(signed, signing.trust_roots())
    assert check.valid and check.timestamped, check.problem
    untimed = pdf_render.sign_pdf(pdf, pki.load_signer(signing, "UBP-HOANKIEM"))
    assert not pdf_render.check_signature(untimed, signing.trust_roots()).timestamped


def test_issued_documents_are_timestamped_where_a_tsa_is_configured(
        db, citizen, official, signing, tsa_url) -> None:
    settings = signed_documents.settings()
    before = settings.timestamp_url
    settings.timestamp_url = tsa_url
    try:
        make_dossier(db.session, citizen.user, status=lc.ACCEPTED, official=official.user)
    finally:
        settings.timestamp_url = before
    receipt = db.session.scalars(select(IssuedDocument)).one()
    check = pdf_render.check_signature(receipt.pdf, signing.trust_roots())
    assert check.valid and check.timestamped, check.problem
