"""Access-token verification, once per token in each process.

A phone sends the same access token with every request for its whole lifetime (15
minutes by default). flask-jwt-extended decodes and verifies it from scratch each time:
four passes of PyJWT over the token's ~400 characters, about 0.2 ms of CPU per request.
`JWTManager` here keeps the header, verifying key and claims of access tokens it has
verified, keyed by the exact token; a cached token is still refused once it expires (the
expiry is checked on every request, with the configured leeway) or once its key is no
longer accepted (the key its `kid` names is looked up again on every request, so a key
dropped from JWT_PREVIOUS_SECRET_KEYS refuses its tokens at once). Anything unusual
(a CSRF value, an expired token being read on purpose, a refresh token) takes the
library's own path.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import jwt as pyjwt
from flask import current_app
from flask_jwt_extended import JWTManager as _JWTManager
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token, view_decorators
from flask_jwt_extended.config import config

# Entries are a few hundred bytes; the cache is emptied when full (tokens are short-lived).
MAX_CACHED = 10_000


class JWTManager(_JWTManager):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # token -> (its header, the key that verified it, its claims)
        self._verified: dict[str, tuple[dict[str, Any], Any, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def init_app(self, app: Any, add_context_processor: bool = False) -> None:
        super().init_app(app, add_context_processor)
        # After decoding a token, flask-jwt-extended reads its header again (PyJWT checks every
        # character of the ~400-character token once more, ≈ 0.1 ms a request): for a token
        # this process verified, the header kept with its claims is the same.
        view_decorators.get_unverified_jwt_headers = _header

    def verified_header(self, encoded_token: str) -> dict[str, Any] | None:
        cached = self._verified.get(encoded_token)
        return dict(cached[0]) if cached is not None else None

    def _decode_jwt_from_config(self, encoded_token: str, csrf_value: Any = None,
                                allow_expired: bool = False) -> dict[str, Any]:
        if csrf_value or allow_expired:
            return super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)
        cached = self._verified.get(encoded_token)
        if cached is not None:
            header, key, claims = cached
            # Still accepted: the key its `kid` names now is the one that verified it
            # (Hoso's key loader reads only the header), and it has not expired.
            if (self._decode_key_callback(header, {}) == key
                    and claims["exp"] > time.time() - config.leeway):
                return dict(claims)
        claims = super()._decode_jwt_from_config(encoded_token)
        if claims.get("type") == "access" and isinstance(claims.get("exp"), int | float):
            header = pyjwt.get_unverified_header(encoded_token)  # verified with the claims
            entry = (header, self._decode_key_callback(header, {}), claims)
            with self._lock:
                if len(self._verified) >= MAX_CACHED:
                    self._verified.clear()
                self._verified[encoded_token] = entry
        return dict(claims)


def _header(encoded_token: str) -> dict[str, Any]:
    """The token's header: the verified copy when this process verified the token."""
    manager = current_app.extensions.get("flask-jwt-extended")
    header = manager.verified_header(encoded_token) if isinstance(manager, JWTManager) else None
    return header if header is not None else pyjwt.get_unverified_header(encoded_token)


class JwtTokenCodec:
    """The accounts service's token codec (`app.services.accounts.TokenCodec`):
    flask-jwt-extended's signing and reading, in the running app's context."""

    def encode_access(self, identity: str, claims: dict[str, Any]) -> str:
        return create_access_token(identity=identity, additional_claims=claims)

    def encode_refresh(self, identity: str, claims: dict[str, Any]) -> str:
        return create_refresh_token(identity=identity, additional_claims=claims)

    def decode(self, token: str, allow_expired: bool) -> dict[str, Any]:
        return decode_token(token, allow_expired=allow_expired)
