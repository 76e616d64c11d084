"""Rotating the JWT signing key keeps phones signed in: tokens signed with a key listed in
JWT_PREVIOUS_SECRET_KEYS still work (an offline phone's refresh token lasts for weeks)."""

from __future__ import annotations

import pytest

OLD = "test-secret-key-that-is-long-enough-for-hs256"
NEW = "the-new-secret-key-after-rotation-also-long-enough"


@pytest.fixture()
def rotated(app):
    saved = app.config["JWT_SECRET_KEY"], app.config.get("JWT_PREVIOUS_SECRET_KEYS", [])
    yield app.config
    app.config["JWT_SECRET_KEY"], app.config["JWT_PREVIOUS_SECRET_KEYS"] = saved


def test_tokens_of_the_previous_key_survive_a_rotation(client, citizen, rotated):
    assert client.get("/api/v1/auth/me", headers=citizen.headers).status_code == 200
    rotated["JWT_SECRET_KEY"], rotated["JWT_PREVIOUS_SECRET_KEYS"] = NEW, [OLD]
    # The access token signed before the rotation still works, and so does the refresh token.
    assert client.get("/api/v1/auth/me", headers=citizen.headers).status_code == 200
    fresh = client.post("/api/v1/auth/refresh", json={"refresh_token": citizen.refresh})
    assert fresh.status_code == 200, fresh.get_json()
    new_access = fresh.get_json()["access_token"]
    # Once the old key is dropped, old tokens stop working; new ones go on.
    rotated["JWT_PREVIOUS_SECRET_KEYS"] = []
    assert client.get("/api/v1/auth/me", headers=citizen.headers).status_code == 401
    assert client.get("/api/v1/auth/me",
                      headers={"Authorization": f"Bearer {new_access}"}).status_code == 200
