"""The rows a push batch queued, written together.

`pipelined` (PostgreSQL) writes every table in ONE statement on the session's own
connection and transaction, followed by the COMMIT when it is the batch's last write, in
psycopg's pipeline mode: one round trip for the whole batch. `on_sqlite` does the same with
one SQLAlchemy Core statement per table (SQLite; the engine commits).

The feed's sequence numbers are allocated by ONE update of the user's row (`change_seq =
change_seq + n`), which locks it until commit like `app.services.change_feed.record` does, so the feed
stays gap-free.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from app import compactjson
from app.models.dossiers import Dossier, DossierVersion
from app.models.sync import ClientState, ClientWrite, MutationResult
from app.services import change_feed, clock
from sync.reads import driver

Rows = list[dict[str, Any]]

# Every row of the batch in ONE statement (data-modifying CTEs, one jsonb document: one
# encoding, no per-row adaptation). Its shape never changes, so the server keeps
# it prepared. Empty arrays write nothing; the user's row is locked only when the feed grows.
_WRITE = """
WITH j AS MATERIALIZED (SELECT %(doc)s::jsonb AS doc),
d AS (UPDATE dossiers AS t SET version = (r->>'version')::int, fields = r->'fields',
             field_stamps = r->'field_stamps', updated_at = (r->>'at')::timestamptz
      FROM j, jsonb_array_elements(j.doc->'dossiers') AS r WHERE t.id = (r->>'id')::uuid),
w AS (INSERT INTO client_writes (client_id, dossier_id, fields)
      SELECT (j.doc->>'client_id')::uuid, (r->>'dossier_id')::uuid, r->'fields'
      FROM j, jsonb_array_elements(j.doc->'own') AS r
      ON CONFLICT (client_id, dossier_id) DO UPDATE SET fields = EXCLUDED.fields),
v AS (INSERT INTO dossier_versions (dossier_id, version, fields, stamps, created_at)
      SELECT (r->>'dossier_id')::uuid, (r->>'version')::int, r->'fields', r->'stamps',
             (r->>'at')::timestamptz
      FROM j, jsonb_array_elements(j.doc->'versions') AS r),
u AS (UPDATE users SET change_seq = change_seq + k.n
      FROM (SELECT jsonb_array_length(doc->'changes') AS n FROM j) AS k
      WHERE id = %(user_id)s AND k.n > 0 RETURNING change_seq, k.n),
c AS (INSERT INTO changes (user_id, seq, entity, entity_id, op, created_at)
      SELECT %(user_id)s, u.change_seq - u.n + e.ord, e.x->>0, e.x->>1, e.x->>2, %(now)s
      FROM u, j, jsonb_array_elements(j.doc->'changes') WITH ORDINALITY AS e(x, ord)),
r AS (INSERT INTO mutation_results (client_id, mutation_id, name, result, created_at)
      SELECT (j.doc->>'client_id')::uuid, (x->>'id')::int, x->>'name', x->'result',
             (x->>'at')::timestamptz
      FROM j, jsonb_array_elements(j.doc->'results') AS x),
s AS (UPDATE client_states AS t SET last_mutation_id = (x->>'last_mutation_id')::int,
             last_captured_at = (x->>'last_captured_at')::timestamptz,
             updated_at = (x->>'updated_at')::timestamptz
      FROM j, jsonb_extract_path(j.doc, 'client') AS x
      WHERE jsonb_typeof(x) = 'object' AND t.client_id = (j.doc->>'client_id')::uuid)
SELECT 1"""


def pipelined(session: Session, user_id: int, client_id: uuid.UUID, *, dossiers: Rows,
              own: Rows, versions: Rows, changes: list[tuple[str, Any, str]], results: Rows,
              client: dict[str, Any] | None, commit: bool = False) -> None:
    """`commit`: end the transaction in the same round trip (the session's own commit that
    follows finds nothing left to do)."""
    doc = {
        "client_id": str(client_id),
        "dossiers": [{"id": str(d["id"]), "version": d["version"], "fields": d["fields"],
                      "field_stamps": d["field_stamps"], "at": d["updated_at"].isoformat()}
                     for d in dossiers],
        "own": [{"dossier_id": str(w["dossier_id"]), "fields": w["fields"]} for w in own],
        "versions": [{"dossier_id": str(v["dossier_id"]), "version": v["version"],
                      "fields": v["fields"], "stamps": v["stamps"],
                      "at": v["created_at"].isoformat()} for v in versions],
        "changes": [[c[0], str(c[1]), c[2]] for c in changes],
        "results": [{"id": r["mutation_id"], "name": r["name"], "result": r["result"],
                     "at": r["created_at"].isoformat()} for r in results],
        "client": None if client is None else {
            "last_mutation_id": client["last_mutation_id"],
            "last_captured_at": clock.iso(client["last_captured_at"]),
            "updated_at": clock.iso(client["updated_at"])},
    }
    with driver(session) as conn, conn.pipeline(), conn.cursor() as cur:
        cur.execute(_WRITE, {"doc": compactjson.dumps(doc), "user_id": user_id, "now": clock.now()})
        if commit:
            # As a statement: `conn.commit()` would add a Sync of its own, and the pipeline's
            # exit another (two round trips); this way the exit's Sync carries both. psycopg
            # reads the transaction's state from the server, so the session's commit that
            # follows finds nothing left to do.
            cur.execute("COMMIT")



def on_sqlite(session: Session, user_id: int, client_id: uuid.UUID, *, dossiers: Rows, own: Rows,
         versions: Rows, changes: list[tuple[str, Any, str]], results: Rows,
         client: dict[str, Any] | None, commit: bool = False) -> None:
    if dossiers:
        table = Dossier.__table__
        session.execute(
            update(table).where(table.c.id == bindparam("b_id")).values(
                version=bindparam("b_version"), fields=bindparam("b_fields"),
                field_stamps=bindparam("b_stamps"), updated_at=bindparam("b_updated_at")),
            [{"b_id": d["id"], "b_version": d["version"], "b_fields": d["fields"],
              "b_stamps": d["field_stamps"], "b_updated_at": d["updated_at"]} for d in dossiers])
    if own:
        stmt = sqlite.insert(ClientWrite.__table__)
        session.execute(stmt.on_conflict_do_update(
            index_elements=["client_id", "dossier_id"], set_={"fields": stmt.excluded.fields}), own)
    if versions:
        session.execute(DossierVersion.__table__.insert(), versions)
    if changes:
        change_feed.record_many(session, user_id, changes)
    if results:
        session.execute(MutationResult.__table__.insert(), results)
    if client:
        table = ClientState.__table__
        session.execute(update(table).where(table.c.client_id == client_id).values(
            last_mutation_id=client["last_mutation_id"],
            last_captured_at=client["last_captured_at"], updated_at=client["updated_at"]))
