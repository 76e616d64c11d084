"""The floor for `benchmarks/sync_push.py`: a bare Flask route on the same gunicorn settings
as Hoso, writing the same rows as the raw psycopg run (lock the client's row, upsert each
dossier, store each result, bump `last_mutation_id`, one commit per batch) and answering
`{last_mutation_id, results}`. No authentication, no validation, no merge: what any Flask
app pays to take a batch over HTTP and commit it. Run by the benchmark as
`gunicorn benchmarks.floor_app:app` with FLOOR_DSN set.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

import psycopg
from flask import Flask, Response, request
from psycopg.types.json import Jsonb

app = Flask(__name__)
_local = threading.local()


def _conn() -> psycopg.Connection[Any]:
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = _local.conn = psycopg.connect(os.environ["FLOOR_DSN"])
    return conn


@app.post("/api/v1/sync/push")
def push() -> Response:
    body = request.get_json()
    cid, mutations = body["client_id"], body["mutations"]
    results = []
    conn = _conn()
    with conn.transaction():
        row = conn.execute("INSERT INTO bench_clients AS c (client_id, user_id) VALUES (%s, 0) "
                           "ON CONFLICT (client_id) DO UPDATE SET user_id = c.user_id "
                           "RETURNING last_mutation_id", (cid,)).fetchone()
        last = row[0] if row else 0
        for m in mutations:
            if m["id"] <= last:
                continue
            fields = m["args"].get("fields") or {}
            version = conn.execute(
                "INSERT INTO bench_dossiers AS d (id, owner_id, version, fields, updated_at) "
                "VALUES (%s, 0, 1, %s, now()) ON CONFLICT (id) DO UPDATE SET version = d.version + 1, "
                "fields = d.fields || EXCLUDED.fields, updated_at = now() RETURNING version",
                (m["args"]["dossier_id"], Jsonb(fields))).fetchone()[0]
            result = {"id": m["id"], "status": "applied",
                      "entity": {"id": m["args"]["dossier_id"], "version": version, "fields": fields},
                      "conflicts": []}
            conn.execute("INSERT INTO bench_results (client_id, mutation_id, result) VALUES (%s, %s, %s) "
                         "ON CONFLICT DO NOTHING", (cid, m["id"], Jsonb(result)))
            results.append(result)
            last = m["id"]
        conn.execute("UPDATE bench_clients SET last_mutation_id = %s WHERE client_id = %s", (last, cid))
    return Response(json.dumps({"last_mutation_id": last, "results": results}),
                    mimetype="application/json")


@app.get("/api/v1/sync/pull")
def pull() -> Response:
    """The pull the phones make every 10th push: the client's position, nothing more."""
    cid = request.args.get("client_id")
    with _conn().transaction():
        row = _conn().execute("SELECT last_mutation_id FROM bench_clients WHERE client_id = %s",
                              (cid,)).fetchone()
    return Response(json.dumps({"cursor": "0", "has_more": False,
                                "last_mutation_id": row[0] if row else 0, "changes": []}),
                    mimetype="application/json")


@app.get("/readyz")
def ready() -> Response:
    return Response('{"status":"ok"}', mimetype="application/json")
