"""A server fault never eats a mutation: the batch stops before it (503 with Retry-After),
the rest of the queue waits, after a bounded number of deliveries it is kept as a dead
letter with its arguments, and once the fault is fixed an operator replays it and the
typed value lands."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from app.models.dossiers import Dossier
from tests.sync.helpers import Phone, save_args


@pytest.fixture()
def faulty(app: Any) -> Any:
    """The test-only fault hook (app config): saves of `child_home_town` fail as a bug would."""
    app.config["SYNC_TEST_FAULT"] = {"name": "dossier.save", "field": "child_home_town"}
    app.config["SYNC_POISON_DELIVERIES"] = 3
    yield app
    app.config.pop("SYNC_TEST_FAULT", None)
    app.config["SYNC_POISON_DELIVERIES"] = 5


def test_a_server_fault_stops_the_batch_then_dead_letters_then_replays(client, db, citizen, faulty):
    phone = Phone(client, citizen)
    dossier_id = uuid.uuid4()
    first = phone.one("dossier.save", save_args(dossier_id, {"child_full_name": "Lê Minh"}))
    assert first["status"] == "applied"
    poisoned = phone.mutation("dossier.save", save_args(dossier_id, {"child_home_town": "Nam Định"},
                                                        base_version=1))
    behind = phone.mutation("dossier.save", save_args(dossier_id, {"child_full_name": "Lê Minh An"},
                                                      base_version=1))

    for _delivery in (1, 2):
        resp = phone.send([poisoned, behind])
        assert resp.status_code == 503, resp.get_json()
        assert int(resp.headers["Retry-After"]) > 0
        body = resp.get_json()
        assert resp.mimetype == "application/problem+json"
        assert body["last_mutation_id"] == 1 and body["mutation_id"] == poisoned["id"]
        # Not consumed, and the queue behind it waits: nothing of either was applied.
        db.session.expire_all()
        fields = db.session.get(Dossier, dossier_id).fields
        assert "child_home_town" not in fields and fields["child_full_name"] == "Lê Minh"
        db.session.rollback()

    # The third delivery: kept as a dead letter, the rest of the queue goes on.
    body = phone.push(poisoned, behind)
    kept, applied = body["results"]
    assert body["last_mutation_id"] == behind["id"]
    assert kept["status"] == "rejected" and kept["error"]["type"] == "/problems/kept-for-review"
    assert kept["error"]["kept"] is True
    assert applied["status"] in ("applied", "merged")

    runner = faulty.test_cli_runner()
    listed = runner.invoke(args=["sync", "dead-letters", "list"])
    assert listed.exit_code == 0, listed.output
    assert f"{phone.client_id}:{poisoned['id']}" in listed.output
    assert "Nam Định" in listed.output and "deliveries=3" in listed.output

    # Still broken: the replay fails and the dead letter stays.
    still = runner.invoke(args=["sync", "dead-letters", "replay", "--all"])
    assert still.exit_code == 1 and "still failing" in still.output

    faulty.config.pop("SYNC_TEST_FAULT")  # the fix is deployed
    done = runner.invoke(args=["sync", "dead-letters", "replay", "--all"])
    assert done.exit_code == 0, done.output
    assert f"{phone.client_id}:{poisoned['id']}: " in done.output

    # The typed value landed, next to what was applied meanwhile.
    got = client.get(f"/api/v1/dossiers/{dossier_id}", headers=citizen.headers).get_json()
    assert got["fields"]["child_home_town"] == "Nam Định"
    assert got["fields"]["child_full_name"] == "Lê Minh An"
    # The phone re-sending the mutation now gets the replay's result; pull brings the change.
    again = phone.push(poisoned)["results"][0]
    assert again["status"] in ("applied", "merged")
    changes = phone.pull_all()
    assert any(c["entity"] == "dossier" and c["data"]["fields"].get("child_home_town") == "Nam Định"
               for c in changes)
    assert "0 dead letters." in runner.invoke(args=["sync", "dead-letters", "list"]).output


def test_the_fault_hook_is_off_outside_tests(app, client, db, citizen):
    app.config["SYNC_TEST_FAULT"] = {"name": "dossier.save"}
    app.config["TESTING"] = False
    try:
        result = Phone(client, citizen).one("dossier.save",
                                            save_args(uuid.uuid4(), {"child_full_name": "An"}))
    finally:
        app.config["TESTING"] = True
        app.config.pop("SYNC_TEST_FAULT")
    assert result["status"] == "applied"
