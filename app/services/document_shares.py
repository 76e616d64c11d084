"""Share links: a time-limited, revocable URL that opens one signed document without an
account. Only the SHA-256 of the token is stored, so a database leak opens nothing."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import Gone, NotFound
from app.models.signed import IssuedDocument, ShareLink
from app.services import clock
from app.services.ids import as_uuid

MAX_HOURS = 24 * 30
DEFAULT_HOURS = 72


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(session: Session, document: IssuedDocument, hours: int = DEFAULT_HOURS
           ) -> tuple[ShareLink, str]:
    """A new link for `hours` (1..720); returns it with the token (shown once)."""
    token = secrets.token_urlsafe(24)
    now = clock.now()
    link = ShareLink(id=uuid.uuid4(), document_id=document.id, token_hash=_hash(token),
                     created_at=now, expires_at=now + timedelta(hours=max(1, min(hours, MAX_HOURS))))
    session.add(link)
    session.flush()
    return link, token


def links_of(session: Session, document: IssuedDocument) -> list[ShareLink]:
    return list(session.scalars(select(ShareLink).where(ShareLink.document_id == document.id)
                                .order_by(ShareLink.created_at)))


def revoke(session: Session, document: IssuedDocument, link_id: Any) -> ShareLink:
    key = as_uuid(link_id)
    link = session.get(ShareLink, key) if key is not None else None
    if link is None or link.document_id != document.id:
        raise NotFound("No such share link.")
    if link.revoked_at is None:
        link.revoked_at = clock.now()
    return link


def open_shared(session: Session, token: str) -> IssuedDocument:
    """The document behind a link; an unknown token is 404, a revoked or expired one 410."""
    link = session.scalars(select(ShareLink).where(ShareLink.token_hash == _hash(token))).first()
    if link is None:
        raise NotFound("No such share link.")
    if link.revoked_at is not None:
        raise Gone("This share link was revoked.", extra={"reason": "revoked"})
    if link.expires_at <= clock.now():
        raise Gone("This share link has expired.", extra={"reason": "expired"})
    document = session.get(IssuedDocument, link.document_id)
    if document is None:
        raise NotFound("No such share link.")
    return document


def link_dict(link: ShareLink, token: str | None = None) -> dict[str, Any]:
    data = {"id": str(link.id), "created_at": link.created_at.isoformat(),
            "expires_at": link.expires_at.isoformat(),
            "revoked_at": link.revoked_at.isoformat() if link.revoked_at else None,
            "active": link.revoked_at is None and link.expires_at > clock.now()}
    if token is not None:
        data["url"] = f"/s/{token}"
    return data
