"""Sessions and caches: signing out ends the session's access tokens too (on every
process), a sign-out without a body ends the session it came from, token and personal
JSON answers are never cached, upload links never come from the Host header, /metrics is
for the monitoring network, and pull sends only what is the user's."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import requests

from app import revocations
from app.models.notifications import Notification
from app.models.sync import Change
from app.services import clock
from tests.factories import make_dossier
from tests.servers import Gunicorn, wait_for
from tests.signup import sign_up
from tests.sync.helpers import Phone
from tests.uploads.helpers import TUS, doc_meta

PASSWORD = "Mat-khau-rat-kho-9"


def _sign_up(client: Any, phone: str = "0987654321") -> dict[str, Any]:
    sign_up(client, phone)
    resp = client.post("/api/v1/auth/login", json={"login": phone, "password": PASSWORD})
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def _bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def test_logout_ends_the_access_token_and_the_refresh_token(client):
    tokens = _sign_up(client)
    assert client.get("/api/v1/auth/me", headers=_bearer(tokens)).status_code == 200
    out = client.post("/api/v1/auth/logout", headers=_bearer(tokens),
                      json={"refresh_token": tokens["refresh_token"]})
    assert out.status_code == 204
    assert client.get("/api/v1/auth/me", headers=_bearer(tokens)).status_code == 401
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 401


def test_logout_with_an_empty_or_no_body_ends_its_own_session(client):
    for body in ({}, None):
        tokens = _sign_up(client, f"09{uuid.uuid4().int % 10**8:08d}")
        if body is None:
            out = client.post("/api/v1/auth/logout", headers=_bearer(tokens))
        else:
            out = client.post("/api/v1/auth/logout", headers=_bearer(tokens), json=body)
        assert out.status_code == 204, out.get_json()
        assert client.get("/api/v1/auth/me", headers=_bearer(tokens)).status_code == 401
        again = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert again.status_code == 401, again.get_json()


def test_another_session_of_the_same_person_goes_on(client):
    phone_one = _sign_up(client)
    other = client.post("/api/v1/auth/login",
                        json={"login": "0987654321", "password": PASSWORD}).get_json()
    client.post("/api/v1/auth/logout", headers=_bearer(phone_one), json={})
    assert client.get("/api/v1/auth/me", headers=_bearer(other)).status_code == 200


def test_a_sign_out_holds_on_every_worker(app, db, make_citizen, tmp_path: Path):
    actor = make_citizen()
    server = Gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, workers=2, threads=2)
    try:
        def me() -> int:
            return requests.get(server.url + "/api/v1/auth/me", timeout=20, headers={
                **actor.headers, "Connection": "close"}).status_code

        # Both workers have verified (and cached) the token.
        assert [me() for _ in range(6)] == [200] * 6
        out = requests.post(server.url + "/api/v1/auth/logout", timeout=20, json={},
                            headers={**actor.headers, "Connection": "close"})
        assert out.status_code == 204
        signed_out = time.monotonic()
        wait_for(lambda: all(me() == 401 for _ in range(4)), 10, "the sign-out on a worker")
        # Every worker reads the revocations at most a second after it served the token.
        wait_for(lambda: time.monotonic() > signed_out + 1.5, 5, "the polling interval")
        assert [me() for _ in range(8)] == [401] * 8
    finally:
        server.stop()
        revocations.forget()


def test_token_answers_and_personal_json_are_never_stored(client, citizen):
    tokens = _sign_up(client)
    for resp in (client.post("/api/v1/auth/login", json={"login": "0987654321",
                                                          "password": PASSWORD}),
                 client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}),
                 client.post("/api/v1/auth/login", json={"login": "0987654321", "password": "x"}),
                 client.get("/api/v1/auth/me", headers=citizen.headers),
                 client.get("/api/v1/dossiers", headers=citizen.headers),
                 client.get("/api/v1/notifications", headers=citizen.headers),
                 client.get("/api/v1/dossiers/not-a-uuid", headers=citizen.headers)):
        assert resp.headers.get("Cache-Control") == "no-store", (resp.request.path,
                                                                 resp.headers.get("Cache-Control"))
    # The public catalog stays cacheable.
    catalog = client.get("/api/v1/procedures", headers=citizen.headers)
    assert "public" in catalog.headers["Cache-Control"]


def test_upload_location_never_echoes_the_host_header(app, client, citizen):
    headers = {**citizen.headers, **TUS, "Upload-Length": "100", "Upload-Metadata": doc_meta(),
               "Host": "evil.example"}
    resp = client.post("/api/v1/uploads", headers=headers)
    assert resp.status_code == 201
    assert "evil.example" not in resp.headers["Location"]
    assert resp.headers["Location"].startswith("/api/v1/uploads/")
    app.config["PUBLIC_URL"] = "https://hoso.example.gov.vn"
    try:
        resp = client.post("/api/v1/uploads", headers=headers)
        assert resp.headers["Location"].startswith("https://hoso.example.gov.vn/api/v1/uploads/")
    finally:
        app.config["PUBLIC_URL"] = ""


def test_metrics_are_for_the_monitoring_network_only(app, client):
    assert client.get("/metrics").status_code == 200  # loopback: the monitoring agent
    outside = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert outside.status_code == 404
    app.config["METRICS_TOKEN"] = "scrape-secret"
    try:
        ok = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"},
                        headers={"Authorization": "Bearer scrape-secret"})
        assert ok.status_code == 200
    finally:
        app.config["METRICS_TOKEN"] = None
    nginx = (Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "hoso-site.conf").read_text()
    block = nginx.split("location = /metrics", 1)[1].split("}", 1)[0]
    assert "deny all;" in block


def test_pull_sends_only_what_is_the_users_whatever_the_feed_names(client, db, make_citizen,
                                                                   official):
    an, binh = make_citizen(), make_citizen("Trần Thị Bình")
    theirs = make_dossier(db.session, binh.user)
    note = Notification(id=uuid.uuid4(), user_id=binh.id, dossier_id=theirs.id, kind="status",
                        title="Riêng tư", body="Của Bình", urgency="normal", data={})
    db.session.add(note)
    db.session.commit()
    phone = Phone(client, an)
    phone.pull_all()
    # A feed row naming someone else's entities (a bug, a bad migration) leaks nothing.
    seq = db.session.get(type(an.user), an.id).change_seq
    for i, (entity, entity_id) in enumerate([("dossier", theirs.id), ("notification", note.id)]):
        db.session.add(Change(user_id=an.id, seq=seq + i + 1, entity=entity,
                              entity_id=str(entity_id), op="put", created_at=clock.now()))
    db.session.get(type(an.user), an.id).change_seq = seq + 2
    db.session.commit()
    changes = phone.pull_all()
    assert len(changes) == 2
    assert all(c["data"] is None and c["op"] == "delete" for c in changes), changes
