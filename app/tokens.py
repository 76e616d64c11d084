"""Access-token verification, once per token and signing key in each process.

A phone sends the same access token with every request for its whole lifetime (15
minutes by default). flask-jwt-extended decodes and verifies it from scratch each time:
four passes of PyJWT over the token's ~400 characters, about 0.2 ms of CPU per request.
`JWTManager` here keeps the claims of access tokens it has verified, keyed by the exact
token and the key that verifies it now; a cached token is still refused once it expires
(the expiry is checked on every request, with the configured leeway) or once its key is
no longer accepted (the key is looked up from the token's `kid` on every request, so a
key dropped from JWT_PREVIOUS_SECRET_KEYS refuses its tokens at once). Anything unusual
(a CSRF value, an expired token being read on purpose, a refresh token) takes the
library's own path.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import jwt as pyjwt
from flask_jwt_extended import JWTManager as _JWTManager
from flask_jwt_extended.config import config

# Entries are a few hundred bytes; the cache is emptied when full (tokens are short-lived).
MAX_CACHED = 10_000


class JWTManager(_JWTManager):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._verified: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def _decode_jwt_from_config(self, encoded_token: str, csrf_value: Any = None,
                                allow_expired: bool = False) -> dict[str, Any]:
        if csrf_value or allow_expired:
            return super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)
        try:
            header = pyjwt.get_unverified_header(encoded_token)
        except pyjwt.PyJWTError:
            return super()._decode_jwt_from_config(encoded_token)  # raises the library's error
        # The key this token needs now (Hoso's key loader reads only the header's `kid`).
        key = (encoded_token, self._decode_key_callback(header, {}))
        claims = self._verified.get(key)
        if claims is not None and claims["exp"] > time.time() - config.leeway:
            return dict(claims)
        claims = super()._decode_jwt_from_config(encoded_token)
        if claims.get("type") == "access" and isinstance(claims.get("exp"), int | float):
            with self._lock:
                if len(self._verified) >= MAX_CACHED:
                    self._verified.clear()
                self._verified[key] = claims
        return dict(claims)
