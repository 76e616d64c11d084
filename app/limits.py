"""Abuse limits (flask-limiter): on Redis when REDIS_URL is set, else in the database
(app/limit_store.py), so every gunicorn worker and node counts against the same figure.

Mobile carriers put many phones behind one address (CGNAT), so per-address limits are
generous and each sensitive route also has a tighter per-account (or per-user) limit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from flask import current_app, request
from flask_jwt_extended import get_jwt_identity, verify_jwt_in_request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import RequestEntityTooLarge


class RouteLimiter(Limiter):
    """Checks only the limits a route declares (the decorators below).

    flask-limiter also checks, before every request, the default and application-wide
    limits; Hoso sets none (`init_app` refuses them), so that pass only cost every request
    of every phone about 0.1 ms of CPU to find nothing. The decorated routes check their
    own limits as their view is called (flask-limiter's `in_middleware=False` path)."""

    def _check_request_limit(self, callable_name: str | None = None,
                             in_middleware: bool = True) -> None:
        if not in_middleware:
            super()._check_request_limit(callable_name, in_middleware)


limiter = RouteLimiter(key_func=get_remote_address, headers_enabled=True, key_prefix="hoso")

# Per-address figures are sized for carrier-grade NAT: a commune's phones share one
# address, and 500 of them registering and signing in within an hour must all get in.
# Guessing is stopped by the failure budgets of app/login_guard.py (per account and
# device), not by these.
DEFAULTS = {
    "RATELIMIT_LOGIN_IP": "3000/hour",
    "RATELIMIT_REGISTER_IP": "2000/hour",
    "RATELIMIT_REFRESH_IP": "6000/hour",
    # Text messages and code checks per phone number (a code has 5 tries of its own).
    "RATELIMIT_CODES_RECIPIENT": "10/hour;20/day",
    # Failed sign-ins (app/login_guard.py): delays per account, per known device, per address.
    "LOGIN_FAILURES_ACCOUNT": "10/15 minutes;50/day",
    "LOGIN_FAILURES_DEVICE": "10/15 minutes",
    "LOGIN_FAILURES_IP": "300/hour",
    "RATELIMIT_REFRESH_SESSION": "10/minute",
    "RATELIMIT_UPLOADS_USER": "600/minute",
    "RATELIMIT_PUSH_USER": "30/hour",
    # Public pages of signed documents (/verify, /s): each validates or serves a PDF.
    "RATELIMIT_PUBLIC_DOCUMENTS_IP": "120/minute",
}


def _setting(name: str) -> Callable[[], str]:
    return lambda: current_app.config.get(name, DEFAULTS[name])


def _body_value(*keys: str) -> str:
    body = request.get_json(silent=True)
    if isinstance(body, dict):
        for key in keys:
            if isinstance(body.get(key), str) and body[key]:
                return body[key].strip().lower()
    return ""


def _session_key() -> str:
    return "sess:" + hashlib.sha256(_body_value("refresh_token").encode()).hexdigest()


def _user_key() -> str:
    try:
        verify_jwt_in_request()
        return f"user:{get_jwt_identity()}"
    except Exception:  # unauthenticated calls are limited by address; auth answers them
        return get_remote_address()


def login_limits(fn: Any) -> Any:
    return limiter.limit(_setting("RATELIMIT_LOGIN_IP"))(fn)


def register_limits(fn: Any) -> Any:
    return limiter.limit(_setting("RATELIMIT_REGISTER_IP"))(fn)


def _recipient_key() -> str:
    return "code-to:" + hashlib.sha256(_body_value("login", "phone", "email").encode()).hexdigest()


def code_limits(fn: Any) -> Any:
    """Routes that send or check a one-time code: per address (NAT-sized) and per number."""
    fn = limiter.limit(_setting("RATELIMIT_REGISTER_IP"))(fn)
    return limiter.limit(_setting("RATELIMIT_CODES_RECIPIENT"), key_func=_recipient_key)(fn)


def refresh_limits(fn: Any) -> Any:
    fn = limiter.limit(_setting("RATELIMIT_REFRESH_IP"))(fn)
    return limiter.limit(_setting("RATELIMIT_REFRESH_SESSION"), key_func=_session_key)(fn)


def per_address(setting: str) -> Callable[[Any], Any]:
    """A per-address limit for a public route (document verification, share links)."""
    return limiter.limit(_setting(setting))


def per_user(setting: str) -> Callable[[Any], Any]:
    """A per-user limit for an authenticated route (uploads, push subscriptions)."""
    return limiter.limit(_setting(setting), key_func=_user_key)


def _cap_streamed_body() -> None:
    """A chunked body (no Content-Length) past MAX_CONTENT_LENGTH is a 413 like any other.

    Werkzeug cuts such a stream at the limit without saying so, which the JSON parser then
    reports as a malformed body; tus uploads read their stream with a cap of their own.
    """
    if request.content_length is not None or request.path.startswith("/api/v1/uploads"):
        return
    if "chunked" not in request.headers.get("Transfer-Encoding", "").lower():
        return
    limit = request.max_content_length
    if limit is not None and len(request.get_data(cache=True)) >= limit \
            and request.environ["wsgi.input"].read(1):
        raise RequestEntityTooLarge()


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _check_input() -> None:
    """Input no handler should ever see, refused with a 4xx problem up front:
    - JSON nested so deep that parsing it exhausts the stack (a 500 otherwise);
    - NUL characters: never text a person typed, and PostgreSQL cannot store them. A sync
      batch is left to the engine, which consumes such a mutation as rejected rather than
      block the phone's queue behind it."""
    if not request.path.startswith("/api/"):
        return
    from app.errors import ValidationFailed

    body = None
    nul = False
    try:
        if request.is_json and request.content_length:
            body = request.get_json(silent=True)
        nul = not request.path.startswith("/api/v1/sync/push") and _has_nul(body)
    except RecursionError:
        raise ValidationFailed("The JSON body is nested too deeply.",
                               errors={"_schema": ["nested too deeply"]}) from None
    if request.path.startswith("/api/v1/sync/push"):
        return
    if (nul or "\x00" in request.path
            or any(_has_nul(k) or _has_nul(v) for k, v in request.args.items(multi=True))):
        raise ValidationFailed("Text may not contain NUL characters.",
                               errors={"_schema": ["NUL (\\u0000) is not allowed."]})


def init_app(app: Any) -> None:
    app.before_request(_cap_streamed_body)
    app.before_request(_check_input)
    # Counters shared by every worker and node: Redis when configured, else the database.
    from app import limit_store  # noqa: F401  (registers the hoso+sql:// storage)

    if not app.config.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = app.config.get("REDIS_URL") or "hoso+sql://"
    if app.config["RATELIMIT_STORAGE_URI"].startswith("hoso+sql"):
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {
            "database_url": str(app.config["SQLALCHEMY_DATABASE_URI"])})
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)  # a dead Redis must not stop logins
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    for name in ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION"):
        if app.config.get(name):
            raise ValueError(f"{name} is not supported: limits are declared per route "
                             "(app/limits.py).")
    # Registered before the limiter's own: runs after it (Flask runs them in reverse).
    app.after_request(_keep_retry_after)
    limiter.init_app(app)


RETRY_AFTER = "hoso_retry_after"


def _keep_retry_after(resp: Any) -> Any:
    """flask-limiter raises a 429's Retry-After to the reset of the route's own limit (an
    hour for the per-address sign-in limit); a sign-in delay's own figure is the true one."""
    from flask import g

    value = g.pop(RETRY_AFTER, None)
    if value is not None and resp.status_code == 429:
        resp.headers["Retry-After"] = str(value)
    return resp
