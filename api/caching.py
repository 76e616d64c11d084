"""Strong ETags and Cache-Control for cacheable JSON (catalog and form versions), and the
encoded catalog bodies each process keeps.

The catalog is the API's most read part and changes only when an operator publishes. Each
process keeps the encoded body and ETag of every catalog answer it gave: a form version
(immutable) for good, a catalog page for `CATALOG_CACHE_SECONDS` (1 s). A conditional GET
or a repeat is then answered without the database or the ORM. A change committed through
any session of this process (a procedure, agency or form version flushed) empties the
cache at once; another process sees it within those seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

import brotli
from flask import Response, current_app, json, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.models.accounts import Agency
from app.models.catalog import FormVersion, Procedure
from app.services.catalog import canonical_etag


def cached_json(body: Any, *, cache_control: str, etag: str | None = None) -> Response:
    """A JSON response with a strong ETag; answers 304 when the client already has it."""
    return encoded_json(json.dumps(body), etag or canonical_etag(body), cache_control)


# Bodies at least this long go in brotli to a browser that accepts it over HTTPS (through the
# front; browsers offer `br` only there, and over plain HTTP the body stays as it is for any
# client): the catalog is 21 KiB of JSON, 4.4 KiB in brotli against 5.2 KiB in the front's gzip.
BROTLI_MIN_BYTES = 1024
_brotli_bodies: dict[str, bytes] = {}


def _brotli(etag: str, body: bytes) -> bytes:
    """`body` in brotli (quality 11), made once per process and ETag: a catalog answer is rebuilt
    every second with the same ETag, and a form version never changes."""
    found = _brotli_bodies.get(etag)
    if found is None:
        if len(_brotli_bodies) >= CatalogBodies.MAX_ENTRIES:
            _brotli_bodies.clear()
        found = _brotli_bodies[etag] = brotli.compress(body, quality=11)
    return found


def encoded_json(text: str | bytes, etag: str, cache_control: str) -> Response:
    body = text.encode() if isinstance(text, str) else text
    if len(body) >= BROTLI_MIN_BYTES and request.is_secure and request.accept_encodings["br"]:
        # The same content in another coding: the ETag is weak (If-None-Match compares weakly,
        # so a copy revalidated with the plain ETag still gets its 304).
        resp = Response(_brotli(etag, body), mimetype="application/json")
        resp.headers["Content-Encoding"] = "br"
        resp.set_etag(etag, weak=True)
    else:
        resp = Response(body, mimetype="application/json")
        resp.set_etag(etag)
    resp.headers["Cache-Control"] = cache_control
    resp.vary.add("Accept-Encoding")
    return resp.make_conditional(request)


class CatalogBodies:
    """Encoded catalog answers by key: `(body, etag, expires)`; `expires` None = for good."""

    MAX_ENTRIES = 512  # search strings vary; the cache is emptied when full

    def __init__(self) -> None:
        self._entries: dict[Hashable, tuple[bytes, str, float | None]] = {}
        self._lock = threading.Lock()
        self._generation = 0

    def get(self, key: Hashable, build: Callable[[], tuple[Any, str | None]], *,
            immutable: bool = False) -> tuple[bytes, str]:
        """The body and ETag for `key`, built (`build() -> (body, etag or None)`) when missing
        or expired. What `build` raises (a 404) is not kept."""
        now = time.monotonic()
        found = self._entries.get(key)
        if found is not None and (found[2] is None or found[2] > now):
            return found[0], found[1]
        generation = self._generation
        body, etag = build()
        text = json.dumps(body).encode()
        entry = (text, etag or canonical_etag(body),
                 None if immutable else now + float(current_app.config.get("CATALOG_CACHE_SECONDS", 1.0)))
        with self._lock:
            if generation == self._generation:  # not built across a change of the catalog
                if len(self._entries) >= self.MAX_ENTRIES:
                    self._entries.clear()
                self._entries[key] = entry
        return entry[0], entry[1]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._generation += 1


catalog_bodies = CatalogBodies()
_CATALOG_MODELS = (Procedure, Agency, FormVersion)


_TOUCHED = "hoso.catalog_touched"


@event.listens_for(Session, "after_flush")
def _catalog_flushed(session: Session, _context: Any) -> None:
    """A procedure, agency or form version written in this process: forget every body now,
    and again at the commit (a body built in between read the old rows)."""
    if any(isinstance(obj, _CATALOG_MODELS)
           for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info[_TOUCHED] = True
        catalog_bodies.clear()


@event.listens_for(Session, "after_commit")
def _catalog_committed(session: Session) -> None:
    if session.info.pop(_TOUCHED, False):
        catalog_bodies.clear()
