"""Sync: the phone pushes its queued mutations and pulls what changed (see docs/sync-protocol.md)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, current_app, request
from flask_jwt_extended import get_current_user
from flask_smorest import Blueprint, abort

from api.security import BEARER, citizen_token_required, request_language
from api.sync.schemas import EnvelopeError, PullOut, PullQuery, PushIn, PushOut, load_push
from app import compactjson
from app.errors import PayloadTooLarge
from app.extensions import db
from app.observability import SYNC_MUTATIONS
from sync.faults import injector
from sync.pull import pull as pull_changes
from sync.push import FaultPolicy
from sync.push import push as push_batch

blp = Blueprint("sync", __name__, url_prefix="/api/v1/sync", description="Offline sync")


def _limit_body(fn: Callable[..., Any]) -> Callable[..., Any]:
    """413 with the limit before the body is parsed."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        limit = current_app.config["SYNC_MAX_BATCH_BYTES"]
        size = request.content_length
        if size is None:
            size = len(request.get_data(cache=True))
        if size > limit:
            raise PayloadTooLarge(f"A batch holds at most {limit} bytes.", extra={
                "max_bytes": limit, "max_mutations": current_app.config["SYNC_MAX_BATCH"]})
        return fn(*args, **kwargs)

    return wrapper


def _push_body(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Parse the push body with `load_push` (what `@blp.arguments(PushIn)` did, answered the
    same way, without a marshmallow pass over every mutation of the batch)."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if request.get_data(cache=True):
            body = request.get_json(silent=True)
            if body is None and request.get_data(cache=True).strip() != b"null":
                abort(400, messages={"json": ["Invalid JSON body."]})
        else:
            body = {}
        try:
            loaded = load_push(body)
        except EnvelopeError as exc:
            abort(422, messages={"json": exc.messages})
        return fn(loaded, *args, **kwargs)

    return wrapper


def _count(results: list[dict[str, Any]]) -> None:
    for status, n in Counter(r["status"] for r in results).items():
        SYNC_MUTATIONS.labels(status=status).inc(n)


@blp.post("/push")
@_limit_body
@_push_body
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": PushIn}}})
@blp.response(200, PushOut)
@blp.doc(security=BEARER)
@citizen_token_required
def push(body: dict[str, Any]) -> Response:
    """Apply queued mutations in id order, each exactly once; answered after commit."""
    config = current_app.config
    answer = push_batch(db.session, get_current_user(), body["client_id"], body["mutations"],
                        lang=request_language(), max_batch=config["SYNC_MAX_BATCH"],
                        max_bytes=config["SYNC_MAX_BATCH_BYTES"], on_applied=_count,
                        policy=_fault_policy(config))
    return current_app.response_class(compactjson.dumps(answer), mimetype="application/json")


def _fault_policy(config: Any) -> FaultPolicy:
    # The fault hook is for tests only: a production config cannot switch it on.
    inject = injector(config.get("SYNC_TEST_FAULT")) if config.get("TESTING") else None
    return FaultPolicy(poison_after=config["SYNC_POISON_DELIVERIES"],
                       retry_after=config["SYNC_FAULT_RETRY_AFTER"], inject=inject)


@blp.get("/pull")
@blp.arguments(PullQuery, location="query")
@blp.response(200, PullOut)
@blp.doc(security=BEARER)
@citizen_token_required
def pull(query: dict[str, Any]) -> Response:
    """Changes after `cursor` (every change exactly once), or a snapshot without a cursor."""
    page = pull_changes(db.session, get_current_user(), query.get("client_id"),
                        query.get("cursor"), query["limit"])
    return current_app.response_class(compactjson.dumps(page), mimetype="application/json")
