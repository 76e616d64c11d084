"""Database connections that die under the app, and tokens naming no account: the phone
gets its answer, never a 500, and nothing is applied twice."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest
from flask_jwt_extended import create_access_token
from sqlalchemy import event, func, select

from app import create_app, revocations
from app.models.sync import ClientState, MutationResult
from tests.databases import libpq_dsn, postgresql_only
from tests.sync.helpers import Phone, save_args

pg_only = postgresql_only("PostgreSQL's server processes are cut; SQLite has no connection to lose")


def _own_app(app: Any, name: str, idle_ping_seconds: float) -> Any:
    """A second app on the test database whose connections carry `name`, to be cut."""
    config = {k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY",
                                         "JWT_SECRET_KEY", "UPLOAD_DIR")}
    return create_app({**config, "TESTING": True, "DB_IDLE_PING_SECONDS": idle_ping_seconds,
                       "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"application_name": name}}})


def _cut(app: Any, name: str) -> int:
    """Terminate every server process serving the app's connections; how many there were."""
    dsn = libpq_dsn(app)
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE application_name = %s", (name,)).fetchall()
    return len(rows)


@pg_only
@pytest.mark.parametrize("first_statement", ["the batch's", "the sign-out check's"])
def test_push_on_a_connection_cut_in_use_is_retried_and_applied_once(app, db, citizen,
                                                                     first_statement):
    name = f"hoso-cut-{uuid.uuid4().hex[:8]}"
    own = _own_app(app, name, idle_ping_seconds=3600)  # never pinged: the cut is seen in use
    phone = Phone(own.test_client(), citizen)
    draft = uuid.uuid4()
    first = phone.one("dossier.save", save_args(draft, {"child_home_town": "Huế"}))
    assert first["status"] == "applied"
    assert _cut(own, name) >= 1
    # The revoked sessions are read again at most once a second, by a request's first
    # statement: on a slow machine that is the push's; either way the phone gets its answer.
    with own.app_context():
        if first_statement == "the sign-out check's":
            revocations.forget()
        else:
            revocations.mark_polled()

    resp = phone.send([phone.mutation("dossier.save",
                                      save_args(draft, {"child_home_town": "Hội An"}, 2))])

    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["last_mutation_id"] == 2
    assert resp.get_json()["results"][0]["entity"]["fields"]["child_home_town"] == "Hội An"
    stored = db.session.scalar(select(func.count()).select_from(MutationResult)
                               .where(MutationResult.client_id == phone.client_id))
    assert stored == 2
    with own.app_context():
        from app.extensions import db as own_db

        own_db.engine.dispose()


@pg_only
def test_an_idle_connection_cut_meanwhile_is_replaced_before_use(app, db, citizen):
    name = f"hoso-idle-{uuid.uuid4().hex[:8]}"
    own = _own_app(app, name, idle_ping_seconds=0)  # every checkout counts as idle
    client = own.test_client()
    assert client.get("/api/v1/dossiers", headers=citizen.headers).status_code == 200
    assert _cut(own, name) >= 1

    resp = client.get("/api/v1/dossiers", headers=citizen.headers)

    assert resp.status_code == 200, resp.get_json()
    with own.app_context():
        from app.extensions import db as own_db

        own_db.engine.dispose()


@pg_only
def test_a_pull_whose_connection_dies_at_any_statement_answers_and_the_next_is_served(app, db, citizen):
    """The database going away between any two statements of a pull, or after its last one
    (the session's cleanup then finds a dead connection), is answered with the page or with
    503 and Retry-After, never a 500; the next pull is served on a fresh connection."""
    name = f"hoso-pull-{uuid.uuid4().hex[:8]}"
    own = _own_app(app, name, idle_ping_seconds=3600)  # never pinged: the cut is seen in use
    own.config["REVOCATION_POLL_SECONDS"] = 3600  # every pull runs the same statements
    phone = Phone(own.test_client(), citizen)
    draft = uuid.uuid4()
    phone.one("dossier.save", save_args(draft, {"child_home_town": "Huế"}))
    phone.one("dossier.save", save_args(draft, {"child_home_town": "Hội An"}, 2))
    from app.extensions import db as own_db

    with own.app_context():
        engine = own_db.engine
    statements = {"seen": 0, "cut_after": 0}

    @event.listens_for(engine, "after_cursor_execute")
    def _count_and_cut(*_args: Any) -> None:
        statements["seen"] += 1
        if statements["seen"] == statements["cut_after"]:
            _cut(own, name)

    first = phone.pull(cursor="MS4xLjA")  # a cursor at the feed's start: a page, not a snapshot
    assert first.status_code == 200
    statements.update(seen=0)
    assert phone.pull(cursor="MS4xLjA").status_code == 200
    per_pull = statements["seen"]
    assert per_pull >= 2
    answers = []
    for cut_after in range(1, per_pull + 1):
        statements.update(seen=0, cut_after=cut_after)
        resp = phone.pull(cursor="MS4xLjA")
        answers.append(resp.status_code)
        assert resp.status_code in (200, 503), (cut_after, resp.get_data(as_text=True))
        if resp.status_code == 503:
            assert resp.headers["Retry-After"] and resp.mimetype == "application/problem+json"
        statements.update(seen=0, cut_after=0)
        again = phone.pull(cursor="MS4xLjA")
        assert again.status_code == 200, (cut_after, again.get_data(as_text=True))
        assert again.get_json()["changes"] == first.get_json()["changes"]
    assert answers[-1] == 200  # cut after the last statement: the page read is sent
    assert 503 in answers
    event.remove(engine, "after_cursor_execute", _count_and_cut)
    with own.app_context():
        own_db.engine.dispose()


def test_a_token_for_an_account_that_does_not_exist_gets_401(app, client, db):
    with app.test_request_context():
        token = create_access_token(identity="987654", additional_claims={"kind": "citizen"})
    resp = client.post("/api/v1/sync/push", headers={"Authorization": f"Bearer {token}"},
                       json={"client_id": str(uuid.uuid4()), "mutations": [
                           {"id": 1, "name": "dossier.save", "args": save_args(uuid.uuid4(), {})}]})
    assert resp.status_code == 401
    assert resp.mimetype == "application/problem+json"
    assert db.session.scalar(select(func.count()).select_from(ClientState)) == 0


def test_a_token_for_an_account_that_does_not_exist_cannot_pull(app, client):
    with app.test_request_context():
        token = create_access_token(identity="987654", additional_claims={"kind": "citizen"})
    headers = {"Authorization": f"Bearer {token}"}
    for query in ({}, {"client_id": str(uuid.uuid4())}, {"cursor": "MS45ODc2NTQuMA"}):
        resp = client.get("/api/v1/sync/pull", headers=headers, query_string=query)
        assert resp.status_code == 401, query
        assert resp.mimetype == "application/problem+json"


def test_an_officials_token_cannot_push(client, make_official):
    official = make_official()
    resp = client.post("/api/v1/sync/push", headers=official.headers,
                       json={"client_id": str(uuid.uuid4()), "mutations": []})
    assert resp.status_code == 403
