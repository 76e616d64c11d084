"""Access tokens verified once per process are still refused when they expire, are
tampered with, or lose their signing key (app/tokens.py)."""

from __future__ import annotations

import time
from datetime import timedelta

from flask_jwt_extended import create_access_token


def _me(client, token):
    return client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})


def test_a_token_verified_before_is_refused_once_it_expires(app, client, citizen):
    with app.app_context():
        token = create_access_token(identity=str(citizen.id), additional_claims={"kind": "citizen"},
                                    expires_delta=timedelta(seconds=2))
    assert _me(client, token).status_code == 200
    assert _me(client, token).status_code == 200  # the second request is answered from the cache
    deadline = time.monotonic() + 10
    while (expired := _me(client, token)).status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert expired.status_code == 401
    assert expired.get_json()["title"] == "Phiên đăng nhập đã hết hạn"


def test_a_tampered_copy_of_a_verified_token_is_refused(client, citizen):
    assert _me(client, citizen.access).status_code == 200
    head, payload, signature = citizen.access.split(".")
    forged = f"{head}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BA'}"
    assert _me(client, forged).status_code == 401
    # Claims changed under the original signature: a different token, verified afresh.
    assert _me(client, f"{head}.{payload[:-2]}xx.{signature}").status_code == 401
    assert _me(client, citizen.access).status_code == 200


def test_the_kept_header_of_a_verified_token_is_the_tokens_own(app, client, citizen):
    """The header flask-jwt-extended reads after decoding comes from the verified copy; it is
    the one PyJWT reads from the token itself."""
    import jwt as pyjwt

    from app.tokens import _header

    assert _me(client, citizen.access).status_code == 200  # verified, kept
    with app.test_request_context():
        assert app.extensions["flask-jwt-extended"].verified_header(citizen.access) is not None
        assert _header(citizen.access) == pyjwt.get_unverified_header(citizen.access)
        fresh = create_access_token(identity=str(citizen.id), additional_claims={"kind": "citizen"})
        assert _header(fresh) == pyjwt.get_unverified_header(fresh)  # never verified: read
