"""What a push batch reads up front, as plain rows: its client's row (created on first
sight, locked), its dossiers (locked), the base versions it names and this client's own
writes.

`begin` (PostgreSQL) sends it as one statement in psycopg's pipeline mode on the
session's connection, the transaction's BEGIN included: the batch's first round trip.
`postgres` reads dossiers again later in the batch (after a registry handler ran); `on_sqlite`
does the same with SQLAlchemy Core statements (SQLite). All return the same shapes.

Errors from the driver connection are raised as SQLAlchemy's (`driver`), so the engine's
retry and the app's 503 handling treat them like any other statement's.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.models.accounts import User
from app.models.catalog import FormVersion, Procedure
from app.models.dossiers import Dossier, DossierVersion
from app.models.sync import ClientState, ClientWrite

# Every column dossier_dict reads, plus what the fast path needs to decide.
_COLUMNS = [c.name for c in Dossier.__table__.columns]
_NAMES = [*_COLUMNS, "procedure_name", "current_version", "etag"]
_ID = _COLUMNS.index("id")
Loaded = tuple[dict[uuid.UUID, SimpleNamespace], dict[tuple[uuid.UUID, int], dict[str, Any]],
               dict[uuid.UUID, dict[str, Any]]]


def _row(values: dict[str, Any]) -> SimpleNamespace:
    """A dossier row shaped like the model for `dossier_dict` (`procedure.name` included)."""
    proc = SimpleNamespace(name=values.pop("procedure_name"),
                           current_version=values.pop("current_version"))
    return SimpleNamespace(**values, procedure=proc)


@contextmanager
def driver(session: Session) -> Iterator[Any]:
    """The session's psycopg connection (its transaction); a driver error comes out as
    SQLAlchemy's DBAPIError, and a lost connection is invalidated in the pool."""
    conn = session.connection()
    raw = conn.connection.driver_connection
    dialect = conn.dialect
    try:
        yield raw
    except dialect.loaded_dbapi.Error as exc:
        lost = dialect.is_disconnect(exc, conn.connection.dbapi_connection, None)
        if lost:
            conn.invalidate(exc)
        raise DBAPIError.instance(None, None, exc, dialect.loaded_dbapi.Error,
                                  connection_invalidated=lost, dialect=dialect) from exc


def begin(session: Session, client_id: uuid.UUID, user_id: int, now: Any, ids: list[uuid.UUID],
          wanted: set[tuple[uuid.UUID, int]]) -> tuple[SimpleNamespace | None, Loaded]:
    """PostgreSQL, one statement (with the transaction's BEGIN, one round trip): the
    client's row, created on first sight (bound to the user, if the user exists) or locked,
    and the batch's dossiers, each row carrying the client's columns.

    The client row is None when neither it nor the user exists."""
    with driver(session) as conn, conn.cursor() as cur:
        with conn.pipeline():
            # This statement is prepared (psycopg, after a few runs), but PostgreSQL kept
            # planning it afresh for every batch (its custom plans looked cheaper than the
            # generic one). For a batch about one dossier (a phone saving as it is typed in)
            # the generic plan saves about 0.3 ms of the server's CPU; for batches about
            # several, the custom plans ran faster (measured: docs/benchmarks.md).
            if len(ids) == 1:
                cur.execute(_GENERIC_PLANS)  # for this transaction only
            params = {**_params(client_id, ids, wanted), "now": now, "user_id": user_id}
            cur.execute(_BEGIN, params)
        found = cur.fetchall()
        if not found:  # a first sight raced by another push from the same client, or no user
            cur.execute(_BEGIN_AGAIN, params)
            found = cur.fetchall()
    if not found:
        return None, ({}, {}, {})
    first = found[0]
    state = SimpleNamespace(client_id=client_id, user_id=first[0], last_mutation_id=first[1],
                            last_captured_at=first[2], updated_at=first[3])
    # Without dossiers, the one row has the client's columns and NULLs.
    return state, _fetch([values[4:] for values in found if values[4 + _ID] is not None])


def postgres(session: Session, client_id: uuid.UUID, ids: list[uuid.UUID],
             wanted: set[tuple[uuid.UUID, int]]) -> Loaded:
    """PostgreSQL: dossiers read again later in the batch (one statement)."""
    with driver(session) as conn, conn.cursor() as cur:
        cur.execute(_DOSSIERS, _params(client_id, ids, wanted))
        return _fetch(cur.fetchall())


def _params(client_id: uuid.UUID, ids: list[uuid.UUID],
            wanted: set[tuple[uuid.UUID, int]]) -> dict[str, Any]:
    # A version named for one dossier may come for another too: harmless.
    return {"client_id": client_id, "ids": ids, "versions": sorted({v for _, v in wanted})}


def _fetch(found: list[Any]) -> Loaded:
    # Rows as tuples, named from the model (no per-column description lookups).
    rows, bases, own = {}, {}, {}
    for values in found:
        row = _row(dict(zip(_NAMES, values[:-2], strict=True)))
        rows[row.id] = row
        for version, fields in (values[-2] or {}).items():
            bases[(row.id, int(version))] = fields
        if values[-1] is not None:
            own[row.id] = values[-1]
    return rows, bases, own


# The dossiers in id order (the same lock order as every other writer of dossiers), each
# with the base versions the batch names and this client's own earlier writes.
_DOSSIERS = (
    f"SELECT {', '.join(f'd.{c}' for c in _COLUMNS)}, p.name AS procedure_name, "
    "p.current_version, fv.etag, "
    "(SELECT jsonb_object_agg(v.version, v.fields) FROM dossier_versions v "
    " WHERE v.dossier_id = d.id AND v.version = ANY(%(versions)s::int[])) AS bases, "
    "(SELECT w.fields FROM client_writes w "
    " WHERE w.client_id = %(client_id)s AND w.dossier_id = d.id) AS own "
    "FROM dossiers d JOIN procedures p ON p.code = d.procedure_code "
    "LEFT JOIN form_versions fv ON fv.procedure_code = d.procedure_code "
    "AND fv.version = d.form_version WHERE d.id = ANY(%(ids)s::uuid[]) ORDER BY d.id "
    "FOR UPDATE OF d")


# The client's row: inserted on first sight, or else read and locked (FOR UPDATE, which
# writes no new row version: the no-op update this replaced cost a row version and made the
# write statement's update of the row re-check its foreign key). Either way returned.
_INSERT_CLIENT = (
    "INSERT INTO client_states (client_id, user_id, last_mutation_id, created_at, "
    "updated_at) SELECT %(client_id)s, u.id, 0, %(now)s, %(now)s FROM users u "
    "WHERE u.id = %(user_id)s ON CONFLICT (client_id) DO {} "
    "RETURNING user_id, last_mutation_id, last_captured_at, updated_at")
_CLIENT = (
    f"i AS ({_INSERT_CLIENT.format('NOTHING')}), "
    "l AS (SELECT user_id, last_mutation_id, last_captured_at, updated_at FROM client_states "
    "WHERE client_id = %(client_id)s FOR UPDATE), "
    "c AS (SELECT * FROM i UNION ALL SELECT * FROM l)")
# When another transaction inserted the row after this statement's snapshot was taken, the
# insert did nothing and the read did not see it: this statement, run next (with a snapshot
# of its own), inserts the row or locks it by a no-op update.
_CLIENT_AGAIN = "WITH c AS ({}) ".format(_INSERT_CLIENT.format(
    "UPDATE SET updated_at = client_states.updated_at"))
_GENERIC_PLANS = "SET LOCAL plan_cache_mode = force_generic_plan"
_JOIN_DOSSIERS = f"SELECT c.*, d.* FROM c LEFT JOIN LATERAL ({_DOSSIERS}) AS d ON true"
_BEGIN = f"WITH {_CLIENT} {_JOIN_DOSSIERS}"
_BEGIN_AGAIN = _CLIENT_AGAIN + _JOIN_DOSSIERS


def on_sqlite(session: Session, client_id: uuid.UUID, ids: list[uuid.UUID],
         wanted: set[tuple[uuid.UUID, int]]) -> Loaded:
    table = Dossier.__table__
    stmt = (select(table, Procedure.name.label("procedure_name"), Procedure.current_version,
                   FormVersion.etag)
            .join(Procedure, Procedure.code == table.c.procedure_code)
            .outerjoin(FormVersion, and_(FormVersion.procedure_code == table.c.procedure_code,
                                         FormVersion.version == table.c.form_version))
            .where(table.c.id.in_(ids)).order_by(table.c.id).with_for_update(of=table))
    rows = {}
    for values in session.execute(stmt).mappings():
        row = _row(dict(values))
        rows[row.id] = row
    bases: dict[tuple[uuid.UUID, int], dict[str, Any]] = {}
    if wanted:
        for did, version, fields in session.execute(
                select(DossierVersion.dossier_id, DossierVersion.version, DossierVersion.fields)
                .where(DossierVersion.dossier_id.in_({d for d, _ in wanted}),
                       DossierVersion.version.in_({v for _, v in wanted}))):
            bases[(did, version)] = fields
    own = dict(session.execute(select(ClientWrite.dossier_id, ClientWrite.fields).where(
        ClientWrite.client_id == client_id, ClientWrite.dossier_id.in_(ids))).all())
    return rows, bases, own


def lock_client_on_sqlite(session: Session, client_id: uuid.UUID, user_id: int,
                     now: Any) -> ClientState | None:
    """SQLite: the client's row, created on first sight (None when the user does not exist)."""
    stmt = (select(ClientState).where(ClientState.client_id == client_id).with_for_update()
            .execution_options(populate_existing=True))
    state = session.scalars(stmt).first()
    if state is None:
        if session.get(User, user_id) is None:
            return None
        session.execute(sqlite.insert(ClientState).values(
            client_id=client_id, user_id=user_id, last_mutation_id=0, created_at=now,
            updated_at=now).on_conflict_do_nothing(index_elements=["client_id"]))
        state = session.scalars(stmt).one()
    return state
