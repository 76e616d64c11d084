"""The Account screen's server side: change the password, sign out on every device."""

from __future__ import annotations

from typing import Any

from app import revocations

NEW = "Mat-khau-moi-rat-kho-7"


def _login(client: Any, phone: str, password: str) -> Any:
    return client.post("/api/v1/auth/login", json={"login": phone, "password": password})


def _refresh(client: Any, token: str) -> int:
    return int(client.post("/api/v1/auth/refresh", json={"refresh_token": token}).status_code)


def _me(client: Any, access_token: str) -> int:
    """An access token's answer at once, before the process's next read of the revoked
    sessions (it knows what it revoked itself)."""
    revocations.mark_polled()
    return int(client.get("/api/v1/auth/me",
                          headers={"Authorization": f"Bearer {access_token}"}).status_code)


def test_change_password_checks_the_old_one_and_ends_the_other_sessions(client: Any,
                                                                        make_citizen: Any) -> None:
    phone = "0987000111"
    citizen = make_citizen(phone=phone)
    other = _login(client, phone, citizen.password).get_json()
    here = _login(client, phone, citizen.password).get_json()
    auth = {"Authorization": f"Bearer {here['access_token']}", "Accept-Language": "vi"}

    wrong = client.post("/api/v1/account/password", headers=auth,
                        json={"current_password": "not-it-at-all", "new_password": NEW})
    assert wrong.status_code == 422
    assert wrong.get_json()["errors"] == {"current_password": ["Mật khẩu hiện tại không đúng."]}
    weak = client.post("/api/v1/account/password", headers=auth,
                       json={"current_password": citizen.password, "new_password": "1234"})
    assert weak.get_json()["errors"]["new_password"][0] == "Mật khẩu cần ít nhất 8 ký tự."

    ok = client.post("/api/v1/account/password", headers=auth, json={
        "current_password": citizen.password, "new_password": NEW, "refresh_token": here["refresh_token"]})
    assert ok.status_code == 204
    assert _me(client, other["access_token"]) == 401
    assert _me(client, here["access_token"]) == 200
    assert _login(client, phone, citizen.password).status_code == 401
    assert _login(client, phone, NEW).status_code == 200
    assert _refresh(client, other["refresh_token"]) == 401  # the other phone is signed out
    assert _refresh(client, here["refresh_token"]) == 200  # this one stays


def test_sign_out_everywhere_ends_every_session(client: Any, make_citizen: Any) -> None:
    phone = "0987000222"
    citizen = make_citizen(phone=phone)
    first = _login(client, phone, citizen.password).get_json()
    second = _login(client, phone, citizen.password).get_json()
    resp = client.post("/api/v1/account/sign-out-everywhere", json={},
                       headers={"Authorization": f"Bearer {second['access_token']}"})
    assert resp.status_code == 204
    assert _me(client, first["access_token"]) == 401
    assert _refresh(client, first["refresh_token"]) == 401
    assert _refresh(client, second["refresh_token"]) == 401


def test_another_persons_refresh_token_keeps_nothing(client: Any, make_citizen: Any) -> None:
    mine, theirs = make_citizen(phone="0987000333"), make_citizen(phone="0987000444")
    their_session = _login(client, "0987000444", theirs.password).get_json()
    resp = client.post("/api/v1/account/sign-out-everywhere", headers=mine.headers,
                       json={"refresh_token": their_session["refresh_token"]})
    assert resp.status_code == 204
    assert _refresh(client, their_session["refresh_token"]) == 200  # not mine to end
