"""Telemetry intake: only known shapes are kept, everything else dropped and counted; caps per
phone; never a 5xx; and the funnel a leader reads from it."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.models.quality import TelemetryDrop, TelemetryEvent
from app.services import clock, telemetry
from app.services import lifecycle as lc
from tests.factories import make_dossier
from tests.sync.helpers import Phone

URL = "/api/v1/sync/telemetry"
BIRTH = "birth-registration"
OK = [
    {"kind": "form_opened", "procedure": BIRTH, "network": "4g"},
    {"kind": "draft_started", "procedure": BIRTH, "version": 1},
    {"kind": "validation_failed", "procedure": BIRTH, "version": 1, "field": "child_full_name",
     "rule": "required", "network": "3g"},
    {"kind": "section_time", "procedure": BIRTH, "version": 1, "section": "child", "ms": 42000},
    {"kind": "draft_left", "procedure": BIRTH, "version": 1, "section": "mother"},
    {"kind": "submitted", "procedure": BIRTH, "version": 1, "ms": 300000},
    {"kind": "sync_summary", "attempts": 4, "failures": 1, "network": "2g"},
    {"kind": "sync_failed", "reason": "offline", "network": "offline"},
    {"kind": "upload_retry", "reason": "server", "network": "3g"},
    {"kind": "upload_failed", "reason": "refused"},
    {"kind": "payment_failed", "reason": "network"},
    {"kind": "app_error", "error": "TypeError", "screen": "editor"},
]


def send(client, actor, events, client_id=None):
    return client.post(URL, headers=actor.headers,
                       json={"client_id": str(client_id or uuid.uuid4()), "events": events})


def test_known_events_are_kept_without_any_identity(client, db, citizen):
    got = send(client, citizen, OK)
    assert got.status_code == 200 and got.get_json() == {"accepted": len(OK), "dropped": {}}
    rows = db.session.query(TelemetryEvent).all()
    assert {r.kind for r in rows} == {e["kind"] for e in OK}
    columns = set(TelemetryEvent.__table__.columns.keys())
    assert not columns & {"user_id", "client_id", "dossier_id", "owner_id", "at"}


@pytest.mark.parametrize("event,reason", [
    ("not an object", "not_an_object"),
    ({"kind": "keylogger"}, "unknown_kind"),
    ({"kind": "form_opened", "procedure": BIRTH, "value": "Nguyễn Văn An"}, "unknown_key"),
    ({"kind": "form_opened", "procedure": BIRTH, "dossier_id": str(uuid.uuid4())}, "unknown_key"),
    ({"kind": "form_opened"}, "missing_key"),
    ({"kind": "form_opened", "procedure": "no-such"}, "unknown_procedure"),
    ({"kind": "draft_started", "procedure": BIRTH, "version": 99}, "unknown_procedure"),
    ({"kind": "validation_failed", "procedure": BIRTH, "version": 1, "field": "Nguyễn Văn An",
      "rule": "required"}, "unknown_field"),
    ({"kind": "validation_failed", "procedure": BIRTH, "version": 1, "field": "child_full_name",
      "rule": "001099012345"}, "unknown_rule"),
    ({"kind": "section_time", "procedure": BIRTH, "version": 1, "section": "0912345678",
      "ms": 1}, "unknown_section"),
    ({"kind": "section_time", "procedure": BIRTH, "version": 1, "section": "child", "ms": -1},
     "bad_value"),
    ({"kind": "section_time", "procedure": BIRTH, "version": 1, "section": "child", "ms": True},
     "bad_value"),
    ({"kind": "sync_summary", "attempts": 1, "failures": 2}, "bad_value"),
    ({"kind": "sync_failed", "reason": "my password is hunter2"}, "bad_value"),
    ({"kind": "app_error", "error": "TypeError: cannot read 'Nguyễn'", "screen": "editor"},
     "bad_value"),
    ({"kind": "form_opened", "procedure": BIRTH, "network": "home-wifi-AnNguyen"}, "bad_value"),
    ({"kind": "form_opened", "procedure": ["x"] * 1000}, "unknown_procedure"),
])
def test_hostile_events_are_dropped_and_counted(client, db, citizen, event, reason):
    got = send(client, citizen, [event, OK[0]])
    assert got.status_code == 200
    assert got.get_json() == {"accepted": 1, "dropped": {reason: 1}}
    assert db.session.get(TelemetryDrop, (clock.today(), reason)).count == 1


@pytest.mark.parametrize("body,status", [
    ({"client_id": "nope", "events": []}, 422),
    ({"events": []}, 422),
    ({"client_id": str(uuid.uuid4()), "events": "x"}, 422),
    ({"client_id": str(uuid.uuid4()), "events": [{"kind": "x" * 70_000}]}, 413),
    ([1, 2], 422),
])
def test_malformed_batches_are_4xx_never_5xx(client, citizen, body, status):
    got = client.post(URL, headers=citizen.headers, json=body)
    assert got.status_code == status and got.mimetype == "application/problem+json"


def test_caps_per_batch_and_per_phone(client, db, citizen, monkeypatch):
    monkeypatch.setattr(telemetry, "DEVICE_PER_HOUR", 150)
    phone = uuid.uuid4()
    many = [OK[0]] * 130
    first = send(client, citizen, many, phone).get_json()
    assert first == {"accepted": 100, "dropped": {"batch_too_large": 30}}
    second = send(client, citizen, many[:80], phone).get_json()
    assert second == {"accepted": 50, "dropped": {"rate_limited": 30}}
    assert send(client, citizen, [OK[0]], uuid.uuid4()).get_json()["accepted"] == 1  # another phone


def test_a_phone_of_another_account_is_refused(client, db, make_citizen):
    owner, other = make_citizen(), make_citizen()
    phone = Phone(client, owner)
    phone.push()  # binds the client id to its owner, as sync does
    assert send(client, other, [OK[0]], phone.client_id).status_code == 403
    mine = uuid.uuid4()
    send(client, owner, [OK[0]], mine)
    assert send(client, other, [OK[0]], mine).status_code == 403


def test_officials_and_strangers_cannot_send(client, official):
    assert send(client, official, [OK[0]]).status_code == 403
    assert client.post(URL, json={"client_id": str(uuid.uuid4()), "events": []}).status_code == 401


def test_the_leaders_funnel(client, db, citizen, official):
    for _ in range(3):
        send(client, citizen, OK[:2])  # opened, started
    send(client, citizen, OK[2:])
    make_dossier(db.session, citizen.user, status=lc.RETURNED, official=official.user)
    make_dossier(db.session, citizen.user, status=lc.ACCEPTED, official=official.user)
    got = client.get("/api/v1/quality/funnel", headers=official.headers)
    assert got.status_code == 200
    body = got.get_json()
    birth = next(p for p in body["procedures"] if p["procedure_code"] == BIRTH)
    assert birth["funnel"] == {"opened": 3, "started": 3, "submitted": 2, "accepted": 2,
                               "returned": 1}
    assert birth["failing_fields"] == [{"field": "child_full_name", "rule": "required", "count": 1}]
    assert birth["left_at"] == [{"section": "mother", "count": 1}]
    assert birth["median_fill_ms"] == 300000
    two_g = next(n for n in body["networks"] if n["network"] == "2g")
    assert (two_g["sync_attempts"], two_g["sync_failures"], two_g["sync_failure_rate"]) == (4, 1, 0.25)
    assert client.get("/api/v1/quality/funnel", headers=citizen.headers).status_code == 403


# Text without NUL: the API refuses a NUL anywhere in a body before any view (422, input hygiene).
TEXT = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=20)
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(TEXT, inner, max_size=3), max_leaves=8)
KEYS = st.sampled_from(["kind", "procedure", "version", "field", "rule", "section", "ms",
                        "network", "reason", "attempts", "failures", "error", "screen", "x"])
EVENT = st.dictionaries(KEYS, JSON | st.sampled_from([BIRTH, 1, "child", "required", *telemetry.KINDS]),
                        max_size=6)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=st.lists(EVENT | JSON, max_size=8))
def test_any_batch_is_answered_with_counts(client, citizen, events):
    got = send(client, citizen, events)
    assert got.status_code == 200
    body = got.get_json()
    assert body["accepted"] + sum(body["dropped"].values()) == len(events)
