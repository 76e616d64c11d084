"""Hand-picked hostile input the fuzzer rarely draws: NUL characters (PostgreSQL cannot store
them) and integers past what a database column holds. Never a 5xx; a clear 4xx problem."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.sync.helpers import current_version

HUGE = 2**40
MARITAL_V = current_version("marital-status-confirmation")


def _cases(dossier: str) -> list[tuple[str, str, str, Any]]:
    """(who, method, path, json body)."""
    return [
        ("anon", "POST", "/api/v1/auth/register",
         {"phone": "0912345670", "password": "Khong-doan-duoc-42", "full_name": "A\x00B"}),
        ("anon", "POST", "/api/v1/auth/login", {"login": "09\x0012", "password": "x\x00y"}),
        ("anon", "POST", "/api/v1/auth/refresh", {"refresh_token": "abc\x00"}),
        ("citizen", "PATCH", "/api/v1/auth/me", {"full_name": "A\x00B"}),
        ("anon", "GET", "/api/v1/procedures/birth%00registration", None),
        ("anon", "GET", "/api/v1/procedures/birth-registration/forms/99999999999999999999", None),
        ("anon", "GET", f"/api/v1/procedures/birth-registration/forms/{HUGE}", None),
        ("citizen", "GET", "/api/v1/dossiers?status=draft%00", None),
        ("citizen", "GET", f"/api/v1/dossiers?page={HUGE}", None),
        ("citizen", "GET", f"/api/v1/dossiers/{dossier}%00", None),
        ("official", "GET", "/api/v1/office/dossiers?q=%00", None),
        ("official", "POST", f"/api/v1/office/dossiers/{dossier}/transitions",
         {"action": "accept", "note": "\x00"}),
        ("citizen", "GET", f"/api/v1/notifications?page={HUGE}", None),
        ("citizen", "GET", "/api/v1/sync/pull?cursor=%00", None),
        ("citizen", "GET", f"/api/v1/sync/pull?cursor={HUGE}{HUGE}&limit=5", None),
        ("citizen", "GET", f"/api/v1/warehouse/prefill?procedure=birth-registration&version={HUGE}",
         None),
        ("citizen", "GET", "/api/v1/warehouse/prefill?procedure=%00", None),
        ("citizen", "POST", "/api/v1/push/subscriptions",
         {"endpoint": "https://fcm.googleapis.com/fcm/send/\x00", "keys": {"p256dh": "a", "auth": "b"}}),
        ("citizen", "DELETE", "/api/v1/push/subscriptions", {"endpoint": "\x00"}),
    ]


@pytest.mark.parametrize("depth", [900, 100_000])
@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/sync/push", "/api/v1/auth/me"])
def test_deeply_nested_json_is_a_4xx_problem(client, citizen, path, depth):
    """A 200 KB body of nested brackets must not exhaust the stack (it was a 500)."""
    body = b'{"a": ' * depth + b"1" + b"}" * depth
    resp = client.open(path, method="PATCH" if path.endswith("/me") else "POST", data=body,
                       headers={**citizen.headers, "Content-Type": "application/json"})
    assert 400 <= resp.status_code < 500, (path, resp.status_code, resp.data[:300])
    assert resp.mimetype == "application/problem+json"


@pytest.mark.parametrize("index", range(len(_cases("x"))))
def test_hostile_input_is_a_4xx_problem(client, citizen, official, index):
    who, method, path, body = _cases(str(uuid.uuid4()))[index]
    headers = {"anon": {}, "citizen": citizen.headers, "official": official.headers}[who]
    resp = client.open(path, method=method, json=body, headers=headers)
    assert 400 <= resp.status_code < 500, (method, path, resp.status_code, resp.data[:300])
    assert resp.mimetype == "application/problem+json"


def test_a_hostile_sync_mutation_is_consumed_not_blocking(client, citizen):
    """A mutation the database cannot store is rejected and consumed; the queue goes on."""
    cid = str(uuid.uuid4())
    dossier = str(uuid.uuid4())
    bad = [
        {"dossier_id": dossier, "procedure_code": "marital-status-confirmation",
         "form_version": MARITAL_V,
         "base_version": None, "fields": {"applicant_full_name": "An\x00"}},
        {"dossier_id": str(uuid.uuid4()), "procedure_code": "marital-status-confirmation",
         "form_version": HUGE, "base_version": None, "fields": {}},
        {"dossier_id": str(uuid.uuid4()), "procedure_code": "x\x00", "form_version": 1,
         "base_version": HUGE, "fields": {"k\x00": 1}},
    ]
    mutations = [{"id": i, "name": "dossier.save", "args": args} for i, args in enumerate(bad, 1)]
    mutations.append({"id": 4, "name": "dossier.save", "args": {
        "dossier_id": str(uuid.uuid4()), "procedure_code": "marital-status-confirmation",
        "form_version": MARITAL_V,
        "base_version": None, "fields": {"applicant_full_name": "Nguyễn Văn An"}}})
    resp = client.post("/api/v1/sync/push", json={"client_id": cid, "mutations": mutations},
                       headers=citizen.headers)
    assert resp.status_code == 200, resp.data[:300]
    body = resp.get_json()
    assert body["last_mutation_id"] == 4
    # SQLite can store NUL, PostgreSQL cannot: there the first one is rejected too.
    assert body["results"][0]["status"] in ("applied", "rejected")
    assert [r["status"] for r in body["results"][1:3]] == ["rejected"] * 2
    # The phone is told what is wrong with its data (a 4xx problem), not that the server failed.
    assert all(400 <= r["error"]["status"] < 500 for r in body["results"][1:3]), body["results"]
    assert body["results"][3]["status"] == "applied"
