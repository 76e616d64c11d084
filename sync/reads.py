"""What a push batch's saves read up front, as plain rows: its dossiers (locked), the base
versions it names and this client's own writes.

`pipelined` (PostgreSQL) sends the three SELECTs through psycopg's pipeline mode on the
session's connection: one round trip. `core` runs them as SQLAlchemy Core statements
(SQLite). Both return the same shapes.
"""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from app.models.catalog import FormVersion, Procedure
from app.models.dossiers import Dossier, DossierVersion
from app.models.sync import ClientWrite

# Every column dossier_dict reads, plus what the fast path needs to decide.
_COLUMNS = [c.name for c in Dossier.__table__.columns]
_NAMES = [*_COLUMNS, "procedure_name", "current_version", "etag"]
Loaded = tuple[dict[uuid.UUID, SimpleNamespace], dict[tuple[uuid.UUID, int], dict[str, Any]],
               dict[uuid.UUID, dict[str, Any]]]


def _row(values: dict[str, Any]) -> SimpleNamespace:
    """A dossier row shaped like the model for `dossier_dict` (`procedure.name` included)."""
    proc = SimpleNamespace(name=values.pop("procedure_name"),
                           current_version=values.pop("current_version"))
    return SimpleNamespace(**values, procedure=proc)


def pipelined(session: Session, client_id: uuid.UUID, ids: list[uuid.UUID],
              wanted: set[tuple[uuid.UUID, int]]) -> Loaded:
    conn = session.connection().connection.driver_connection
    assert conn is not None
    cols = ", ".join(f"d.{c}" for c in _COLUMNS)
    # Rows as tuples, named from the model (no per-column description lookups).
    with conn.cursor() as dossiers, conn.cursor() as versions, conn.cursor() as own:
        _select(conn, dossiers, versions, own, cols, client_id, ids, wanted)
        rows = {}
        for values in dossiers.fetchall():
            row = _row(dict(zip(_NAMES, values, strict=True)))
            rows[row.id] = row
        bases = {(d, v): f for d, v, f in versions.fetchall()} if wanted else {}
        return rows, bases, dict(own.fetchall())


def _select(conn: Any, dossiers: Any, versions: Any, own: Any, cols: str, client_id: uuid.UUID,
            ids: list[uuid.UUID], wanted: set[tuple[uuid.UUID, int]]) -> None:
    with conn.pipeline():
        # In id order: the same lock order as every other writer of dossiers.
        dossiers.execute(
            f"SELECT {cols}, p.name AS procedure_name, p.current_version, fv.etag "
            "FROM dossiers d JOIN procedures p ON p.code = d.procedure_code "
            "LEFT JOIN form_versions fv ON fv.procedure_code = d.procedure_code "
            "AND fv.version = d.form_version WHERE d.id = ANY(%s) ORDER BY d.id FOR UPDATE OF d",
            (ids,))
        if wanted:
            versions.execute(
                "SELECT v.dossier_id, v.version, v.fields FROM dossier_versions v "
                "JOIN unnest(%s::uuid[], %s::int[]) AS w(id, version) "
                "ON v.dossier_id = w.id AND v.version = w.version",
                ([d for d, _ in wanted], [v for _, v in wanted]))
        own.execute("SELECT dossier_id, fields FROM client_writes "
                    "WHERE client_id = %s AND dossier_id = ANY(%s)", (client_id, ids))


def core(session: Session, client_id: uuid.UUID, ids: list[uuid.UUID],
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


def lock_client(session: Session, client_id: uuid.UUID, user_id: int, now: Any) -> SimpleNamespace:
    """PostgreSQL: the client's row, created on first sight and locked until commit, in one
    round trip; a plain object (the batch writes it back with its other rows)."""
    conn = session.connection().connection.driver_connection
    assert conn is not None
    with conn.cursor() as cur:
        with conn.pipeline():
            cur.execute("INSERT INTO client_states (client_id, user_id, last_mutation_id, "
                        "created_at, updated_at) VALUES (%s, %s, 0, %s, %s) "
                        "ON CONFLICT (client_id) DO NOTHING", (client_id, user_id, now, now))
            cur.execute("SELECT user_id, last_mutation_id, last_captured_at, updated_at "
                        "FROM client_states WHERE client_id = %s FOR UPDATE", (client_id,))
        found = cur.fetchone()
    assert found is not None
    return SimpleNamespace(client_id=client_id, user_id=found[0], last_mutation_id=found[1],
                           last_captured_at=found[2], updated_at=found[3])
