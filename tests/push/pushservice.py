"""A real local Web Push service for tests and the fan-out benchmark.

HTTPS with a certificate made here (its CA is handed to the app as PUSH_CA_BUNDLE). For
every POST it checks the VAPID JWT (ES256 against the `k=` key, `aud` = our origin, `exp`
in the future and at most 24 h away, `sub` mailto:/https:), decrypts the aes128gcm body
with the device's private key and auth secret as a browser would, records what it got,
and answers what the test scripted: 201 by default, or 410, 429 with Retry-After, 500…
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import re
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import http_ece
import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

VAPID_HEADER = re.compile(r"^vapid t=([A-Za-z0-9_.-]+),\s*k=([A-Za-z0-9_-]+)$")
TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_tls(folder: Path) -> tuple[Path, Path, Path]:
    """A throw-away CA and a certificate for localhost signed by it: (ca, cert, key) files."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Hoso test push CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    paths = folder / "push-ca.pem", folder / "push-cert.pem", folder / "push-key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


@dataclass
class Device:
    """The browser side of one subscription: its ECDH key pair and auth secret."""

    token: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes

    @property
    def p256dh(self) -> str:
        return b64url(self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))

    def subscription(self, **extra: Any) -> dict[str, Any]:
        """What `PushSubscription.toJSON()` gives in the browser."""
        return {"endpoint": self.endpoint, "expirationTime": None,
                "keys": {"p256dh": self.p256dh, "auth": b64url(self.auth)}, **extra}


@dataclass
class Received:
    token: str
    at: float
    status: int
    headers: dict[str, str]
    claims: dict[str, Any] | None = None
    vapid_key: str | None = None
    message: dict[str, Any] | None = None
    size: int = 0
    problems: list[str] = field(default_factory=list)


class PushService:
    def __init__(self, folder: Path) -> None:
        self.ca, cert, key = make_tls(folder)
        self.devices: dict[str, Device] = {}
        self.scripts: dict[str, list[tuple[int, dict[str, str]]]] = {}
        self.received: list[Received] = []
        self.lock = threading.RLock()  # predicates of wait_until lock again
        self.changed = threading.Condition(self.lock)
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, headers = service._handle(self.path, dict(self.headers.items()), body)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.origin = f"https://localhost:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    # -- test controls ---------------------------------------------------------------------
    def new_device(self) -> Device:
        token = uuid.uuid4().hex
        device = Device(token, f"{self.origin}/push/{token}",
                        ec.generate_private_key(ec.SECP256R1()), uuid.uuid4().bytes)
        with self.lock:
            self.devices[token] = device
        return device

    def script(self, device: Device, *responses: int | tuple[int, dict[str, str]]) -> None:
        """The next answers for this device, in order; 201 once they run out."""
        with self.lock:
            self.scripts[device.token] = [r if isinstance(r, tuple) else (r, {}) for r in responses]

    def reset(self) -> None:
        with self.lock:
            self.devices.clear()
            self.scripts.clear()
            self.received.clear()

    def for_device(self, device: Device) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.token == device.token]

    def accepted(self, device: Device | None = None) -> list[Received]:
        with self.lock:
            return [r for r in self.received if 200 <= r.status < 300
                    and (device is None or r.token == device.token)]

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        with self.changed:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"push service: condition not met in {timeout}s; "
                                         f"received {[(r.token[:6], r.status) for r in self.received]}")
                self.changed.wait(min(left, 0.5))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- the push service --------------------------------------------------------------------
    def _handle(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str]]:
        h = {k.lower(): v for k, v in headers.items()}
        token = path.rsplit("/", 1)[-1]
        with self.lock:
            device = self.devices.get(token)
        if device is None or not path.startswith("/push/"):
            return 404, {}
        got = Received(token, time.monotonic(), 0, h, size=len(body))
        self._check(device, h, body, got)
        with self.lock:
            script = self.scripts.get(token) or []
            status, extra = script.pop(0) if script else (201, {})
            if got.problems:
                status, extra = 400, {}
            got.status = status
            self.received.append(got)
            self.changed.notify_all()
        if 200 <= status < 300:
            extra = {"Location": f"{self.origin}/message/{uuid.uuid4().hex}", **extra}
        return status, extra

    def _check(self, device: Device, h: dict[str, str], body: bytes, got: Received) -> None:
        match = VAPID_HEADER.match(h.get("authorization", ""))
        if not match:
            got.problems.append("no vapid Authorization header")
        else:
            token, k = match.groups()
            got.vapid_key = k
            try:
                key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(k))
                claims = jwt.decode(token, key, algorithms=["ES256"], audience=self.origin,
                                    options={"require": ["exp", "aud", "sub"]})
                got.claims = claims
                if claims["exp"] > time.time() + 86400:
                    got.problems.append("JWT exp more than 24 h away")
                if not str(claims["sub"]).startswith(("mailto:", "https:")):
                    got.problems.append("JWT sub is not mailto: or https:")
            except (jwt.PyJWTError, ValueError) as exc:
                got.problems.append(f"VAPID JWT rejected: {exc}")
        if not h.get("ttl", "").isdigit():
            got.problems.append("TTL header missing")
        if h.get("urgency") not in (None, "very-low", "low", "normal", "high"):
            got.problems.append("bad Urgency")
        if "topic" in h and not TOPIC.match(h["topic"]):
            got.problems.append("bad Topic")
        if h.get("content-encoding") != "aes128gcm":
            got.problems.append("Content-Encoding is not aes128gcm")
        if len(body) > 4096:
            got.problems.append("payload over 4096 bytes")
        try:
            plain = http_ece.decrypt(body, private_key=device.private_key, auth_secret=device.auth,
                                     version="aes128gcm")
            got.message = json.loads(plain)
        except Exception as exc:  # noqa: BLE001 - anything undecryptable is the sender's fault
            got.problems.append(f"cannot decrypt: {exc!r}")
