"""Pull: snapshot, paging exactly once, officials' changes, 410 after pruning."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from app.models.sync import Change
from app.services import change_feed
from app.services import lifecycle as lc
from app.services.change_feed import prune
from app.services.dossiers import transition
from tests.factories import make_dossier
from tests.sync.helpers import Phone, minutes_ago, save_args


def test_snapshot_holds_what_the_user_may_see(client, db, citizen, make_citizen, official):
    mine = make_dossier(db.session, citizen.user, status=lc.ACCEPTED, official=official.user)
    theirs = make_dossier(db.session, make_citizen(name="Người khác").user)
    body = Phone(client, citizen).pull().get_json()
    assert body["has_more"] is False and body["last_mutation_id"] == 0
    by_entity: dict[str, list] = {}
    for c in body["changes"]:
        assert c["op"] == "put"
        by_entity.setdefault(c["entity"], []).append(c)
    assert [c["id"] for c in by_entity["dossier"]] == [str(mine.id)]
    assert str(theirs.id) not in str(body)
    dossier = by_entity["dossier"][0]
    assert dossier["version"] == dossier["data"]["version"] == mine.version
    assert [h["action"] for h in dossier["data"]["history"]] == ["create", "submit", "accept"]
    assert "birth-registration" in {c["id"] for c in by_entity["procedure"]}
    [note] = by_entity["notification"]
    assert note["data"]["dossier_id"] == str(mine.id) and note["data"]["kind"] == lc.ACCEPTED


def test_officials_transitions_reach_the_owners_phone(client, db, citizen, official):
    dossier = make_dossier(db.session, citizen.user, status=lc.SUBMITTED)
    phone = Phone(client, citizen)
    phone.pull_all()
    resp = client.post(f"/api/v1/office/dossiers/{dossier.id}/transitions",
                       json={"action": "accept"}, headers=official.headers)
    assert resp.status_code == 200
    changes = phone.pull_all()
    assert [(c["entity"], c["op"]) for c in changes] == [("dossier", "put"),
                                                         ("notification", "put")]
    assert changes[0]["data"]["status"] == lc.ACCEPTED
    assert changes[0]["data"]["receipt_code"]
    note_id = changes[1]["id"]
    # Reading the notification on this phone shows as read on the others.
    r = phone.one("notification.read", {"notification_id": note_id})
    assert r["status"] == "applied" and r["entity"]["read_at"]
    other = Phone(client, citizen)
    other.cursor = phone.cursor
    [read] = other.pull_all()
    assert (read["entity"], read["id"], read["version"]) == ("notification", note_id, 2)
    assert phone.pull_all()[-1]["data"]["read_at"] is not None
    assert phone.pull_all() == []  # nothing new: the cursor stays put


def test_paging_returns_every_change_exactly_once(client, db, citizen):
    phone = Phone(client, citizen)
    phone.pull_all()
    dids = [uuid.uuid4() for _ in range(5)]
    phone.push(*[phone.mutation("dossier.save", save_args(d, {"copies": 1})) for d in dids])
    seen = []
    pages = 0
    while True:
        body = phone.pull(limit=2).get_json()
        seen += [c["id"] for c in body["changes"]]
        phone.cursor = body["cursor"]
        pages += 1
        if not body["has_more"]:
            break
    # Each new draft has one feed row: created and filled by one save, in one transaction.
    assert sorted(seen) == sorted(str(d) for d in dids)
    assert pages == 3
    assert phone.pull().get_json()["last_mutation_id"] == 5


def test_a_page_sends_each_entity_once_at_its_latest_state(client, citizen):
    """The two-phone day of docs/sync-protocol.md: A pushes two saves, B a clashing one; A's
    next pull carries the dossier once (at B's version, not once per change) and the
    conflict record, and paging one feed row at a time ends at the same state."""
    a, b = Phone(client, citizen), Phone(client, citizen)
    did = uuid.uuid4()
    a.one("dossier.save", save_args(did, {"child_full_name": "Nguyễn Minh Anh",
                                          "child_home_town": "Huế"}), captured_at=minutes_ago(600))
    b.pull_all()
    a.pull_all()
    before = a.cursor
    a.push(a.mutation("dossier.save", save_args(did, {"child_full_name": "Nguyễn Minh Ánh"}, 2),
                      minutes_ago(400)),
           a.mutation("dossier.save", save_args(did, {"child_full_name": "Nguyễn Minh Ánh",
                                                      "copies": 2}, 2), minutes_ago(390)))
    rb = b.one("dossier.save", save_args(did, {"child_full_name": "Nguyễn Minh Anh Thư",
                                               "child_home_town": "Thừa Thiên Huế"}, 2),
               captured_at=minutes_ago(300))
    assert rb["status"] == "conflict"

    changes = a.pull_all()

    assert [(c["entity"], c["version"]) for c in changes] == [
        ("dossier", rb["entity"]["version"]), ("conflict", 1)]
    assert changes[0]["data"]["fields"]["child_full_name"] == "Nguyễn Minh Anh Thư"
    assert changes[0]["data"]["fields"]["copies"] == 2
    assert changes[1]["data"]["other"] == "Nguyễn Minh Ánh"
    # One feed row per page: every page moves the cursor, and the last state is the same.
    a.cursor, paged = before, []
    while True:
        body = a.pull(limit=1).get_json()
        paged += body["changes"]
        a.cursor = body["cursor"]
        if not body["has_more"]:
            break
    assert paged[-1] == changes[-1]
    assert [c for c in paged if c["entity"] == "dossier"][-1] == changes[0]


def test_a_deleted_draft_is_pulled_as_a_delete(client, db, citizen):
    phone = Phone(client, citizen)
    did = uuid.uuid4()
    phone.one("dossier.save", save_args(did, {"copies": 1}))
    phone.pull_all()
    phone.one("dossier.delete_draft", {"dossier_id": str(did)})
    changes = phone.pull_all()
    assert [(c["entity"], c["id"], c["op"], c["data"]) for c in changes] == [
        ("dossier", str(did), "delete", None)]


def test_cursors_the_server_cannot_serve_are_410(client, db, app, citizen, make_citizen):
    phone = Phone(client, citizen)
    phone.one("dossier.save", save_args(uuid.uuid4(), {"copies": 1}))
    old_cursor = phone.pull().get_json()["cursor"]
    phone.one("dossier.save", save_args(uuid.uuid4(), {"copies": 2}))
    stranger = Phone(client, make_citizen(name="Người khác"))
    for resp in (phone.pull(cursor="garbage!"), stranger.pull(cursor=old_cursor)):
        assert resp.status_code == 410
        assert resp.mimetype == "application/problem+json"
    assert phone.pull(cursor=old_cursor).status_code == 200
    # Thirty-one days later the old changes are pruned: the old cursor must reset.
    counts = prune(db.session, 30, now=datetime.now(UTC) + timedelta(days=31))
    db.session.commit()
    assert counts["changes"] == 2 and counts["results"] == 2  # one row per new draft
    resp = phone.pull(cursor=old_cursor)
    assert resp.status_code == 410 and resp.get_json()["reset"] is True
    snap = phone.pull(reset=True).get_json()
    assert len([c for c in snap["changes"] if c["entity"] == "dossier"]) == 2
    assert phone.pull(cursor=snap["cursor"]).get_json()["changes"] == []
    # Re-sent mutations past retention are not applied again.
    again = phone.send([{"id": 1, "name": "dossier.save",
                         "args": save_args(uuid.uuid4(), {"copies": 1})}])
    assert again.get_json() == {"last_mutation_id": 2, "results": []}


def test_prune_command(app, db, citizen):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["sync", "prune", "--days", "30"])
    assert result.exit_code == 0, result.output
    assert "Pruned 0 changes" in result.output
    refused = runner.invoke(args=["sync", "prune", "--days", "3"])
    assert refused.exit_code != 0  # results are kept at least 30 days


def test_officials_and_strangers_cannot_pull(client, official):
    assert client.get("/api/v1/sync/pull").status_code == 401
    assert client.get("/api/v1/sync/pull", headers=official.headers).status_code == 403


def test_pull_sees_a_conflict_made_during_a_transition(client, db, citizen, official):
    dossier = make_dossier(db.session, citizen.user, status=lc.IN_PROGRESS, official=official.user)
    phone = Phone(client, citizen)
    m = phone.mutation("dossier.withdraw", {"dossier_id": str(dossier.id), "note": "Thôi"})
    transition(db.session, dossier, official.user, "complete")
    db.session.commit()
    phone.pull_all()
    r = phone.push(m)["results"][0]
    assert r["status"] == "rejected"
    changes = phone.pull_all()
    assert [(c["entity"], c["data"]["other"]) for c in changes] == [("conflict", "Thôi")]


def _feed(db, user_id):
    return [(c.entity, c.entity_id, c.op) for c in db.session.query(Change)
            .filter_by(user_id=user_id).order_by(Change.seq)]


def test_a_draft_saved_and_submitted_in_one_push_is_one_feed_row(client, db, citizen):
    """Created, filled and submitted offline, sent in one batch: one feed row, pulled once,
    at its submitted state; the next push is a transaction of its own and gets a row again."""
    from tests.sync.helpers import full_values

    procedure = "marital-status-confirmation"
    values = full_values(db.session, procedure)
    phone = Phone(client, citizen)
    phone.pull_all()
    did = uuid.uuid4()
    body = phone.push(
        phone.mutation("dossier.save", save_args(did, values, procedure=procedure)),
        phone.mutation("dossier.submit", {"dossier_id": str(did)}))
    assert [r["status"] for r in body["results"]] == ["applied", "applied"], body
    before = len(_feed(db, citizen.user.id))
    assert [f for f in _feed(db, citizen.user.id) if f[1] == str(did)] == [
        ("dossier", str(did), "put")]
    [change] = [c for c in phone.pull_all() if c["entity"] == "dossier"]
    assert change["data"]["status"] == "submitted"
    assert change["version"] == body["results"][-1]["entity"]["version"]
    phone.push(phone.mutation("dossier.withdraw", {"dossier_id": str(did)}))
    assert len(_feed(db, citizen.user.id)) == before + 1


def test_the_feed_forgets_only_what_a_rollback_undid(db, citizen):
    """A change noted inside a savepoint that is rolled back is written again by the next;
    one noted before the savepoint is not; a delete between two puts keeps all three."""
    uid, session = citizen.user.id, db.session
    change_feed.record(session, uid, "dossier", "a")
    savepoint = session.begin_nested()
    change_feed.record(session, uid, "dossier", "a")  # already in the feed: no row
    change_feed.record(session, uid, "dossier", "b")
    savepoint.rollback()  # b's row is gone with the savepoint
    change_feed.record(session, uid, "dossier", "b")
    change_feed.record(session, uid, "dossier", "b")
    inner = session.begin_nested()
    change_feed.record(session, uid, "record", "r")
    inner.commit()
    change_feed.record(session, uid, "record", "r")  # kept by the committed savepoint
    change_feed.record(session, uid, "dossier", "a", "delete")
    change_feed.record(session, uid, "dossier", "a")
    session.commit()
    assert _feed(db, uid) == [("dossier", "a", "put"), ("dossier", "b", "put"),
                              ("record", "r", "put"), ("dossier", "a", "delete"),
                              ("dossier", "a", "put")]
    seqs = [c.seq for c in session.query(Change).filter_by(user_id=uid).order_by(Change.seq)]
    assert seqs == list(range(seqs[0], seqs[0] + 5))  # gap-free
    change_feed.record(session, uid, "dossier", "a")  # a new transaction: a new row
    session.commit()
    assert len(_feed(db, uid)) == 6


def test_a_first_pull_reads_the_catalogs_form_versions_in_one_query(client, db, citizen):
    """The snapshot lists every procedure with its form versions: one query for all their
    versions (not one per procedure), and no form body parsed for it; a request of its own,
    as a phone's is (the test's session would answer some reads from what it holds)."""
    import threading

    from tests.databases import selects_run

    answers: list = []
    with selects_run(db.engine) as seen:
        request = threading.Thread(target=lambda: answers.append(Phone(client, citizen).pull()))
        request.start()
        request.join(timeout=60)
    body = answers[0].get_json()
    procedures = [c for c in body["changes"] if c["entity"] == "procedure"]
    assert len(procedures) > 5 and all(c["data"]["versions"] for c in procedures)
    versions = [s for s in seen if "FROM form_versions" in s]
    assert len(versions) == 1, versions
    assert "form_versions.form," not in versions[0] and "form_versions.form " not in versions[0]
