"""The rows a push batch queued, written together: one statement per table.

`pipelined` (PostgreSQL) sends every statement through psycopg's pipeline mode on the
session's own connection and transaction, with the COMMIT when it is the batch's last
write: one round trip for the whole batch. `core` does the same with SQLAlchemy Core
statements (SQLite; the engine commits).

The feed's sequence numbers are allocated by ONE update of the user's row (`change_seq =
change_seq + n`), which locks it until commit like `sync.feed.record` does, so the feed
stays gap-free.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from app.models.dossiers import Dossier, DossierVersion
from app.models.sync import ClientState, ClientWrite, MutationResult
from app.services import clock
from sync import feed
from sync.reads import driver

Rows = list[dict[str, Any]]

_FEED = """
WITH u AS (UPDATE users SET change_seq = change_seq + %(n)s WHERE id = %(user_id)s
           RETURNING change_seq)
INSERT INTO changes (user_id, seq, entity, entity_id, op, created_at)
SELECT %(user_id)s, u.change_seq - %(n)s + t.ord, t.entity, t.entity_id, t.op, %(now)s
FROM u, unnest(%(entities)s::text[], %(ids)s::text[], %(ops)s::text[])
     WITH ORDINALITY AS t(entity, entity_id, op, ord)"""


def pipelined(session: Session, user_id: int, *, dossiers: Rows, own: Rows, versions: Rows,
              changes: list[tuple[str, Any, str]], results: Rows, client: dict[str, Any] | None,
              commit: bool = False) -> None:
    """`commit`: end the transaction in the same round trip (the session's own commit that
    follows finds nothing left to do)."""
    # Each table's rows go as ONE json array (one C-speed json.dumps, no per-row adaptation),
    # unpacked by jsonb_array_elements on the server.
    with driver(session) as conn, conn.pipeline(), conn.cursor() as cur:
        if dossiers:
            cur.execute(
                "UPDATE dossiers AS d SET version = (r->>'version')::int, fields = r->'fields', "
                "field_stamps = r->'field_stamps', updated_at = (r->>'at')::timestamptz "
                "FROM jsonb_array_elements(%s::jsonb) AS r WHERE d.id = (r->>'id')::uuid",
                (_json([{"id": str(d["id"]), "version": d["version"], "fields": d["fields"],
                         "field_stamps": d["field_stamps"], "at": d["updated_at"].isoformat()}
                        for d in dossiers]),))
        if own:
            cur.execute(
                "INSERT INTO client_writes (client_id, dossier_id, fields) "
                "SELECT %s, (r->>'dossier_id')::uuid, r->'fields' "
                "FROM jsonb_array_elements(%s::jsonb) AS r "
                "ON CONFLICT (client_id, dossier_id) DO UPDATE SET fields = EXCLUDED.fields",
                (own[0]["client_id"], _json([{"dossier_id": str(w["dossier_id"]),
                                              "fields": w["fields"]} for w in own])))
        if versions:
            cur.execute(
                "INSERT INTO dossier_versions (dossier_id, version, fields, stamps, created_at) "
                "SELECT (r->>'dossier_id')::uuid, (r->>'version')::int, r->'fields', r->'stamps', "
                "(r->>'at')::timestamptz FROM jsonb_array_elements(%s::jsonb) AS r",
                (_json([{"dossier_id": str(v["dossier_id"]), "version": v["version"],
                         "fields": v["fields"], "stamps": v["stamps"],
                         "at": v["created_at"].isoformat()} for v in versions]),))
        if changes:
            cur.execute(_FEED, {"n": len(changes), "user_id": user_id, "now": clock.now(),
                                "entities": [c[0] for c in changes],
                                "ids": [str(c[1]) for c in changes],
                                "ops": [c[2] for c in changes]})
        if results:
            cur.execute(
                "INSERT INTO mutation_results (client_id, mutation_id, name, result, created_at) "
                "SELECT %s, (r->>'id')::int, r->>'name', r->'result', %s "
                "FROM jsonb_array_elements(%s::jsonb) AS r",
                (results[0]["client_id"], results[0]["created_at"], _json(
                    [{"id": r["mutation_id"], "name": r["name"], "result": r["result"]}
                     for r in results])))
        if client:
            cur.execute(
                "UPDATE client_states SET last_mutation_id = %s, last_captured_at = %s, "
                "updated_at = %s WHERE client_id = %s",
                (client["last_mutation_id"], client["last_captured_at"], client["updated_at"],
                 client["client_id"]))
        if commit:
            conn.commit()


def _json(rows: Rows) -> str:
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"))


def core(session: Session, user_id: int, *, dossiers: Rows, own: Rows, versions: Rows,
         changes: list[tuple[str, Any, str]], results: Rows, client: dict[str, Any] | None,
         commit: bool = False) -> None:
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
        feed.record_many(session, user_id, changes)
    if results:
        session.execute(MutationResult.__table__.insert(), results)
    if client:
        table = ClientState.__table__
        session.execute(update(table).where(table.c.client_id == client["client_id"]).values(
            last_mutation_id=client["last_mutation_id"],
            last_captured_at=client["last_captured_at"], updated_at=client["updated_at"]))
