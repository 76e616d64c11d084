"""Accounts: registration rules, sign-in throttling, refresh rotation and reuse."""

from __future__ import annotations

from tests.signup import last_code


class _Answer:
    def __init__(self, resp):
        self.resp, self.status_code = resp, resp.status_code

    def get_json(self):
        return self.resp.get_json()


def register(client, **body):
    """Sign up and verify the code: the answer of the verification (tokens, 200)."""
    payload = {"phone": "0987654321", "password": "Mat-khau-rat-kho-9", "full_name": "Trần Thị Bình"}
    payload.update(body)
    sent = client.post("/api/v1/auth/register", json=payload)
    if sent.status_code != 202:
        return sent
    to = payload.get("phone") or payload["email"].strip().lower()
    return client.post("/api/v1/auth/verify", json={"login": to, "code": last_code(client, to)})


def test_register_then_login_with_phone_in_any_format(client):
    resp = register(client)
    assert resp.status_code == 200
    assert resp.get_json()["user"]["phone"] == "0987654321"
    login = client.post("/api/v1/auth/login",
                        json={"login": "+84987654321", "password": "Mat-khau-rat-kho-9"})
    assert login.status_code == 200
    tokens = login.get_json()
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.get_json()["full_name"] == "Trần Thị Bình"


def test_register_with_email(client):
    resp = register(client, phone=None, email="Binh@Example.VN")  # the development outbox
    assert resp.status_code == 200
    assert resp.get_json()["user"]["email"] == "binh@example.vn"


def test_weak_password_is_refused_with_reasons(client):
    resp = register(client, password="12345678")
    assert resp.status_code == 422
    assert resp.mimetype == "application/problem+json"
    assert "password" in resp.get_json()["errors"]


def test_taken_phone_gets_the_same_answer_and_changes_nothing(client):
    assert register(client).status_code == 200
    again = client.post("/api/v1/auth/register", json={
        "phone": "+84 987 654 321", "password": "Mot-mat-khau-khac-77", "full_name": "Ai Đó"})
    assert again.status_code == 202
    login = client.post("/api/v1/auth/login",
                        json={"login": "0987654321", "password": "Mat-khau-rat-kho-9"})
    assert login.status_code == 200


def test_wrong_password_then_throttled(client):
    register(client)
    bad = {"login": "0987654321", "password": "wrong-password-1"}
    for _ in range(10):  # LOGIN_FAILURES_ACCOUNT: 10 per 15 minutes
        assert client.post("/api/v1/auth/login", json=bad).status_code == 401
    resp = client.post("/api/v1/auth/login", json={**bad, "password": "Mat-khau-rat-kho-9"})
    assert resp.status_code == 429
    assert int(resp.headers["Retry-After"]) >= 1
    assert resp.get_json()["retry_after"] >= 1


def test_unknown_account_gets_the_same_answer_as_wrong_password(client):
    resp = client.post("/api/v1/auth/login", json={"login": "0911111111", "password": "x" * 10})
    assert resp.status_code == 401
    assert resp.get_json()["detail"] == "Số điện thoại/email hoặc mật khẩu không đúng."


def test_refresh_rotates_and_reuse_revokes_the_family(client):
    first = register(client).get_json()
    second = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    newer = second.get_json()
    assert newer["refresh_token"] != first["refresh_token"]
    # The old token is presented again (stolen copy): the whole family dies.
    reuse = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401
    after = client.post("/api/v1/auth/refresh", json={"refresh_token": newer["refresh_token"]})
    assert after.status_code == 401


def test_retry_within_grace_window_keeps_the_session(app, client):
    app.config["REFRESH_REUSE_GRACE_SECONDS"] = 30
    try:
        first = register(client).get_json()
        a = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
        b = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
        assert a.status_code == b.status_code == 200
        c = client.post("/api/v1/auth/refresh", json={"refresh_token": b.get_json()["refresh_token"]})
        assert c.status_code == 200
    finally:
        app.config["REFRESH_REUSE_GRACE_SECONDS"] = 0


def test_logout_revokes_the_refresh_token(client):
    tokens = register(client).get_json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    resp = client.post("/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]},
                       headers=headers)
    assert resp.status_code == 204
    again = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert again.status_code == 401


def test_access_token_is_not_a_refresh_token(client):
    tokens = register(client).get_json()
    resp = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["access_token"]})
    assert resp.status_code == 401
