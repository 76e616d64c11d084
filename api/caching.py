"""Strong ETags and Cache-Control for cacheable JSON (catalog and form versions)."""

from __future__ import annotations

from typing import Any

from flask import Response, json, request

from app.services.catalog import canonical_etag


def cached_json(body: Any, *, cache_control: str, etag: str | None = None) -> Response:
    """A JSON response with a strong ETag; answers 304 when the client already has it."""
    resp = Response(json.dumps(body), mimetype="application/json")
    resp.set_etag(etag or canonical_etag(body))
    resp.headers["Cache-Control"] = cache_control
    resp.vary.add("Accept-Encoding")
    return resp.make_conditional(request)
