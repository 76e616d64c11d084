"""Who is calling: JWT identity loading, role guards, and JWT errors as problem+json."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, current_app, request
from flask_jwt_extended import current_user, verify_jwt_in_request

from app.errors import Forbidden, problem_response
from app.extensions import db, jwt
from app.models.accounts import User
from app.services.i18n import pick_language

F = TypeVar("F", bound=Callable[..., Any])


def _kid(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def init_jwt(app: Flask) -> None:
    # Key rotation: tokens name their key (`kid`); tokens signed with a key listed in
    # JWT_PREVIOUS_SECRET_KEYS stay valid, so a phone offline for weeks keeps its session.
    @jwt.additional_headers_loader
    def _headers(_identity: Any) -> dict[str, str]:
        return {"kid": _kid(current_app.config["JWT_SECRET_KEY"])}

    @jwt.decode_key_loader
    def _decode_key(header: dict[str, Any], _payload: dict[str, Any]) -> str:
        current = current_app.config["JWT_SECRET_KEY"]
        previous = [k for k in current_app.config.get("JWT_PREVIOUS_SECRET_KEYS", []) if k]
        kid = header.get("kid")
        if kid is None:  # issued before tokens named their key
            return previous[-1] if previous else current
        return {_kid(k): k for k in [*previous, current]}.get(kid, current)

    @jwt.user_lookup_loader
    def _load(_header: dict[str, Any], payload: dict[str, Any]) -> User | None:
        try:
            return db.session.get(User, int(payload["sub"]))
        except (KeyError, ValueError):
            return None

    def _problem(status: int, title: str, detail: str) -> Any:
        return problem_response({"type": "/problems/unauthorized" if status == 401 else
                                 "/problems/invalid-token", "title": title, "status": status,
                                 "detail": detail},
                                {"WWW-Authenticate": "Bearer"} if status == 401 else None)

    jwt.unauthorized_loader(lambda reason: _problem(401, "Authentication required", reason))
    jwt.invalid_token_loader(lambda reason: _problem(401, "Invalid token", reason))
    jwt.expired_token_loader(lambda h, p: _problem(401, "Token expired",
                                                   "The access token expired; refresh it."))
    jwt.revoked_token_loader(lambda h, p: _problem(401, "Token revoked", "Sign in again."))
    jwt.user_lookup_error_loader(lambda h, p: _problem(401, "Unknown user",
                                                       "The account no longer exists."))
    jwt.needs_fresh_token_loader(lambda h, p: _problem(401, "Fresh token required",
                                                       "Sign in again."))


def citizen_required(fn: F) -> F:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        verify_jwt_in_request()
        if current_user.is_official:
            raise Forbidden("This is for citizens' accounts.")
        return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def official_required(fn: F) -> F:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        verify_jwt_in_request()
        if not current_user.is_official:
            raise Forbidden("The back office is for officials only.")
        return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def user_required(fn: F) -> F:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        verify_jwt_in_request()
        return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def request_language() -> str:
    return pick_language(request.headers.get("Accept-Language"))


BEARER = [{"bearerAuth": []}]
