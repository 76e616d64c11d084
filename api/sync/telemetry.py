"""Telemetry through the sync path: a phone sends what went wrong, in batches, when online
(docs/quality.md, docs/sync-protocol.md). Never part of the mutation queue: a refused batch
blocks nothing."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, current_app, request
from flask_jwt_extended import get_current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api.security import BEARER, citizen_token_required
from api.transactions import commits
from app.errors import PayloadTooLarge
from app.extensions import db
from app.services import telemetry

blp = Blueprint("sync_telemetry", __name__, url_prefix="/api/v1/sync",
                description="Offline sync: telemetry without personal values")
MAX_BYTES = 64 * 1024


class TelemetryIn(Schema):
    client_id = fields.UUID(required=True)
    events = fields.List(fields.Raw(allow_none=True), required=True, metadata={
        "description": "At most 100 events; each checked on its own (docs/quality.md)"})


def _limited(fn: Callable[..., Any]) -> Callable[..., Any]:
    """413 with the limit before the body is parsed."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        size = request.content_length
        if size is None:
            size = len(request.get_data(cache=True))
        if size > MAX_BYTES:
            raise PayloadTooLarge(f"A telemetry batch holds at most {MAX_BYTES} bytes.",
                                  extra={"max_bytes": MAX_BYTES})
        return fn(*args, **kwargs)

    return wrapper


@blp.post("/telemetry")
@_limited
@blp.arguments(TelemetryIn)
@blp.doc(security=BEARER, responses={"200": {"description": "Kept, and dropped by reason"}})
@citizen_token_required
@commits
def receive(body: dict[str, Any]) -> Response:
    """A batch of events: each kept or dropped (counted by reason); never blocks sync."""
    found = telemetry.receive(db.session, get_current_user().id, body["client_id"], body["events"])
    resp = current_app.json.response(found)
    resp.headers["Cache-Control"] = "no-store"
    return resp
