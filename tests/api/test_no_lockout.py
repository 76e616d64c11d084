"""Nobody can lock a citizen out: guessing is slowed per account and per device, a device
that signed in before keeps its own budget, known and unknown accounts get the same
answers, and a commune's phones behind one carrier-grade NAT address all get in."""

from __future__ import annotations

from typing import Any

import pytest

from app.limits import DEFAULTS as LIMIT_DEFAULTS
from app.limits import limiter
from tests.signup import last_code

PASSWORD = "Mat-khau-rat-kho-9"


@pytest.fixture()
def production_limits(app: Any) -> Any:
    """The shipped limits, not the test app's generous ones."""
    saved = dict(app.config)
    app.config.update(LIMIT_DEFAULTS)
    limiter.reset()
    yield app.config
    app.config.clear()
    app.config.update(saved)
    limiter.reset()


def _login(client: Any, login: str, password: str, device: str | None = None,
           address: str = "203.0.113.7") -> Any:
    body = {"login": login, "password": password}
    if device:
        body["device_token"] = device
    return client.post("/api/v1/auth/login", json=body, environ_base={"REMOTE_ADDR": address})


def _register(client: Any, phone: str, address: str = "203.0.113.7") -> Any:
    """Sign up from `address` (register, the code, verify): the verification's answer."""
    env = {"REMOTE_ADDR": address}
    sent = client.post("/api/v1/auth/register", environ_base=env,
                       json={"phone": phone, "password": PASSWORD, "full_name": "Nguyễn Văn An"})
    if sent.status_code != 202:
        return sent
    return client.post("/api/v1/auth/verify", environ_base=env, json={
        "login": phone, "code": last_code(client, phone, environ_base=env)})


def test_guessing_never_locks_the_owners_own_phone_out(client, production_limits):
    assert _register(client, "0987654321").status_code in (200, 201)
    owner = _login(client, "0987654321", PASSWORD, address="198.51.100.1")
    assert owner.status_code == 200
    device = owner.get_json()["device_token"]

    codes = [_login(client, "0987654321", f"doan-mo-{i}").status_code for i in range(12)]
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429], codes
    # From a device that never signed in, even the right password waits (a delay, not a lock).
    waiting = _login(client, "0987654321", PASSWORD)
    assert waiting.status_code == 429 and 1 <= int(waiting.headers["Retry-After"]) <= 15 * 60
    # The owner's phone keeps its own budget and signs in at once.
    again = _login(client, "0987654321", PASSWORD, device=device, address="198.51.100.1")
    assert again.status_code == 200, again.get_json()


def test_known_and_unknown_accounts_get_the_same_answers(client, production_limits, official):
    assert _register(client, "0987654321").status_code in (200, 201)
    answers = {}
    for login in ("0987654321", "0911111111", official.user.email, "nobody@example.vn"):
        seen = [_login(client, login, "sai-mat-khau-1") for _ in range(11)]
        answers[login] = [(r.status_code, r.get_json()["detail"]) for r in seen]
    first, *rest = answers.values()
    assert all(a == first for a in rest), answers
    assert first[-1][0] == 429 and first[0][0] == 401


def test_a_device_token_for_another_account_is_no_pass(client, production_limits):
    _register(client, "0987654321")
    _register(client, "0987654322")
    other = _login(client, "0987654322", PASSWORD).get_json()["device_token"]
    for i in range(10):
        _login(client, "0987654321", f"doan-mo-{i}")
    assert _login(client, "0987654321", PASSWORD, device=other).status_code == 429
    assert _login(client, "0987654321", PASSWORD, device="abc.def").status_code == 429


@pytest.mark.timeout(1200)  # 3,000 requests: about 2 minutes, more on a loaded machine
def test_a_commune_behind_one_nat_address_all_get_in_while_guessing_is_stopped(
        client, production_limits):
    """500 citizens register and sign in from one address within the hour; 1,000 guesses at
    one account from that same address are stopped after the account's budget."""
    for i in range(500):
        phone = f"0971{i:06d}"
        assert _register(client, phone).status_code in (200, 201), i
        assert _login(client, phone, PASSWORD).status_code == 200, i
    guesses = [_login(client, "0971000000", f"doan-{i}").status_code for i in range(1000)]
    assert guesses.count(200) == 0
    assert guesses.count(401) <= 10 and guesses.count(429) >= 990
    # The commune's next citizen still gets in from that address.
    assert _register(client, "0979999999").status_code in (200, 201)
    assert _login(client, "0979999999", PASSWORD).status_code == 200
