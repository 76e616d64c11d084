"""Push: exactly once, in order, never blocked; limits, binding and privacy."""

from __future__ import annotations

import threading
import uuid

from app.models.dossiers import Dossier
from tests.factories import make_dossier
from tests.sync.helpers import Phone, minutes_ago, save_args


def test_new_draft_is_applied_and_returned(client, citizen):
    phone = Phone(client, citizen)
    did = uuid.uuid4()
    result = phone.one("dossier.save", save_args(did, {"child_full_name": "Lê Minh Anh"}))
    assert result["status"] == "applied"
    assert result["conflicts"] == []
    assert result["entity"]["id"] == str(did)
    assert result["entity"]["status"] == "draft"
    assert result["entity"]["fields"] == {"child_full_name": "Lê Minh Anh"}
    got = client.get(f"/api/v1/dossiers/{did}", headers=citizen.headers).get_json()
    assert got["fields"]["child_full_name"] == "Lê Minh Anh"


def test_resent_mutations_get_their_stored_results(client, citizen):
    phone = Phone(client, citizen)
    did = uuid.uuid4()
    batch = [phone.mutation("dossier.save", save_args(did, {"child_full_name": "An"})),
             phone.mutation("dossier.save", save_args(did, {"child_home_town": "Huế"}, 2)),
             phone.mutation("dossier.rate", {"dossier_id": str(did), "rating": 5})]
    first = phone.push(*batch)
    assert first["last_mutation_id"] == 3
    assert [r["status"] for r in first["results"]] == ["applied", "applied", "rejected"]
    # The phone never saw the answer and sends everything again, plus one more.
    batch.append(phone.mutation("dossier.save", save_args(did, {"copies": 2}, 3)))
    again = phone.push(*batch)
    assert again["results"][:3] == first["results"]
    assert again["results"][3]["status"] == "applied"
    dossier = client.get(f"/api/v1/dossiers/{did}", headers=citizen.headers).get_json()
    assert dossier["version"] == 4  # created + 3 saves, none applied twice
    assert dossier["fields"] == {"child_full_name": "An", "child_home_town": "Huế", "copies": 2}


def test_a_gap_is_refused_with_the_last_mutation_id(client, citizen):
    phone = Phone(client, citizen)
    phone.one("dossier.save", save_args(uuid.uuid4(), {"child_full_name": "An"}))
    resp = phone.send([{"id": 5, "name": "dossier.save",
                        "args": save_args(uuid.uuid4(), {"child_full_name": "Bình"})}])
    assert resp.status_code == 409
    assert resp.mimetype == "application/problem+json"
    assert resp.get_json()["last_mutation_id"] == 1
    # Nothing of the refused batch was applied.
    listing = client.get("/api/v1/dossiers", headers=citizen.headers).get_json()
    assert listing["total"] == 1


def test_rejected_mutations_do_not_block_the_queue(client, citizen):
    phone = Phone(client, citizen)
    did = uuid.uuid4()
    body = phone.push(
        phone.mutation("dossier.save", save_args(did, {"child_full_name": "An"})),
        phone.mutation("dossier.save", save_args(did, {"copies": "two"}, 2)),  # wrong type
        phone.mutation("dossier.teleport", {"dossier_id": str(did)}),  # unknown name
        phone.mutation("dossier.save", "not an object"),
        phone.mutation("dossier.save", save_args(did, {"no_such_field": 1}, 2)),
        phone.mutation("dossier.save", save_args(did, {"copies": 3}, 2)),
    )
    statuses = [r["status"] for r in body["results"]]
    assert statuses == ["applied", "rejected", "rejected", "rejected", "rejected", "applied"]
    assert body["last_mutation_id"] == 6
    wrong_type = body["results"][1]["error"]
    assert wrong_type["status"] == 422 and "copies" in wrong_type["errors"]
    assert body["results"][2]["error"]["type"] == "/problems/unknown-mutation"
    assert "no_such_field" in body["results"][4]["error"]["errors"]
    dossier = client.get(f"/api/v1/dossiers/{did}", headers=citizen.headers).get_json()
    assert dossier["fields"] == {"child_full_name": "An", "copies": 3}


def test_a_nul_character_is_rejected_and_the_queue_goes_on(client, citizen):
    """PostgreSQL cannot store NUL: a save of one into an existing draft is a 422 result
    for that field (on both databases), not a failed batch the phone would resend forever."""
    phone = Phone(client, citizen)
    did = uuid.uuid4()
    assert phone.one("dossier.save", save_args(did, {"child_home_town": "Huế"}))["status"] == "applied"
    body = phone.push(
        phone.mutation("dossier.save", save_args(did, {"child_home_town": "Hu\x00ế"}, 2)),
        phone.mutation("dossier.save", save_args(did, {"child_home_town": "Hội An"}, 2)),
    )
    assert [r["status"] for r in body["results"]] == ["rejected", "applied"]
    error = body["results"][0]["error"]
    assert error["status"] == 422 and "child_home_town" in error["errors"]
    assert body["last_mutation_id"] == 3
    dossier = client.get(f"/api/v1/dossiers/{did}", headers=citizen.headers).get_json()
    assert dossier["fields"]["child_home_town"] == "Hội An"


def test_a_rejected_mutation_leaves_no_partial_writes(client, db, citizen, official):
    # Supplementing a field the official did not ask for fails after the values were set.
    dossier = make_dossier(db.session, citizen.user, status="supplement_requested",
                           official=official.user)
    asked = dossier.supplement_request["fields"][0]
    other = next(k for k in dossier.fields if k != asked)
    before = dict(dossier.fields)
    phone = Phone(client, citizen)
    result = phone.one("dossier.supplement",
                       {"dossier_id": str(dossier.id), "fields": {other: "Sửa"}})
    assert result["status"] == "rejected"
    db.session.expire_all()
    assert db.session.get(Dossier, dossier.id).fields == before
    assert db.session.get(Dossier, dossier.id).status == "supplement_requested"


def test_malformed_bodies_are_422(client, citizen):
    url = "/api/v1/sync/push"
    cid = str(uuid.uuid4())
    for body in ({}, {"client_id": "nope", "mutations": []}, {"client_id": cid},
                 {"client_id": cid, "mutations": "x"},
                 {"client_id": cid, "mutations": [{"name": "dossier.save"}]},
                 {"client_id": cid, "mutations": [{"id": "1", "name": "dossier.save"}]},
                 {"client_id": cid, "mutations": [{"id": 0, "name": "dossier.save"}]},
                 {"client_id": cid, "mutations": [{"id": 1}, {"id": 3}]},
                 {"client_id": cid, "mutations": [{"id": 1}, {"id": 1}]}):
        resp = client.post(url, json=body, headers=citizen.headers)
        assert resp.status_code == 422, (body, resp.get_json())
        assert resp.mimetype == "application/problem+json"
    resp = client.post(url, data="{not json", headers={**citizen.headers,
                                                       "Content-Type": "application/json"})
    assert resp.status_code in (400, 422)
    # Nothing was bound or consumed by the failed attempts.
    ok = client.post(url, json={"client_id": cid, "mutations": [{"id": 1, "name": "x"}]},
                     headers=citizen.headers)
    assert ok.get_json()["last_mutation_id"] == 1


def test_push_needs_a_citizen_token(client, citizen, official):
    body = {"client_id": str(uuid.uuid4()), "mutations": []}
    assert client.post("/api/v1/sync/push", json=body).status_code == 401
    assert client.post("/api/v1/sync/push", json=body, headers=official.headers).status_code == 403


def test_another_users_dossier_looks_missing(client, db, citizen, make_citizen):
    other = make_citizen(name="Trần Thị Bích")
    theirs = make_dossier(db.session, other.user)
    phone = Phone(client, citizen)
    missing = str(uuid.uuid4())
    results = phone.push(*[phone.mutation(name, {"dossier_id": d, **extra})
                           for d in (str(theirs.id), missing)
                           for name, extra in (("dossier.submit", {}),
                                               ("dossier.withdraw", {}),
                                               ("dossier.delete_draft", {}),
                                               ("dossier.rate", {"rating": 4}))])["results"]
    errors = [r["error"] for r in results]
    assert all(r["status"] == "rejected" and r["entity"] is None for r in results)
    assert errors[:4] == errors[4:]  # identical answers: nothing leaks
    assert all(e["status"] == 404 for e in errors)
    # Saving into their id neither changes nor reveals their draft.
    result = phone.one("dossier.save", save_args(theirs.id, {"child_full_name": "X"}, 1))
    assert result["status"] == "rejected" and result["error"]["status"] == 404
    db.session.expire_all()
    assert db.session.get(Dossier, theirs.id).fields == theirs.fields


def test_a_client_id_is_bound_to_its_first_user(client, citizen, make_citizen):
    phone = Phone(client, citizen)
    phone.one("dossier.save", save_args(uuid.uuid4(), {"child_full_name": "An"}))
    intruder = make_citizen(name="Kẻ lạ")
    resp = Phone(client, intruder, phone.client_id).send(
        [{"id": 2, "name": "dossier.save", "args": save_args(uuid.uuid4(), {})}])
    assert resp.status_code == 403
    assert resp.mimetype == "application/problem+json"
    pulled = Phone(client, intruder, phone.client_id).pull()
    assert pulled.status_code == 403


def test_batches_over_the_limits_are_413(client, app, citizen):
    phone = Phone(client, citizen)
    too_many = [{"id": i, "name": "notification.read", "args": {}} for i in range(1, 102)]
    resp = phone.send(too_many)
    assert resp.status_code == 413
    assert resp.get_json()["max_mutations"] == app.config["SYNC_MAX_BATCH"] == 100
    huge = [{"id": 1, "name": "dossier.save",
             "args": save_args(uuid.uuid4(), {"child_full_name": "A" * (1024 * 1024)})}]
    resp = phone.send(huge)
    assert resp.status_code == 413
    assert resp.get_json()["max_bytes"] == 1024 * 1024
    # Exactly 100 is fine.
    assert phone.send(too_many[:100]).get_json()["last_mutation_id"] == 100


def test_the_same_batch_from_ten_threads_applies_once(app, client, db, citizen):
    phone = Phone(client, citizen)
    did = uuid.uuid4()
    batch = [phone.mutation("dossier.save", save_args(did, {"child_full_name": "An"}))]
    batch += [phone.mutation("dossier.save", save_args(did, {"child_home_town": f"Xã {n}"}, 2))
              for n in range(1, 20)]
    answers: list = []
    start = threading.Barrier(10)

    def deliver() -> None:
        start.wait()
        with app.test_client() as c:
            resp = c.post("/api/v1/sync/push", headers=citizen.headers,
                          json={"client_id": str(phone.client_id), "mutations": batch})
            answers.append((resp.status_code, resp.get_json()))

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    db.session.commit()  # the test's own session must not hold SQLite's write lock
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert [code for code, _ in answers] == [200] * 10
    assert all(body == answers[0][1] for _, body in answers)  # everyone got the same results
    # One phone re-editing a field offline never clashes with itself.
    assert {r["status"] for r in answers[0][1]["results"]} == {"applied"}
    dossier = client.get(f"/api/v1/dossiers/{did}", headers=citizen.headers).get_json()
    assert dossier["version"] == 21  # created (1) + 20 saves applied once each
    assert dossier["fields"]["child_home_town"] == "Xã 19"


def test_captured_at_in_the_future_is_clamped_to_receive_time(client, citizen):
    phone = Phone(client, citizen)
    did = uuid.uuid4()
    result = phone.one("dossier.save", save_args(did, {"child_full_name": "An"}),
                       captured_at="2099-01-01T00:00:00+00:00")
    stamp = result["entity"]["field_stamps"]["child_full_name"]
    assert stamp < "2098"
    # The next mutation cannot go back before the previous one.
    result = phone.one("dossier.save", save_args(did, {"copies": 1}, 2),
                       captured_at="2001-01-01T00:00:00+00:00")
    assert result["entity"]["field_stamps"]["copies"] >= stamp
    assert minutes_ago(0) >= result["entity"]["field_stamps"]["copies"]


def test_two_offline_submissions_read_the_account_and_each_dossier_once(client, db, citizen):
    """A phone's queue of two dossiers, each saved then submitted, in one batch: the account
    is read once for the batch (it was read again for every mutation) and each submit reads
    and locks its dossier once (it was read twice)."""
    from tests.databases import selects_run
    from tests.sync.helpers import full_values

    procedure = "marital-status-confirmation"
    values = full_values(db.session, procedure)
    phone = Phone(client, citizen)
    ids = [uuid.uuid4(), uuid.uuid4()]
    mutations = []
    for dossier_id in ids:
        mutations.append(phone.mutation("dossier.save", save_args(dossier_id, values,
                                                                  procedure=procedure)))
        mutations.append(phone.mutation("dossier.submit", {"dossier_id": str(dossier_id)}))
    db.session.expire_all()
    with selects_run(db.engine) as seen:
        results = phone.push(*mutations)["results"]
    heads = [statement.upper() for statement in seen]
    reads = ["users" if " FROM USERS" in head else "dossiers" for head in heads
             if " FROM USERS" in head or " FROM DOSSIERS " in head]
    assert [r["status"] for r in results] == ["applied"] * 4, results
    assert [r["entity"]["status"] for r in results[1::2]] == ["submitted", "submitted"]
    assert reads.count("users") <= 1, reads
    # Per save: the batch's look for existing rows and the new draft's; per submit: its lock.
    assert reads.count("dossiers") <= 6, reads
