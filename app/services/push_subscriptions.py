"""Web Push subscriptions: which devices of a citizen receive pushes, and which are refused.

Only https endpoints on a named, allow-listed push service are stored, so delivery never
posts to an address a client chose (docs/push.md).
"""

from __future__ import annotations

import binascii
import ipaddress
import re
import uuid
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.errors import Conflict, ValidationFailed
from app.models.accounts import User
from app.models.base import utcnow
from app.models.push import PushSubscription
from app.services.vapid import b64url_decode

B64URL = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")
LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
HOSTNAME = re.compile(rf"^{LABEL}(?:\.{LABEL})*$")


def endpoint_problem(endpoint: str, allowed_hosts: list[str]) -> str | None:
    """Why a push endpoint is refused, or None: https, a named host on the allow-list only."""
    if len(endpoint) > 2048 or any(c.isspace() or c == "\\" or ord(c) < 0x20 for c in endpoint):
        return "The endpoint is not a valid URL."
    parts = urlsplit(endpoint)
    if parts.scheme != "https":
        return "The endpoint must be an https URL."
    if "@" in parts.netloc or parts.fragment:
        return "The endpoint must not carry credentials or a fragment."
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        return "The endpoint's port is invalid."
    try:
        ipaddress.ip_address(host)
        return "The endpoint must name a push service, not an IP address."
    except ValueError:
        pass
    # Named hosts only: ASCII labels, a top-level label that starts with a letter (this also
    # refuses numeric IPv4 spellings such as 2130706433 or 0x7f.1), no trailing dot.
    if not HOSTNAME.match(host) or not host.rsplit(".", 1)[-1][:1].isalpha():
        return "The endpoint's host is not a valid host name."
    for entry in allowed_hosts:
        entry_host, _, entry_port = entry.strip().lower().partition(":")
        if entry_host.startswith("*."):
            host_ok = host.endswith(entry_host[1:]) and len(host) > len(entry_host) - 1
        else:
            host_ok = host == entry_host
        port_ok = (port in (None, 443)) if not entry_port else str(port) == entry_port
        if host_ok and port_ok:
            return None
    return "The endpoint is not on a known push service."


def keys_problems(p256dh: str, auth: str) -> dict[str, list[str]]:
    """p256dh must be an uncompressed P-256 point (65 bytes) and auth a 16-byte secret."""
    errors: dict[str, list[str]] = {}
    try:
        raw = b64url_decode(p256dh) if B64URL.match(p256dh) else b""
        if len(raw) != 65 or raw[0] != 4:
            raise ValueError
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except (ValueError, binascii.Error):
        errors["keys.p256dh"] = ["Must be a base64url uncompressed P-256 public key (65 bytes)."]
    try:
        if not B64URL.match(auth) or len(b64url_decode(auth)) != 16:
            raise ValueError
    except (ValueError, binascii.Error):
        errors["keys.auth"] = ["Must be a base64url 16-byte authentication secret."]
    return errors


def subscribe(
    session: Session,
    user: User,
    *,
    endpoint: str,
    p256dh: str,
    auth: str,
    allowed_hosts: list[str],
    device_id: str | None = None,
    user_agent: str | None = None,
    max_devices: int = 10,
) -> tuple[PushSubscription, bool]:
    """Store this device's subscription for `user`; a device re-subscribing replaces its old one.

    The device is known by `device_id` when the PWA sends one, else by its endpoint. An
    endpoint held by another account moves here: the browser now belongs to this citizen.
    """
    errors = keys_problems(p256dh, auth)
    problem = endpoint_problem(endpoint, allowed_hosts)
    if problem:
        errors["endpoint"] = [problem]
    if errors:
        raise ValidationFailed("The push subscription was refused.", errors=errors)
    now = utcnow()
    by_endpoint = session.scalars(
        select(PushSubscription).where(PushSubscription.endpoint == endpoint).with_for_update()
    ).first()
    sub = None
    if device_id:
        sub = session.scalars(
            select(PushSubscription)
            .where(
                PushSubscription.user_id == user.id,
                PushSubscription.device_id == device_id,
            )
            .with_for_update()
        ).first()
    if sub is None and by_endpoint is not None and by_endpoint.user_id == user.id:
        sub = by_endpoint
    if by_endpoint is not None and by_endpoint is not sub:
        session.delete(by_endpoint)
        session.flush()
    created = sub is None
    if sub is None:
        sub = PushSubscription(id=uuid.uuid4(), user_id=user.id, created_at=now)
        session.add(sub)
    sub.endpoint, sub.p256dh, sub.auth, sub.updated_at = endpoint, p256dh, auth, now
    sub.device_id = device_id or sub.device_id
    sub.user_agent = (user_agent or "")[:200] or None
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent subscribe of the same device won the race
        raise Conflict("This device subscribed at the same time from elsewhere; retry.") from exc
    stale = session.scalars(
        select(PushSubscription.id)
        .where(PushSubscription.user_id == user.id)
        .order_by(PushSubscription.updated_at.desc())
        .offset(max_devices)
    )
    for old in list(stale):
        session.execute(delete(PushSubscription).where(PushSubscription.id == old))
    return sub, created


def unsubscribe(session: Session, user: User, endpoint: str) -> bool:
    result = session.execute(
        delete(PushSubscription).where(
            PushSubscription.user_id == user.id, PushSubscription.endpoint == endpoint
        )
    )
    return bool(result.rowcount)
