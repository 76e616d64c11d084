"""Abuse limits answer 429 problem+json with Retry-After, per address and per account."""

from __future__ import annotations

import pytest

from app.limits import limiter


@pytest.fixture()
def tight(app):
    saved = dict(app.config)
    yield app.config
    app.config.update(saved)
    limiter.reset()


def test_login_is_limited_per_account(client, tight):
    tight["LOGIN_FAILURES_ACCOUNT"] = "3/minute"
    body = {"login": "0900000001", "password": "whatever-123"}
    codes = [client.post("/api/v1/auth/login", json=body).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    resp = client.post("/api/v1/auth/login", json=body)
    assert resp.mimetype == "application/problem+json"
    assert int(resp.headers["Retry-After"]) >= 1
    # Another account from the same address is not affected.
    other = client.post("/api/v1/auth/login", json={**body, "login": "0900000002"})
    assert other.status_code == 401


def test_register_is_limited_per_address(client, tight):
    tight["RATELIMIT_REGISTER_IP"] = "2/hour"
    codes = [client.post("/api/v1/auth/register", json={
        "phone": f"09111111{i:02d}", "password": "Mat-khau-rat-kho-9", "full_name": "A"}).status_code
        for i in range(3)]
    assert codes == [202, 202, 429]


@pytest.mark.parametrize("setting", ["RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION"])
def test_limits_for_every_route_are_refused_at_start(setting, tmp_path):
    from app import create_app

    # Routes check only their own limits; a global one would be silently ignored.
    with pytest.raises(ValueError, match=setting):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db", setting: "1/minute"})
