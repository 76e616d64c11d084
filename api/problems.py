"""The one place that turns errors into RFC 9457 problem+json: domain errors (plain Python,
`app/errors.py`), Werkzeug's HTTP errors, webargs' validation errors, a lost database and
anything unexpected (500, without internals)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, json, request
from flask_smorest import Api
from marshmallow import INCLUDE, Schema, fields
from werkzeug.exceptions import HTTPException, InternalServerError

from app.errors import DomainError

PROBLEM_MIMETYPE = "application/problem+json"
log = logging.getLogger(__name__)


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    resp = Response(json.dumps(body), status=body["status"], mimetype=PROBLEM_MIMETYPE)
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def _http_problem(error: HTTPException) -> tuple[dict[str, Any], dict[str, str]]:
    code = error.code or 500
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": error.name,
        "status": code,
        "detail": error.description if code < 500 else "The server could not complete the request.",
    }
    headers: dict[str, str] = {}
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages")
    if errors is not None:
        # webargs nests messages by location ({"json": {...}}); flatten the common case.
        if isinstance(errors, dict) and set(errors) <= {"json", "query", "form", "headers"}:
            merged: dict[str, Any] = {}
            for part in errors.values():
                merged.update(part if isinstance(part, dict) else {"_schema": part})
            errors = merged
        body["errors"] = errors
        body["type"] = "/problems/validation-failed"
        body["detail"] = "Some fields are missing or invalid."
    if "message" in data:
        body["detail"] = data["message"]
    headers.update(data.get("headers") or {})
    if code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    if code == 413:
        body["type"] = "/problems/payload-too-large"
    return body, headers


class ProblemSchema(Schema):
    """RFC 9457 problem details, as every error is answered (documents the error responses)."""

    class Meta:
        unknown = INCLUDE

    type = fields.String(required=True, metadata={"example": "/problems/validation-failed"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    errors = fields.Dict(metadata={"description": "Field name → messages, for invalid input"})


class ProblemApi(Api):
    """flask-smorest's Api, answering every HTTP error as problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        # The shared error responses are problem+json, not the default application/json.
        self.DEFAULT_RESPONSE_CONTENT_TYPE = PROBLEM_MIMETYPE
        try:
            super()._register_responses()
        finally:
            del self.DEFAULT_RESPONSE_CONTENT_TYPE

    def handle_http_exception(self, error: HTTPException) -> Response:  # type: ignore[override]
        body, headers = _http_problem(error)
        return problem_response(body, headers)


def _database_unavailable(error: Exception) -> bool:
    """A lost or refused database connection, a timed-out pool, a serialisation failure or
    a busy SQLite file: transient, worth a retry."""
    from sqlalchemy import exc

    if isinstance(error, exc.TimeoutError):
        return True
    if isinstance(error, exc.DBAPIError):
        return bool(error.connection_invalidated) or isinstance(
            error, exc.OperationalError | exc.InterfaceError)
    return False


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(error: DomainError) -> Response:
        return problem_response(error.to_problem(), error.headers)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        if isinstance(error, InternalServerError) and error.original_exception is not None:
            error = error.original_exception  # raised after the view (an after-request hook)
        if isinstance(error, HTTPException):
            body, headers = _http_problem(error)
            return problem_response(body, headers)
        if _database_unavailable(error):
            # The database restarted, failed over or is saturated: nothing was committed, and
            # the client's retry (same mutation ids) is safe. The pool reconnects by itself.
            log.warning("database unavailable on %s %s: %s", request.method, request.path,
                        str(error).splitlines()[0][:200])
            return problem_response({
                "type": "/problems/service-unavailable", "title": "Service unavailable",
                "status": 503, "detail": "The service is briefly unavailable; try again.",
                "retry_after": 2}, {"Retry-After": "2"})
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem_response(
            {
                "type": "about:blank",
                "title": "Internal Server Error",
                "status": 500,
                "detail": "The server could not complete the request.",
            }
        )
