"""VAPID (RFC 8292): the application server's key pair and the JWT that proves who pushes.

The private key comes from VAPID_PRIVATE_KEY (PEM, or the base64url raw 32-byte scalar);
without it a key is generated once at first run into instance/vapid_private_key.pem
(mode 0600, never in the repository), so every process of one install shares it.
"""

from __future__ import annotations

import base64
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

if TYPE_CHECKING:  # the app is passed in; this module imports no Flask
    from flask import Flask

KEY_FILE = "vapid_private_key.pem"
JWT_LIFETIME_SECONDS = 12 * 3600  # RFC 8292: at most 24 h


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    text = text.strip()
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class VapidKeys:
    private_key: ec.EllipticCurvePrivateKey
    subject: str

    @property
    def public_key(self) -> str:
        """The base64url raw uncompressed point the browser gets as applicationServerKey."""
        return b64url(self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))

    def authorization(self, endpoint: str, now: float | None = None) -> str:
        """The `Authorization: vapid t=…, k=…` header for one push service origin."""
        parts = urlsplit(endpoint)
        claims = {"aud": f"{parts.scheme}://{parts.netloc}",
                  "exp": int((now or time.time()) + JWT_LIFETIME_SECONDS),
                  "sub": self.subject}
        return Vapid02(self.private_key).sign(claims)["Authorization"]


def generate_private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def private_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode("ascii")


def private_raw(key: ec.EllipticCurvePrivateKey) -> str:
    """The base64url raw private scalar, the compact form VAPID_PRIVATE_KEY accepts."""
    return b64url(key.private_numbers().private_value.to_bytes(32, "big"))


def parse_private_key(value: str) -> ec.EllipticCurvePrivateKey:
    """Read a P-256 private key given as PEM, base64url raw scalar, or base64 DER."""
    value = value.strip()
    if value.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(value.replace("\\n", "\n").encode(), password=None)
    else:
        raw = b64url_decode(value)
        if len(raw) == 32:
            key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
        else:
            key = serialization.load_der_private_key(raw, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError("VAPID_PRIVATE_KEY must be a P-256 (prime256v1) EC private key")
    return key


def _instance_key(instance_path: Path) -> ec.EllipticCurvePrivateKey:
    """The key kept in instance/, created atomically once even with several processes."""
    path = instance_path / KEY_FILE
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=instance_path, prefix=".vapid-")  # mkstemp: mode 0600
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(private_pem(generate_private_key()))
            try:
                os.link(tmp, path)  # fails if another process won the race; keep theirs
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
    return parse_private_key(path.read_text())


SUBJECT = re.compile(r"^(mailto:[^@\s]+@[\w.-]+\.[a-z]{2,}|https://[\w-]+(\.[\w-]+)+)$", re.IGNORECASE)


def _check_subject(subject: str) -> str:
    """RFC 8292 contact: a mailto: address or an https: origin (what push services accept)."""
    if not SUBJECT.match(subject):
        raise ValueError("VAPID_SUBJECT must be mailto:<address> or https://<host>")
    return subject


def keys(app: Flask) -> VapidKeys:
    """This install's VAPID keys, loaded once per app."""
    cached = app.extensions.get("hoso_vapid")
    if cached is None:
        configured = app.config.get("VAPID_PRIVATE_KEY")
        key = (parse_private_key(configured) if configured
               else _instance_key(Path(app.instance_path)))
        cached = VapidKeys(key, _check_subject(app.config.get("VAPID_SUBJECT")
                                               or "mailto:ops@hoso.example"))
        app.extensions["hoso_vapid"] = cached
    return cached
