"""Accounts: registration rules, sign-in throttling, refresh rotation and reuse."""

from __future__ import annotations


def register(client, **body):
    payload = {"phone": "0987654321", "password": "Mat-khau-rat-kho-9", "full_name": "Trần Thị Bình"}
    payload.update(body)
    return client.post("/api/v1/auth/register", json=payload)


def test_register_then_login_with_phone_in_any_format(client):
    resp = register(client)
    assert resp.status_code == 201
    assert resp.get_json()["user"]["phone"] == "0987654321"
    login = client.post("/api/v1/auth/login",
                        json={"login": "+84987654321", "password": "Mat-khau-rat-kho-9"})
    assert login.status_code == 200
    tokens = login.get_json()
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.get_json()["full_name"] == "Trần Thị Bình"


def test_register_with_email(client):
    resp = register(client, phone=None, email="Binh@Example.VN")
    assert resp.status_code == 201
    assert resp.get_json()["user"]["email"] == "binh@example.vn"


def test_weak_password_is_refused_with_reasons(client):
    resp = register(client, password="12345678")
    assert resp.status_code == 422
    assert resp.mimetype == "application/problem+json"
    assert "password" in resp.get_json()["errors"]


def test_taken_phone_is_a_conflict(client):
    assert register(client).status_code == 201
    again = register(client, phone="+84 987 654 321")
    assert again.status_code == 409
    assert again.get_json()["errors"] == {"phone": ["Đã có tài khoản với thông tin này."]}


def test_wrong_password_then_throttled(client):
    register(client)
    bad = {"login": "0987654321", "password": "wrong-password-1"}
    for _ in range(3):  # the test app allows 3 free attempts
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
