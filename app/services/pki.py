"""Agency keys and certificates: a demo CA for the embedded default, PKCS#12 in production.

Layout of the key directory (`PKI_DIR`, default `instance/pki/`, never in the repo):

    trust.pem        the root(s) documents are validated against (the demo CA, or the
                     national CA chain in production)
    ca.key           the demo CA's private key (demo only; absent in production)
    <AGENCY>.p12     each agency's signing key and certificate chain (PKCS#12)
    passphrase       the PKCS#12 passphrase when `PKI_PASSPHRASE` is not set

`flask pki init` writes all of it for every agency in the catalog. Production copies each
agency's PKCS#12 (from its CA) to `<AGENCY>.p12` or names it with `AGENCY_PKCS12_<CODE>`,
and sets `PKI_PASSPHRASE` (or `PKI_PASSPHRASE_<CODE>` per agency). No Flask here.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


class SignerUnavailable(RuntimeError):
    """No key is configured for this agency (run `flask pki init` on the demo)."""


@dataclass(frozen=True)
class AgencyKeys:
    """Where one deployment keeps its keys: a directory plus environment overrides."""

    directory: Path
    passphrase: str | None = None
    overrides: dict[str, str] | None = None  # agency code -> PKCS#12 path
    passphrases: dict[str, str] | None = None  # agency code -> its own passphrase

    @classmethod
    def from_environment(cls, directory: str | Path) -> AgencyKeys:
        env = os.environ
        overrides = {k.removeprefix("AGENCY_PKCS12_"): v for k, v in env.items()
                     if k.startswith("AGENCY_PKCS12_") and v}
        passphrases = {k.removeprefix("PKI_PASSPHRASE_"): v for k, v in env.items()
                       if k.startswith("PKI_PASSPHRASE_") and v}
        return cls(Path(directory), env.get("PKI_PASSPHRASE") or None, overrides, passphrases)

    def pkcs12_path(self, agency_code: str) -> Path:
        override = (self.overrides or {}).get(agency_code.upper())
        return Path(override) if override else self.directory / f"{agency_code}.p12"

    def passphrase_for(self, agency_code: str) -> bytes:
        own = (self.passphrases or {}).get(agency_code.upper())
        if own or self.passphrase:
            return (own or self.passphrase or "").encode()
        path = self.directory / "passphrase"
        if not path.exists():
            raise SignerUnavailable("no PKCS#12 passphrase: set PKI_PASSPHRASE")
        return path.read_text().strip().encode()

    def trust_roots(self) -> list[x509.Certificate]:
        path = self.directory / "trust.pem"
        if not path.exists():
            raise SignerUnavailable(f"no trust roots at {path}: run `flask pki init`")
        return x509.load_pem_x509_certificates(path.read_bytes())


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _demo_ca(directory: Path) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """Load the demo CA, creating it (ten years) at first run."""
    key_path, cert_path = directory / "ca.key", directory / "trust.pem"
    if key_path.exists() and cert_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return key, x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name("Hoso Demo Root CA (không dùng cho giấy tờ thật)", "Hoso demo")
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                       critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(key_path, key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert


def init_demo(keys: AgencyKeys, agencies: Iterable[tuple[str, str]]) -> list[str]:
    """Create the demo CA and a signing certificate for each (code, name) agency that has
    none yet; returns the codes it created. Existing keys are kept (documents stay valid)."""
    keys.directory.mkdir(parents=True, exist_ok=True)
    os.chmod(keys.directory, 0o700)
    ca_key, ca_cert = _demo_ca(keys.directory)
    pass_path = keys.directory / "passphrase"
    if keys.passphrase is None and not pass_path.exists():
        _write_private(pass_path, secrets.token_urlsafe(24).encode())
    created = []
    for code, name in agencies:
        path = keys.pkcs12_path(code)
        if path.exists():
            continue
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder().subject_name(_name(f"{name} ({code})", name))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1825))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False,
                                         False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        blob = pkcs12.serialize_key_and_certificates(
            code.encode(), key, cert, [ca_cert],
            serialization.BestAvailableEncryption(keys.passphrase_for(code)))
        _write_private(path, blob)
        created.append(code)
    return created


def load_signer(keys: AgencyKeys, agency_code: str) -> object:
    """The pyHanko signer for an agency, from its PKCS#12. Kept per process while the file
    (path, size, modification time) and its passphrase stay the same, so a replaced key
    is read on its next use."""
    from pyhanko.sign import signers

    path = keys.pkcs12_path(agency_code)
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise SignerUnavailable(
            f"no signing key for agency {agency_code}: run `flask pki init`") from None
    passphrase = keys.passphrase_for(agency_code)
    version = (stat.st_mtime_ns, stat.st_size, hashlib.sha256(passphrase).digest())
    with _signers_lock:
        kept = _signers.get(str(path))
    if kept is not None and kept[0] == version:
        return kept[1]
    signer = signers.SimpleSigner.load_pkcs12(str(path), passphrase=passphrase)
    if signer is None:
        raise SignerUnavailable(f"could not read {path}")
    with _signers_lock:
        _signers[str(path)] = (version, signer)
    return signer


# PKCS#12 path -> ((mtime, size, passphrase hash), its loaded signer).
_signers: dict[str, tuple[tuple[int, int, bytes], object]] = {}
_signers_lock = threading.Lock()
