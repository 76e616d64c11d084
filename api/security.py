"""Who is calling: JWT identity loading, role guards, and JWT errors as problem+json."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, current_app, request
from flask_jwt_extended import current_user, verify_jwt_in_request

from api.problems import problem_response
from app import revocations
from app.errors import Forbidden
from app.extensions import db, jwt
from app.models.accounts import TokenUser, User
from app.services.i18n import pick_language

F = TypeVar("F", bound=Callable[..., Any])
# Set on a request whose view takes the token's word for who is calling (no row read).
TOKEN_USER = "hoso.token_user"


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
    def _load(_header: dict[str, Any], payload: dict[str, Any]) -> User | TokenUser | None:
        try:
            user_id = int(payload["sub"])
        except (KeyError, ValueError):
            return None
        if request.environ.get(TOKEN_USER) and isinstance(payload.get("kind"), str):
            return TokenUser(user_id, payload["kind"])
        return db.session.get(User, user_id)

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
    # A signed-out session's access tokens are refused on every process (app/revocations.py).
    jwt.token_in_blocklist_loader(lambda _h, payload: revocations.is_revoked(payload))
    jwt.user_lookup_error_loader(lambda h, p: _problem(401, "Unknown user",
                                                       "The account no longer exists."))
    jwt.needs_fresh_token_loader(lambda h, p: _problem(401, "Fresh token required",
                                                       "Sign in again."))


def _guarded(fn: F, check: Callable[[Any], None], *, token_only: bool = False) -> F:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if token_only:
            request.environ[TOKEN_USER] = True
        verify_jwt_in_request()
        check(current_user)
        return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _citizen(user: Any) -> None:
    if user.is_official:
        raise Forbidden("This is for citizens' accounts.")


def _official(user: Any) -> None:
    if not user.is_official:
        raise Forbidden("The back office is for officials only.")


def citizen_required(fn: F) -> F:
    return _guarded(fn, _citizen)


def citizen_token_required(fn: F) -> F:
    """`citizen_required` without reading the account's row: `current_user` is the
    `TokenUser` the access token names. For a view whose domain call checks the row in its
    own first query (the sync push), which saves a round trip per request."""
    return _guarded(fn, _citizen, token_only=True)


def official_required(fn: F) -> F:
    return _guarded(fn, _official)


def user_required(fn: F) -> F:
    return _guarded(fn, lambda _user: None)


def request_language() -> str:
    return pick_language(request.headers.get("Accept-Language"))


BEARER = [{"bearerAuth": []}]
