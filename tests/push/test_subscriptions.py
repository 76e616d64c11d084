"""Subscribing devices: only real push services, valid keys, one subscription per device."""

from __future__ import annotations

import base64
import os
from typing import Any

import pytest
from sqlalchemy import select

from app.models.push import PushSubscription
from tests.push.conftest import release, subscribe
from tests.push.pushservice import b64url


def _body(endpoint: str, device: Any) -> dict[str, Any]:
    return {**device.subscription(), "endpoint": endpoint}


def _subscriptions(db: Any) -> list[tuple[int, str | None, str]]:
    rows = [(s.user_id, s.device_id, s.endpoint) for s in db.session.scalars(
        select(PushSubscription).order_by(PushSubscription.created_at))]
    release()
    return rows


@pytest.mark.parametrize("endpoint", [
    "http://fcm.googleapis.com/fcm/send/abc",                 # not https
    "https://127.0.0.1/push/abc",                             # IP literals
    "https://[::1]/push/abc",
    "https://10.0.0.7/push/abc",
    "https://169.254.169.254/latest/meta-data",
    "https://2130706433/push/abc",                            # 127.0.0.1 spelled as a number
    "https://0x7f.1/push/abc",
    "https://evil.example/fcm/send/abc",                      # not a push service
    "https://fcm.googleapis.com.evil.example/fcm/send/abc",
    "https://evilfcm.googleapis.com/fcm/send/abc",
    "https://notify.windows.com/w/?token=abc",                # the wildcard needs a subdomain
    "https://fcm.googleapis.com@evil.example/fcm/send/abc",   # credentials trick
    "https://user:pw@fcm.googleapis.com/fcm/send/abc",
    "https://fcm.googleapis.com:8443/fcm/send/abc",           # other port
    "https://fcm.googleapis.com:99999/fcm/send/abc",
    "https://fcm.googleapis.com./fcm/send/abc",               # trailing dot
    "https://fcm.googleapis.com\\@evil.example/x",
    "https://FCM.googleapis.com/fcm/send/abc#frag",
    "ftp://fcm.googleapis.com/x",
    "not a url",
])
def test_endpoints_off_the_allow_list_are_refused(client: Any, citizen: Any, push_env: Any,
                                                  db: Any, endpoint: str) -> None:
    device = push_env.service.new_device()
    resp = client.post("/api/v1/push/subscriptions", json=_body(endpoint, device),
                       headers=citizen.headers)
    assert resp.status_code == 422, resp.get_json()
    problem = resp.get_json()
    assert resp.content_type == "application/problem+json"
    assert "endpoint" in problem["errors"]
    assert _subscriptions(db) == []


@pytest.mark.parametrize("endpoint", [
    "https://fcm.googleapis.com/fcm/send/dGVzdA:APA91b",
    "https://FCM.GoogleAPIs.com:443/fcm/send/abc",
    "https://updates.push.services.mozilla.com/wpush/v2/gAAAA",
    "https://wns2-par02p.notify.windows.com/w/?token=BQYAAAB",
    "https://web.push.apple.com/QGc3gHoYZ",
])
def test_known_push_services_are_accepted(client: Any, citizen: Any, push_env: Any, db: Any,
                                          endpoint: str) -> None:
    device = push_env.service.new_device()
    resp = client.post("/api/v1/push/subscriptions", json=_body(endpoint, device),
                       headers=citizen.headers)
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["endpoint"] == endpoint


def test_the_allow_list_is_configurable(app: Any, client: Any, citizen: Any, push_env: Any,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    device = push_env.service.new_device()
    assert subscribe(client, citizen, device).status_code == 201
    monkeypatch.setitem(app.config, "PUSH_ALLOWED_HOSTS", ["*.push.example"])
    other = push_env.service.new_device()
    assert subscribe(client, citizen, other).status_code == 422  # localhost is no longer listed
    resp = client.post("/api/v1/push/subscriptions", headers=citizen.headers,
                       json=_body("https://eu.push.example/abc", other))
    assert resp.status_code == 201


def _key(n: int) -> str:
    return b64url(os.urandom(n))


@pytest.mark.parametrize("keys,bad", [
    ({"p256dh": _key(65), "auth": None}, "keys.p256dh"),       # 65 random bytes: not on the curve
    ({"p256dh": None, "auth": _key(15)}, "keys.auth"),
    ({"p256dh": None, "auth": _key(32)}, "keys.auth"),
    ({"p256dh": "short", "auth": None}, "keys.p256dh"),
    ({"p256dh": None, "auth": "!!not*base64!!!"}, "keys.auth"),
    ({"p256dh": None, "auth": "+" * 22}, "keys.auth"),            # standard, not url-safe, base64
])
def test_malformed_keys_are_refused(client: Any, citizen: Any, push_env: Any, db: Any,
                                    keys: dict[str, Any], bad: str) -> None:
    device = push_env.service.new_device()
    body = device.subscription()
    body["keys"] = {k: v if v is not None else body["keys"][k] for k, v in keys.items()}
    resp = client.post("/api/v1/push/subscriptions", json=body, headers=citizen.headers)
    assert resp.status_code == 422
    assert bad in resp.get_json()["errors"]
    assert _subscriptions(db) == []


def test_compressed_point_is_refused(client: Any, citizen: Any, push_env: Any) -> None:
    device = push_env.service.new_device()
    body = device.subscription()
    raw = base64.urlsafe_b64decode(body["keys"]["p256dh"] + "=")
    body["keys"]["p256dh"] = b64url(bytes([2 + raw[64] % 2]) + raw[1:33])  # 33-byte form
    resp = client.post("/api/v1/push/subscriptions", json=body, headers=citizen.headers)
    assert resp.status_code == 422 and "keys.p256dh" in resp.get_json()["errors"]


def test_missing_fields_are_a_problem(client: Any, citizen: Any, push_env: Any) -> None:
    resp = client.post("/api/v1/push/subscriptions", json={"endpoint": "https://x.example"},
                       headers=citizen.headers)
    assert resp.status_code == 422
    assert "keys" in resp.get_json()["errors"]


def test_one_subscription_per_device(client: Any, db: Any, citizen: Any, push_env: Any) -> None:
    service = push_env.service
    first, renewed, laptop = service.new_device(), service.new_device(), service.new_device()
    created = subscribe(client, citizen, first, device_id="phone-1")
    assert created.status_code == 201
    # The browser renewed its subscription: same device, new endpoint and keys.
    replaced = subscribe(client, citizen, renewed, device_id="phone-1")
    assert replaced.status_code == 200
    assert replaced.get_json()["id"] == created.get_json()["id"]
    # Without a device id the endpoint identifies the device.
    assert subscribe(client, citizen, laptop).status_code == 201
    assert subscribe(client, citizen, laptop).status_code == 200
    assert _subscriptions(db) == [(citizen.id, "phone-1", renewed.endpoint),
                                  (citizen.id, None, laptop.endpoint)]


def test_a_shared_browser_follows_the_citizen_signed_in(client: Any, db: Any, make_citizen: Any,
                                                        push_env: Any) -> None:
    an, binh = make_citizen(), make_citizen(name="Trần Thị Bình")
    device = push_env.service.new_device()
    assert subscribe(client, an, device, device_id="family-phone").status_code == 201
    assert subscribe(client, binh, device, device_id="family-phone").status_code == 201
    assert _subscriptions(db) == [(binh.id, "family-phone", device.endpoint)]


def test_unsubscribe(client: Any, db: Any, make_citizen: Any, push_env: Any) -> None:
    an, binh = make_citizen(), make_citizen()
    device, other = push_env.service.new_device(), push_env.service.new_device()
    subscribe(client, an, device)
    subscribe(client, binh, other)
    # Someone else's endpoint is not touched.
    resp = client.delete("/api/v1/push/subscriptions", json={"endpoint": other.endpoint},
                         headers=an.headers)
    assert resp.status_code == 204
    assert len(_subscriptions(db)) == 2
    resp = client.delete("/api/v1/push/subscriptions", json={"endpoint": device.endpoint},
                         headers=an.headers)
    assert resp.status_code == 204
    assert _subscriptions(db) == [(binh.id, None, other.endpoint)]


def test_subscriptions_are_for_signed_in_citizens(client: Any, official: Any,
                                                  push_env: Any) -> None:
    device = push_env.service.new_device()
    assert client.post("/api/v1/push/subscriptions", json=device.subscription()).status_code == 401
    assert subscribe(client, official, device).status_code == 403


def test_old_devices_are_dropped_past_the_limit(app: Any, client: Any, db: Any, citizen: Any,
                                                push_env: Any,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "PUSH_MAX_DEVICES", 2)
    devices = [push_env.service.new_device() for _ in range(3)]
    for n, device in enumerate(devices):
        assert subscribe(client, citizen, device, device_id=f"d{n}").status_code == 201
    assert [d for _, d, _ in _subscriptions(db)] == ["d1", "d2"]
