"""Abuse limits per user on uploads and push subscriptions, body caps on every route, and the
limiter's shared Redis storage across gunicorn workers."""

from __future__ import annotations

import base64
import os
import uuid
from typing import Any
from urllib.parse import urljoin

import pytest
import redis
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from app.limits import limiter
from tests.servers import Gunicorn, free_port
from tests.uploads.helpers import TUS, doc_meta

REDIS_DB_URL = os.environ.get("HOSO_HARD_REDIS_URL", "redis://127.0.0.1:6379/7")


@pytest.fixture()
def tight(app):
    saved = dict(app.config)
    yield app.config
    app.config.update(saved)
    limiter.reset()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def subscription() -> dict[str, Any]:
    """What a browser's PushSubscription.toJSON() gives, with a real P-256 key."""
    point = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {"endpoint": f"https://fcm.googleapis.com/fcm/send/{uuid.uuid4().hex}",
            "expirationTime": None, "keys": {"p256dh": _b64(point), "auth": _b64(os.urandom(16))},
            "device_id": uuid.uuid4().hex}


def _assert_limited(resp: Any) -> None:
    assert resp.status_code == 429, resp.data[:300]
    assert resp.mimetype == "application/problem+json"
    assert resp.get_json()["status"] == 429
    assert int(resp.headers["Retry-After"]) >= 1


def test_push_subscriptions_are_limited_per_user(client, tight, make_citizen):
    tight["RATELIMIT_PUSH_USER"] = "3/hour"
    an, binh = make_citizen(), make_citizen("Trần Thị Bình")
    codes = [client.post("/api/v1/push/subscriptions", json=subscription(),
                         headers=an.headers).status_code for _ in range(3)]
    assert codes == [201, 201, 201]
    _assert_limited(client.post("/api/v1/push/subscriptions", json=subscription(),
                                headers=an.headers))
    # Another citizen behind the same carrier address is not affected.
    assert client.post("/api/v1/push/subscriptions", json=subscription(),
                       headers=binh.headers).status_code == 201


def _create_upload(client: Any, actor: Any) -> Any:
    return client.post("/api/v1/uploads", headers={
        **actor.headers, **TUS, "Upload-Length": "2048", "Upload-Metadata": doc_meta()})


def test_uploads_are_limited_per_user(client, tight, make_citizen):
    tight["RATELIMIT_UPLOADS_USER"] = "3/minute"
    an, binh = make_citizen(), make_citizen("Trần Thị Bình")
    assert [_create_upload(client, an).status_code for _ in range(3)] == [201, 201, 201]
    _assert_limited(_create_upload(client, an))
    assert _create_upload(client, binh).status_code == 201


def _path(rule: Any) -> str:
    path = rule.rule
    for arg in rule.arguments:
        value = "1" if arg == "version" else str(uuid.uuid4())
        for conv in ("", "int:", "path:", "uuid:"):
            path = path.replace(f"<{conv}{arg}>", value)
    return path


def test_every_json_route_refuses_a_huge_body_with_413(app, client, citizen, make_official):
    """A body past MAX_CONTENT_LENGTH is refused before it is parsed, on every route that
    reads one; routes that read none answer without reading it (never a 5xx)."""
    official = make_official()
    huge = b'{"x": "' + b"a" * app.config["MAX_CONTENT_LENGTH"] + b'"}'
    checked = 0
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS", "GET"}):
            path = _path(rule)
            if path.startswith("/api/v1/uploads"):
                continue  # tus bodies have their own cap (next test)
            who = official if path.startswith("/api/v1/office") else citizen
            resp = client.open(path, method=method, data=huge,
                               headers={**who.headers, "Content-Type": "application/json"})
            assert resp.status_code == 413, (method, path, resp.status_code, resp.data[:200])
            assert resp.mimetype == "application/problem+json"
            assert resp.get_json()["type"] == "/problems/payload-too-large"
            checked += 1
    assert checked >= 8


def test_huge_bodies_without_length_are_cut_off_by_a_real_server(app, db, citizen, tmp_path):
    """Chunked bodies (no Content-Length) are capped too: a sync batch at the JSON limit and a
    tus PATCH at the per-request chunk limit, both 413 problem+json."""
    db.session.commit()
    server = Gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, workers=1, threads=2,
                      env={"MAX_BODY_BYTES": "65536", "UPLOAD_CHUNK_MAX_BYTES": "65536"})
    try:
        def endless(total: int) -> Any:
            sent = 0
            while sent < total:
                sent += 8192
                yield b" " * 8192

        resp = requests.post(server.url + "/api/v1/sync/push", data=endless(4 << 20), timeout=30,
                             headers={**citizen.headers, "Content-Type": "application/json"})
        assert resp.status_code == 413, resp.text[:300]
        assert resp.headers["Content-Type"] == "application/problem+json"
        created = requests.post(server.url + "/api/v1/uploads", timeout=10, headers={
            **citizen.headers, **TUS, "Upload-Length": str(1 << 20), "Upload-Metadata": doc_meta()})
        assert created.status_code == 201, created.text
        location = urljoin(server.url, created.headers["Location"])  # a path: no PUBLIC_URL here
        resp = requests.patch(location, data=endless(1 << 20), timeout=30,
                              headers={**citizen.headers, **TUS, "Upload-Offset": "0",
                                       "Content-Type": "application/offset+octet-stream"})
        assert resp.status_code == 413, resp.text[:300]
        assert resp.headers["Content-Type"] == "application/problem+json"
        head = requests.head(location, timeout=10,
                             headers={**citizen.headers, **TUS})
        assert int(head.headers["Upload-Offset"]) <= 65536  # nothing past the cap was kept
    finally:
        server.stop()


def test_limits_are_shared_by_every_worker_through_redis(app, db, make_citizen, tmp_path):
    try:
        store = redis.Redis.from_url(REDIS_DB_URL, socket_timeout=2)
        store.ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_DB_URL}")
    an, binh = make_citizen(), make_citizen("Trần Thị Bình")
    db.session.commit()
    server = Gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, workers=2, threads=2,
                      env={"REDIS_URL": REDIS_DB_URL, "RATELIMIT_UPLOADS_USER": "4/minute"})
    try:
        def create(actor: Any) -> requests.Response:
            # A new connection each time, so the two workers take turns.
            return requests.post(server.url + "/api/v1/uploads", timeout=10, headers={
                **actor.headers, **TUS, "Upload-Length": "2048", "Upload-Metadata": doc_meta(),
                "Connection": "close"})

        codes = [create(an).status_code for _ in range(6)]
        assert codes == [201] * 4 + [429] * 2, codes  # in memory, each worker would allow 4
        limited = create(an)
        assert limited.headers["Content-Type"] == "application/problem+json"
        assert limited.json()["status"] == 429
        assert int(limited.headers["Retry-After"]) >= 1
        assert create(binh).status_code == 201
        keys = [k.decode() for k in store.scan_iter(f"*user:{an.id}*")]
        assert keys, "the counter is not in Redis"
    finally:
        server.stop()
        for key in store.scan_iter(f"*user:{an.id}*"):
            store.delete(key)
        for key in store.scan_iter(f"*user:{binh.id}*"):
            store.delete(key)


def test_a_dead_redis_does_not_stop_the_app(app, db, citizen, tmp_path):
    """Limits fall back to memory when Redis is unreachable; phones keep working."""
    phone = citizen.user.phone
    db.session.commit()  # and read nothing more: on SQLite a read would hold the write lock
    server = Gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, workers=1, threads=2,
                      env={"REDIS_URL": f"redis://127.0.0.1:{free_port()}/7"})
    try:
        resp = requests.post(server.url + "/api/v1/uploads", timeout=20, headers={
            **citizen.headers, **TUS, "Upload-Length": "2048", "Upload-Metadata": doc_meta()})
        assert resp.status_code == 201, resp.text[:300]
        resp = requests.post(server.url + "/api/v1/auth/login", timeout=20, json={
            "login": phone, "password": citizen.password})
        assert resp.status_code == 200, resp.text[:300]
    finally:
        server.stop()


def test_behind_a_proxy_limits_see_each_phone_and_links_stay_https(app, db, citizen, tmp_path):
    """PROXY_FIX=1: the per-address limit keys on X-Forwarded-For (not the proxy's address);
    the upload's Location is built from PUBLIC_URL, never from a (forwarded) Host header."""
    db.session.commit()
    server = Gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, workers=1, threads=2,
                      env={"PROXY_FIX": "1", "RATELIMIT_REGISTER_IP": "2/hour",
                           "PUBLIC_URL": "https://hoso.example.gov.vn"})
    try:
        def register(address: str) -> int:
            return requests.post(server.url + "/api/v1/auth/register", timeout=10, headers={
                "X-Forwarded-For": address, "X-Forwarded-Proto": "https"}, json={
                "phone": f"09{uuid.uuid4().int % 10**8:08d}", "password": "Khong-doan-duoc-42",
                "full_name": "Lê Văn Cường"}).status_code

        assert [register("203.0.113.7") for _ in range(3)] == [202, 202, 429]
        assert register("198.51.100.23") == 202  # another phone behind the same proxy
        created = requests.post(server.url + "/api/v1/uploads", timeout=10, headers={
            **citizen.headers, **TUS, "Upload-Length": "2048", "Upload-Metadata": doc_meta(),
            "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "evil.example"})
        assert created.status_code == 201, created.text
        assert created.headers["Location"].startswith("https://hoso.example.gov.vn/api/v1/uploads/")
    finally:
        server.stop()


@pytest.mark.parametrize("path", ["/api/v1/office/stats?from=0001-01-01",
                                  "/api/v1/office/stats?to=9999-12-31",
                                  "/api/v1/quality/index?from=0001-01-01",
                                  "/api/v1/office/dossiers?submitted_from=0001-01-01",
                                  "/api/v1/office/dossiers?assignee_id=260331339414",
                                  "/api/v1/office/audit?actor_id=83852989128",
                                  "/api/v1/office/audit.csv?actor_id=83852989128"])
def test_a_day_or_id_no_dossier_can_have_is_invalid_input_not_a_server_error(client: Any, official: Any,
                                                                       path: str) -> None:
    resp = client.get(path, headers=official.headers)
    assert resp.status_code == 422, resp.get_data(as_text=True)
    assert resp.headers["Content-Type"].startswith("application/problem+json")
