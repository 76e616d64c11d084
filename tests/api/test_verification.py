"""A phone number is verified before it is called verified: sign-up and password reset by
one-time SMS code (a real SpeedSMS adapter, tested against a local server speaking its
API, and the development outbox), sign-up that never tells whether a number is taken,
numbers nobody verified cannot be squatted, and weak passwords refused by zxcvbn."""

from __future__ import annotations

import base64
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from app import revocations
from app.services import sms
from tests.signup import PASSWORD, last_code, sign_up


def _register(client: Any, phone: str, password: str = PASSWORD, name: str = "Trần Thị Bình",
              **kw: Any) -> Any:
    return client.post("/api/v1/auth/register", json={"phone": phone, "password": password,
                                                      "full_name": name}, **kw)


def _login(client: Any, login: str = "0987654321", password: str = PASSWORD) -> Any:
    return client.post("/api/v1/auth/login", json={"login": login, "password": password})


def _profile(client: Any, tokens: dict[str, Any]) -> dict[str, Any]:
    resp = client.get("/api/v1/warehouse", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["profile"]


class SpeedSmsApi(BaseHTTPRequestHandler):
    """What api.speedsms.vn answers to POST /index.php/sms/send (Basic auth: token, "x")."""

    token = "speedsms-test-token"
    received: list[dict[str, Any]] = []
    fail = False

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        auth = base64.b64decode(self.headers.get("Authorization", "Basic ").split(" ", 1)[1] or b"")
        if self.path != "/index.php/sms/send" or auth != f"{self.token}:x".encode():
            answer = {"status": "error", "code": "007", "message": "invalid access token"}
        elif self.fail:
            answer = {"status": "error", "code": "300", "message": "not enough balance"}
        else:
            type(self).received.append(body)
            answer = {"status": "success", "code": "00", "data": {
                "tranId": len(self.received), "totalSMS": 1, "totalPrice": 250, "invalidPhone": []}}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture()
def speedsms(app: Any) -> Any:
    server = HTTPServer(("127.0.0.1", 0), SpeedSmsApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    SpeedSmsApi.received, SpeedSmsApi.fail = [], False
    saved = {k: app.config.get(k) for k in ("SMS_PROVIDER", "SPEEDSMS_ACCESS_TOKEN", "SPEEDSMS_URL")}
    app.config.update(SMS_PROVIDER="speedsms", SPEEDSMS_ACCESS_TOKEN=SpeedSmsApi.token,
                      SPEEDSMS_URL=f"http://127.0.0.1:{server.server_port}/index.php")
    yield SpeedSmsApi
    app.config.update(saved)
    server.shutdown()


def test_the_outbox_shows_a_numbers_latest_five_messages_newest_first(client, db):
    outbox = sms.Outbox(db.session)
    for n in range(7):
        outbox.send("0987000111", f"tin {n}")
    outbox.send("0987000222", "tin cua so khac")
    db.session.commit()
    shown = client.get("/api/v1/auth/dev-outbox", query_string={"to": "098 700 0111"}).get_json()
    assert [m["text"] for m in shown["messages"]] == ["tin 6", "tin 5", "tin 4", "tin 3", "tin 2"]


def test_sign_up_through_the_speedsms_gateway(client, speedsms):
    resp = _register(client, "0987654321")
    assert resp.status_code == 202 and resp.get_json()["outbox"] is False
    (sent,) = speedsms.received
    assert sent["to"] == ["84987654321"] and sent["sms_type"] == 2
    code = re.search(r"\b(\d{6})\b", sent["content"]).group(1)
    assert _login(client).status_code == 401  # not before the code came back
    assert client.get("/api/v1/auth/dev-outbox", query_string={"to": "0987654321"}).status_code == 404
    tokens = client.post("/api/v1/auth/verify", json={"login": "0987654321", "code": code})
    assert tokens.status_code == 200, tokens.get_json()
    assert _profile(client, tokens.get_json())["phone"]["verified"] is True
    assert _login(client).status_code == 200


def test_a_gateway_failure_is_a_503_and_leaves_nothing(client, speedsms):
    speedsms.fail = True
    resp = _register(client, "0987654321")
    assert resp.status_code == 503 and int(resp.headers["Retry-After"]) > 0
    speedsms.fail = False
    assert _register(client, "0987654321").status_code == 202
    assert len(speedsms.received) == 1


def test_sign_up_never_tells_whether_a_number_is_taken(client, official):
    sign_up(client, "0987654321")
    taken = _register(client, "0987654321", "Mot-mat-khau-khac-77", "Kẻ Mạo Danh")
    fresh = _register(client, "0987654322")
    assert taken.status_code == fresh.status_code == 202
    assert taken.get_json().keys() == fresh.get_json().keys()
    assert {k: v for k, v in taken.get_json().items() if k != "to"} == \
        {k: v for k, v in fresh.get_json().items() if k != "to"}
    # The owner is told by SMS; nothing about the account changed.
    messages = client.get("/api/v1/auth/dev-outbox", query_string={"to": "0987654321"}).get_json()
    text = messages["messages"][0]["text"]
    assert "dang ky" in text and not re.search(r"\d{6}", text)
    assert _login(client, "0987654321").status_code == 200
    assert _login(client, "0987654321", "Mot-mat-khau-khac-77").status_code == 401
    # Officials' emails are no different.
    by_email = client.post("/api/v1/auth/register", json={
        "email": official.user.email, "password": PASSWORD, "full_name": "Ai Đó"})
    assert by_email.status_code == 202


def test_a_number_nobody_verified_cannot_be_squatted(client):
    assert _register(client, "0987654321", "Ke-chiem-so-2026!", "Kẻ Chiếm Số").status_code == 202
    tokens = sign_up(client, "0987654321", full_name="Chủ Thật Sự")
    assert tokens["user"]["full_name"] == "Chủ Thật Sự"
    assert _login(client, "0987654321", "Ke-chiem-so-2026!").status_code == 401


def test_a_code_is_single_use_and_has_five_tries(client):
    _register(client, "0987654321")
    code = last_code(client, "0987654321")
    wrong = [client.post("/api/v1/auth/verify", json={"login": "0987654321", "code": "000000"
                                                      if code != "000000" else "111111"})
             for _ in range(5)]
    assert all(r.status_code == 422 for r in wrong)
    assert "code" in wrong[0].get_json()["errors"]
    late = client.post("/api/v1/auth/verify", json={"login": "0987654321", "code": code})
    assert late.status_code == 422  # worn out: ask for a new one
    _register(client, "0987654321")
    fresh = last_code(client, "0987654321")
    assert client.post("/api/v1/auth/verify", json={"login": "0987654321", "code": fresh}).status_code == 200
    assert client.post("/api/v1/auth/verify", json={"login": "0987654321", "code": fresh}).status_code == 422


def test_password_reset_uses_the_same_code_and_ends_other_sessions(client):
    old = sign_up(client, "0987654321")
    unknown = client.post("/api/v1/auth/password-reset", json={"login": "0911111111"})
    known = client.post("/api/v1/auth/password-reset", json={"login": "0987654321"})
    assert unknown.status_code == known.status_code == 202
    code = last_code(client, "0987654321")
    weak = client.post("/api/v1/auth/password-reset/confirm", json={
        "login": "0987654321", "code": code, "password": "qwertyui"})
    assert weak.status_code == 422 and "password" in weak.get_json()["errors"]
    done = client.post("/api/v1/auth/password-reset/confirm", json={
        "login": "0987654321", "code": code, "password": "Mat-khau-moi-hoan-toan-7"})
    assert done.status_code == 200, done.get_json()
    assert _login(client, "0987654321").status_code == 401
    assert _login(client, "0987654321", "Mat-khau-moi-hoan-toan-7").status_code == 200
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": old["refresh_token"]})
    assert refreshed.status_code == 401
    revocations.mark_polled()  # at once: this process knows what it revoked, without a read
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {old['access_token']}"})
    assert me.status_code == 401


@pytest.mark.parametrize("password", ["abcabcab", "qwertyui", "tranthibinh", "TranThiBinh1",
                                      "0987654321a", "12345678"])
def test_weak_passwords_are_refused_with_the_message_the_app_shows(client, password):
    resp = client.post("/api/v1/auth/register", headers={"Accept-Language": "vi"}, json={
        "phone": "0987654321", "password": password, "full_name": "Trần Thị Bình"})
    assert resp.status_code == 422
    (message,) = resp.get_json()["errors"]["password"]
    check = client.post("/api/v1/auth/password-check", headers={"Accept-Language": "vi"}, json={
        "password": password, "full_name": "Trần Thị Bình", "phone": "0987654321"}).get_json()
    assert check == {"ok": False, "problems": [message]}
    assert "dễ đoán" in message or "8 ký tự" in message


def test_a_strong_password_passes_the_same_check(client):
    check = client.post("/api/v1/auth/password-check", json={
        "password": PASSWORD, "full_name": "Trần Thị Bình", "phone": "0987654321"})
    assert check.get_json() == {"ok": True, "problems": []}
