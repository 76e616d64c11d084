"""Sync push benchmark: Hoso, the floor and the peer, in the same run, against PostgreSQL.

    .venv/bin/python benchmarks/sync_push.py [--phones 50] [--seconds 10] [--batches 20,1]
        [--workers 4] [--threads 4] [--client-procs 2] [--offered-rate 1] [--no-floor]
        [--no-peer] [--raw] [--py-spy DIR] [--in-process | --scale]
        [--database-url postgresql://postgres@127.0.0.1:5432/hoso_sync_bench]

The database is wiped and rebuilt (create_all + demo catalog). N simulated phones (threads
in `--client-procs` processes, one kept-alive `http.client` connection each) push batches
back to back and pull after every 10th push, against three servers started side by side:
- **hoso**: `wsgi:app` on gunicorn (4 gthread workers x 4 threads, `--reuse-port`). Each
  phone has its own account, client id and 5 drafts (made in an untimed warm-up, at
  version 2) and sends `dossier.save` batches, each save changing one field.
- **floor**: `benchmarks/floor_app.py`, a bare Flask route on the same gunicorn settings
  writing the same rows (lock the client, upsert the dossier, store the result, bump
  `last_mutation_id`, one commit per batch), no auth, no merge: the least any Flask app pays.
- **peer**: pouchdb-server 4.2.0 (CouchDB's protocol over LevelDB), installed with npm into
  `--peer-dir` on first use (skipped with `--no-peer`, or when npm is absent): the same
  documents through `_bulk_docs` with their `_rev`s, `_changes` every 10th push, one
  database per phone.
Each run prints mutations/s, p50/p95/p99 push latency, CPU per mutation (the server's
processes, every postgres process on the machine) and the machine's load; the summary gives
Hoso's ratio to the floor and the peer measured in the same run. Then an open-loop run:
every phone pushes `--offered-rate` times a second at batch 1 (pulls included), latency
counted from when each push was due. `--raw` adds bare psycopg without HTTP.
`--in-process` measures only the CPU per mutation of a push in-process (Flask test client,
one thread): the figure to compare two versions of the code on a busy machine; `--scale`
does it at 1,000 citizens / 10,000 stored dossiers and at 100,000 / 1,000,000.
`--py-spy DIR` records each Hoso gunicorn worker during each timed run.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks import proc_cpu  # noqa: E402

KEY = "benchmark-secret-key-that-is-long-enough-for-hs256"
DRAFTS_PER_PHONE = 5
WARM_UP_SECONDS = 5.0
PULL_EVERY = int(os.environ.get("BENCH_PULL_EVERY", "10"))  # 0: never pull
# The phones edit on the procedure's current form version (set by `setup`, read by the client
# processes): a save on an older version takes the form-drift path, not the common one.
FORM_VERSION = int(os.environ.get("BENCH_FORM_VERSION", "0"))


def _now() -> str:
    return datetime.now(UTC).isoformat()


def ensure_database(dsn: str) -> None:
    """Creates the benchmark database when the server does not have it yet."""
    import psycopg

    parts = urllib.parse.urlsplit(dsn)
    name = parts.path.lstrip("/")
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def setup(url: str, phones: int) -> list[str]:
    """Fresh schema, demo catalog, one citizen per phone; returns their access tokens."""
    from sqlalchemy import text

    from app import create_app
    from app.extensions import db
    from app.models import Base
    from app.models.catalog import Procedure
    from app.services import accounts, catalog

    global FORM_VERSION
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": KEY, "JWT_SECRET_KEY": KEY,
                      "JWT_ACCESS_TOKEN_EXPIRES": timedelta(hours=4)})
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS bench_dossiers, bench_results, bench_clients"))
        Base.metadata.drop_all(db.engine)
        Base.metadata.create_all(db.engine)
        catalog.load_demo(db.session)
        FORM_VERSION = db.session.get(Procedure, "birth-registration").current_version
        os.environ["BENCH_FORM_VERSION"] = str(FORM_VERSION)
        tokens = []
        for i in range(phones):
            user = accounts.register(db.session, password="Mat-khau-dai-42", full_name=f"Bench {i}",
                                     phone=f"09{i:08d}", language="vi")
            tokens.append(accounts.issue_tokens(db.session, user)["access_token"])
        db.session.commit()
        db.engine.dispose()
    return tokens


def start_gunicorn(url: str, workers: int, threads: int, log: Path,
                   worker_class: str = "gthread", app: str = "wsgi:app",
                   extra_env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """Hoso (`wsgi:app`) or the floor (`benchmarks.floor_app:app`), on the same settings:
    gunicorn writes no access log, as in production (`gunicorn.conf.py`: Hoso logs each
    request itself, as JSON)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": KEY, "JWT_SECRET_KEY": KEY,
           "JWT_ACCESS_SECONDS": str(3600 * 4), "DB_POOL_SIZE": str(threads), "DB_MAX_OVERFLOW": "2",
           **(extra_env or {})}
    env.pop("REDIS_URL", None)
    fh = log.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--threads", str(threads), "--worker-class", worker_class,
         "--log-level", "warning", "--backlog", "2048",
         *([] if os.environ.get("BENCH_NO_REUSE_PORT") else ["--reuse-port"])],
        cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    import requests

    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(base + "/readyz", timeout=2).status_code == 200:
                return proc, base
        except requests.RequestException:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"gunicorn did not start: {log.read_text()[-2000:]}")
        time.sleep(0.05)


def _phone_loop(base: str, token: str, batch: int, timing: tuple[Any, ...],
                out: list[Any], rate: float = 0.0) -> None:
    """One phone: its own client id and drafts, pushing batches back to back (or `rate`
    pushes per second, each timed from when it was due, so a server falling behind shows in
    the latency), pulling now and then; records (latency, mutations) per push. Plain
    http.client with keep-alive, so the load generator costs little of the 2 cores it shares
    with the server."""
    if base.startswith("peer:"):
        _peer_phone(base.removeprefix("peer:"), batch, timing, out, rate)
        return
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "vi",
               "Content-Type": "application/json"}
    cid = str(uuid.uuid4())
    drafts = [str(uuid.uuid4()) for _ in range(DRAFTS_PER_PHONE)]
    next_id, n, cursor = 1, 0, None
    lat: list[float] = []
    pulls: list[float] = []
    errors = 0
    # Warm-up (not timed): create the phone's drafts (version 1) with a first value (version 2),
    # as the phone did once when the citizen started them; the timed saves edit from version 2.
    warm = [{"id": i + 1, "name": "dossier.save", "captured_at": _now(),
             "args": {"dossier_id": d, "procedure_code": "birth-registration",
                      "form_version": FORM_VERSION, "fields": {"child_home_town": "Huế"}}}
            for i, d in enumerate(drafts)]
    conn.request("POST", "/api/v1/sync/push", headers=headers,
                 body=json.dumps({"client_id": cid, "mutations": warm}).encode())
    assert conn.getresponse().read() and next_id == 1
    next_id = len(warm) + 1
    if PULL_EVERY:  # the first pull is a snapshot, once per phone: part of the warm-up
        conn.request("GET", f"/api/v1/sync/pull?client_id={cid}", headers=headers)
        cursor = json.loads(conn.getresponse().read()).get("cursor")
    start_at, stop_at = _go(timing)
    conn.close()  # idle while the others warmed up: the server may have closed it; reopened on use
    due = _first_due(start_at, rate)
    time.sleep(max(0.0, due - time.monotonic()))
    while time.monotonic() < stop_at:
        muts = []
        for _ in range(batch):
            d = drafts[n % DRAFTS_PER_PHONE]
            muts.append({"id": next_id, "name": "dossier.save", "captured_at": _now(),
                         "args": {"dossier_id": d, "procedure_code": "birth-registration",
                                  "form_version": FORM_VERSION, "base_version": 2,
                                  "fields": {"child_home_town": f"Thôn {n}"}}})
            next_id, n = next_id + 1, n + 1
        body = json.dumps({"client_id": cid, "mutations": muts}).encode()
        t0 = due if rate else time.monotonic()
        conn.request("POST", "/api/v1/sync/push", body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        dt = time.monotonic() - t0
        due = _next_due(due, rate)
        if resp.status != 200 or json.loads(data)["last_mutation_id"] != next_id - 1:
            errors += 1
            continue
        lat.append(dt)
        if PULL_EVERY and len(lat) % PULL_EVERY == 0:
            t0 = time.perf_counter()
            query = urllib.parse.urlencode({"client_id": cid, **({"cursor": cursor} if cursor else {})})
            conn.request("GET", f"/api/v1/sync/pull?{query}", headers=headers)
            page = json.loads(conn.getresponse().read())
            cursor = page.get("cursor", cursor)
            pulls.append(time.perf_counter() - t0)
    conn.close()
    out.append((lat, pulls, errors))


def _go(timing: tuple[Any, ...]) -> tuple[float, float]:
    """This phone is warmed up: wait for every other one, then run for the timed seconds
    (the warm-up takes as long as it takes on a loaded machine; it is never timed)."""
    ready, go, start, seconds = timing
    with ready.get_lock():
        ready.value += 1
    go.wait(900)
    return start.value, start.value + seconds


def _first_due(start_at: float, rate: float) -> float:
    """Open loop: each phone starts at its own phase within the first period."""
    return start_at + (uuid.uuid4().int % 1000) / 1000 / rate if rate else start_at


def _next_due(due: float, rate: float) -> float:
    if not rate:
        return time.monotonic()
    due += 1 / rate
    time.sleep(max(0.0, due - time.monotonic()))
    return due


def _peer_phone(base: str, batch: int, timing: tuple[Any, ...], out: list[Any],
                rate: float) -> None:
    """The same phone against the peer (CouchDB's protocol, one database per phone as
    CouchDB's per-user databases): `_bulk_docs` with each document's current `_rev`, and
    `_changes` since the last sequence every 10th push. A batch names each document once
    (CouchDB refuses a second update of one `_rev` in a batch), so a phone has
    max(5, batch) documents."""
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    headers = {"Content-Type": "application/json"}
    db = f"phone-{uuid.uuid4().hex[:12]}"
    conn.request("PUT", f"/{db}", headers=headers)
    assert conn.getresponse().read()
    docs = [str(uuid.uuid4()) for _ in range(max(DRAFTS_PER_PHONE, batch))]
    revs: dict[str, str] = {}
    conn.request("POST", f"/{db}/_bulk_docs", headers=headers, body=json.dumps({"docs": [
        {"_id": d, "procedure_code": "birth-registration", "form_version": FORM_VERSION,
         "fields": {"child_home_town": "Huế"}} for d in docs]}).encode())
    revs.update((r["id"], r["rev"]) for r in json.loads(conn.getresponse().read()))
    n, since, errors = 0, "0", 0
    lat: list[float] = []
    pulls: list[float] = []
    start_at, stop_at = _go(timing)
    conn.close()
    due = _first_due(start_at, rate)
    time.sleep(max(0.0, due - time.monotonic()))
    while time.monotonic() < stop_at:
        chosen = [docs[(n + i) % len(docs)] for i in range(batch)]
        body = json.dumps({"docs": [{"_id": d, "_rev": revs[d], "procedure_code": "birth-registration",
                                     "form_version": FORM_VERSION,
                                     "fields": {"child_home_town": f"Thôn {n + i}"}}
                                    for i, d in enumerate(chosen)]}).encode()
        n += batch
        t0 = due if rate else time.monotonic()
        conn.request("POST", f"/{db}/_bulk_docs", body=body, headers=headers)
        resp = conn.getresponse()
        answer = json.loads(resp.read())
        dt = time.monotonic() - t0
        due = _next_due(due, rate)
        if resp.status != 201 or any("rev" not in r for r in answer):
            errors += 1
            continue
        revs.update((r["id"], r["rev"]) for r in answer)
        lat.append(dt)
        if PULL_EVERY and len(lat) % PULL_EVERY == 0:
            t0 = time.perf_counter()
            conn.request("GET", f"/{db}/_changes?include_docs=true&since={urllib.parse.quote(str(since))}")
            since = json.loads(conn.getresponse().read())["last_seq"]
            pulls.append(time.perf_counter() - t0)
    conn.close()
    out.append((lat, pulls, errors))


def _worker(base: str, tokens: list[str], batch: int, timing: tuple[Any, ...],
            q: Any, rate: float = 0.0) -> None:
    out: list[Any] = []
    threads = [threading.Thread(target=_phone_loop, args=(base, t, batch, timing, out, rate))
               for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cpu = os.times()
    q.put((out, cpu.user + cpu.system))


def run_hoso(base: str, tokens: list[str], batch: int, seconds: float, procs: int,
             server: list[str] | None = None, rate: float = 0.0) -> dict[str, Any]:
    """The phones against `base` (Hoso, the floor, or `peer:<url>`); closed loop, or `rate`
    pushes per second per phone."""
    q: Any = mp.Queue()
    # Every phone creates its drafts first (untimed), then the timed run starts for all.
    timing = (mp.Value("i", 0), mp.Event(), mp.Value("d", 0.0), seconds)
    workers = [mp.Process(target=_worker, args=(base, tokens[i::procs], batch, timing, q, rate))
               for i in range(procs)]
    for w in workers:
        w.start()
    deadline = time.monotonic() + 900
    while timing[0].value < len(tokens) and time.monotonic() < deadline:
        time.sleep(0.05)
    timing[2].value = time.monotonic() + 0.2
    timing[1].set()
    time.sleep(max(0.0, timing[2].value - time.monotonic()))
    server = server or []
    cpu0 = (proc_cpu.ticks(server), proc_cpu.ticks(proc_cpu.postgres_pids()))
    reports = [q.get() for _ in workers]
    cpu1 = (proc_cpu.ticks(server), proc_cpu.ticks(proc_cpu.postgres_pids()))
    results = [r for r, _ in reports]
    for w in workers:
        w.join()
    elapsed = seconds
    lat = [x for r in results for (ls, _, _) in r for x in ls]
    pulls = [x for r in results for (_, ps, _) in r for x in ps]
    errors = sum(e for r in results for (_, _, e) in r)
    return {"batch": batch, "mutations_per_s": len(lat) * batch / elapsed, **_pct(lat),
            "pushes": len(lat), "errors": errors, "pull_p50_ms": _pct(pulls)["p50_ms"],
            "pull_p99_ms": _pct(pulls)["p99_ms"],
            # CPU seconds per second of the timed run (the load generator's includes warm-up).
            "cpu_gunicorn": proc_cpu.delta(cpu0[0], cpu1[0]) / seconds,
            "cpu_postgres": proc_cpu.delta(cpu0[1], cpu1[1]) / seconds,
            "cpu_loadgen": sum(c for _, c in reports) / seconds}  # warm-up included


def _pct(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50_ms": float("nan"), "p95_ms": float("nan"), "p99_ms": float("nan")}
    qs = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50_ms": qs[49] * 1000, "p95_ms": qs[94] * 1000, "p99_ms": qs[98] * 1000}


RAW_DDL = """
CREATE TABLE IF NOT EXISTS bench_clients (client_id uuid PRIMARY KEY, user_id int NOT NULL,
    last_mutation_id int NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS bench_dossiers (id uuid PRIMARY KEY, owner_id int NOT NULL,
    version int NOT NULL, fields jsonb NOT NULL, updated_at timestamptz NOT NULL);
CREATE TABLE IF NOT EXISTS bench_results (client_id uuid, mutation_id int, result jsonb,
    created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (client_id, mutation_id));
"""


def _raw_phone(dsn: str, user_id: int, batch: int, stop_at: float, out: list[Any],
               hold: Any) -> None:
    import psycopg
    from psycopg.types.json import Jsonb

    cid = uuid.uuid4()
    drafts = [uuid.uuid4() for _ in range(DRAFTS_PER_PHONE)]
    lat: list[float] = []
    next_id, n = 1, 0
    with psycopg.connect(dsn) as conn:
        conn.execute("INSERT INTO bench_clients (client_id, user_id) VALUES (%s, %s)",
                     (cid, user_id))
        conn.commit()
        while time.monotonic() < stop_at:
            t0 = time.perf_counter()
            with conn.transaction():
                last = conn.execute("SELECT last_mutation_id FROM bench_clients "
                                    "WHERE client_id = %s FOR UPDATE", (cid,)).fetchone()[0]
                assert last == next_id - 1
                for _ in range(batch):
                    d = drafts[n % DRAFTS_PER_PHONE]
                    fields = {"child_home_town": f"Thôn {n}"}
                    row = conn.execute(
                        "INSERT INTO bench_dossiers AS d (id, owner_id, version, fields, "
                        "updated_at) VALUES (%s, %s, 1, %s, now()) ON CONFLICT (id) DO UPDATE "
                        "SET version = d.version + 1, fields = d.fields || EXCLUDED.fields, "
                        "updated_at = now() RETURNING version",
                        (d, user_id, Jsonb(fields))).fetchone()
                    conn.execute("INSERT INTO bench_results (client_id, mutation_id, result) "
                                 "VALUES (%s, %s, %s)",
                                 (cid, next_id, Jsonb({"id": next_id, "status": "applied",
                                                       "version": row[0], "fields": fields})))
                    next_id, n = next_id + 1, n + 1
                conn.execute("UPDATE bench_clients SET last_mutation_id = %s WHERE client_id = %s",
                             (next_id - 1, cid))
            lat.append(time.perf_counter() - t0)
        hold.wait(60)  # keep the connection (its server process) until its CPU is counted
    out.append(lat)


def _raw_worker(dsn: str, users: list[int], batch: int, stop_at: float, q: Any,
                hold: Any) -> None:
    out: list[Any] = []
    threads = [threading.Thread(target=_raw_phone, args=(dsn, u, batch, stop_at, out, hold))
               for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    q.put(out)


def run_raw(dsn: str, phones: int, batch: int, seconds: float, procs: int) -> dict[str, Any]:
    """The same rows with bare psycopg, the phones spread over `procs` processes (one Python
    process alone is held back by its GIL long before PostgreSQL is)."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(RAW_DDL)
        conn.execute("TRUNCATE bench_clients, bench_dossiers, bench_results")
    q: Any = mp.Queue()
    hold = mp.Event()
    stop_at = time.monotonic() + seconds
    started = time.monotonic()
    # PostgreSQL's CPU: its connection processes start after this and are counted whole.
    cpu0 = proc_cpu.ticks(proc_cpu.postgres_pids())
    users = list(range(1, phones + 1))
    workers = [mp.Process(target=_raw_worker, args=(dsn, users[i::procs], batch, stop_at, q, hold))
               for i in range(procs)]
    for w in workers:
        w.start()
    time.sleep(max(0.0, stop_at - time.monotonic()) + 1.0)  # the last transactions end
    cpu1 = proc_cpu.ticks(proc_cpu.postgres_pids())
    hold.set()
    out = [ls for _ in workers for ls in q.get()]
    for w in workers:
        w.join()
    elapsed = stop_at - started
    lat = [x for ls in out for x in ls]
    rate = len(lat) * batch / elapsed
    return {"batch": batch, "mutations_per_s": rate, **_pct(lat),
            "cpu_postgres": proc_cpu.delta(cpu0, cpu1) / elapsed,
            "pg_us_per_mutation": proc_cpu.delta(cpu0, cpu1) / max(1, len(lat) * batch) * 1e6}


def _spy(master: int, out: str, batch: int, seconds: float) -> list[subprocess.Popen]:
    """py-spy record on every gunicorn worker for the duration of one run."""
    workers = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True,
                             check=False).stdout.split()
    Path(out).mkdir(parents=True, exist_ok=True)
    spy = str(Path(sys.executable).with_name("py-spy"))
    # Started after the warm-up, so the drafts' creation is not in the profile.
    return [subprocess.Popen(["sh", "-c", f"sleep {WARM_UP_SECONDS}; exec {spy} record --pid {pid} "
                              f"--duration {int(seconds)} --rate 200 --format raw --nonblocking "
                              f"--output {out}/batch{batch}-worker{pid}.txt"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for pid in workers]


SCALES = ((1_000, 10_000), (100_000, 1_000_000))  # (citizens, stored dossiers) at each end


def pad(url: str, citizens: int, dossiers: int) -> None:
    """Grow the tables to `citizens` other citizens and `dossiers` other stored dossiers
    (spread over them), then ANALYZE, so a push's plans are those of a full province."""
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn, autocommit=True) as conn:
        have = conn.execute("SELECT count(*) FROM users WHERE phone LIKE 'pad%'").fetchone()[0]
        conn.execute(
            "INSERT INTO users (kind, phone, password_hash, full_name, language, created_at, "
            "signup_pending, change_seq, change_floor) SELECT 'citizen', 'pad' || g, 'x', 'Người ' || g, "
            "'vi', now(), false, 0, 0 FROM generate_series(%s::int, %s::int) g", (have + 1, citizens))
        first, last = conn.execute("SELECT min(id), max(id) FROM users WHERE phone LIKE 'pad%'").fetchone()
        stored = conn.execute("SELECT count(*) FROM dossiers").fetchone()[0]
        conn.execute(
            "INSERT INTO dossiers (id, owner_id, procedure_code, agency_code, form_version, status, "
            "version, fields, field_stamps, documents, fee_status, created_at, updated_at) "
            "SELECT gen_random_uuid(), %s::int + (g %% (%s::int - %s::int + 1)), "
            "'birth-registration', p.agency_code, 2, 'submitted', 3, "
            "jsonb_build_object('child_home_town', 'Thôn ' || g), '{}', '{}', 'none', now(), now() "
            "FROM generate_series(%s::int, %s::int) g, procedures p WHERE p.code = 'birth-registration'",
            (first, last, first, stored + 1, dossiers))
        conn.execute("ANALYZE")


def in_process(url: str, batches: list[int], scale: bool = False) -> None:
    """CPU per mutation in-process (Flask test client, one thread, `time.process_time`), and
    the postgres processes' CPU in the same run (of the best run by the first figure): the
    figures that are stable enough to compare two versions of the code on a busy machine. One
    phone with 5 drafts; 20 untimed pushes first, then the best of 3 runs of 50 pushes at
    batch 20 and of 200 pushes at batch 1."""
    import logging

    from app import create_app

    tokens = setup(url, 1)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": KEY, "JWT_SECRET_KEY": KEY,
                      "RATELIMIT_ENABLED": False})
    logging.getLogger("hoso.access").disabled = True
    client = app.test_client()
    headers = {"Authorization": f"Bearer {tokens[0]}", "Accept-Language": "vi",
               "Content-Type": "application/json"}
    cid, drafts = str(uuid.uuid4()), [str(uuid.uuid4()) for _ in range(DRAFTS_PER_PHONE)]
    counter = {"id": 1, "n": 0}

    def body(batch: int, base: int | None) -> bytes:
        muts = []
        for _ in range(batch):
            n = counter["n"]
            args = {"dossier_id": drafts[n % DRAFTS_PER_PHONE], "procedure_code": "birth-registration",
                    "form_version": FORM_VERSION, "fields": {"child_home_town": f"Thôn {n}"}}
            if base is not None:
                args["base_version"] = base
            muts.append({"id": counter["id"], "name": "dossier.save", "captured_at": _now(), "args": args})
            counter["id"], counter["n"] = counter["id"] + 1, n + 1
        return json.dumps({"client_id": cid, "mutations": muts}).encode()

    def run(batch: int, pushes: int) -> tuple[float, float]:
        """(this process's CPU, every postgres process's CPU) per mutation, in seconds."""
        bodies = [body(batch, 2) for _ in range(pushes)]
        pids = proc_cpu.postgres_pids()
        start, pg = time.process_time(), proc_cpu.ticks(pids)
        for data in bodies:
            assert client.post("/api/v1/sync/push", data=data, headers=headers).status_code == 200
        used, pg_used = time.process_time() - start, proc_cpu.delta(pg, proc_cpu.ticks(pids))
        return used / (pushes * batch), pg_used / (pushes * batch)

    assert client.post("/api/v1/sync/push", data=body(DRAFTS_PER_PHONE, None),
                       headers=headers).status_code == 200
    for citizens, dossiers in SCALES if scale else ((0, 0),):
        if scale:
            started = time.monotonic()
            pad(url, citizens, dossiers)
            print(f"# {citizens:,} other citizens, {dossiers:,} other stored dossiers "
                  f"(made in {time.monotonic() - started:.0f} s)")
        run(20, 20)
        for b in batches:
            best, pg = min(run(b, 50 if b > 1 else 200) for _ in range(3))
            print(f"in-process push batch {b:>3}: {best * 1e6:6.0f} µs of CPU per mutation, "
                  f"postgres {pg * 1e6:4.0f} µs  [{_load()}]")


PEER_VERSION = "4.2.0"


def start_peer(folder: Path, log: Path) -> tuple[subprocess.Popen, str] | None:
    """pouchdb-server (CouchDB's protocol over LevelDB), installed with npm into `folder` on
    first use; None when npm or node is missing."""
    import shutil

    if not (shutil.which("npm") and shutil.which("node")):
        print("# peer skipped: no npm/node on this machine")
        return None
    binary = folder / "node_modules" / ".bin" / "pouchdb-server"
    if not binary.exists():
        folder.mkdir(parents=True, exist_ok=True)
        print(f"# installing pouchdb-server {PEER_VERSION} with npm into {folder} …", flush=True)
        done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", f"pouchdb-server@{PEER_VERSION}"],
                              cwd=folder, capture_output=True, text=True, check=False)
        if done.returncode != 0 or not binary.exists():
            print(f"# peer skipped: npm install failed: {done.stderr[-500:]}")
            return None
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = folder / f"data-{os.getpid()}"
    data.mkdir(exist_ok=True)
    proc = subprocess.Popen([str(binary), "--port", str(port), "--dir", str(data), "--no-stdout-logs"],
                            cwd=data, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    import requests

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/", timeout=2).status_code == 200:
                return proc, base
        except requests.RequestException:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    print(f"# peer skipped: pouchdb-server did not start: {log.read_text()[-500:]}")
    os.killpg(proc.pid, signal.SIGTERM)
    return None


def _line(name: str, r: dict[str, Any], server: str) -> str:
    return (f"{name:<12} batch {r['batch']:>3}: {r['mutations_per_s']:8.0f} mutations/s  "
            f"p50 {r['p50_ms']:6.1f} ms  p95 {r['p95_ms']:6.1f} ms  p99 {r['p99_ms']:6.1f} ms  "
            f"(pushes {r['pushes']}, errors {r['errors']}, pull p50 {r['pull_p50_ms']:.1f} ms; "
            f"CPU per mutation: {server} {r['cpu_gunicorn'] / max(r['mutations_per_s'], 1e-9) * 1e6:.0f} µs, "
            f"postgres {r['cpu_postgres'] / max(r['mutations_per_s'], 1e-9) * 1e6:.0f} µs; "
            f"load generator {r['cpu_loadgen']:.2f} cores)")


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--batches", default="20,1")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 4)))
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--client-procs", type=int, default=2)
    parser.add_argument("--worker-class", default="gthread", help="gunicorn worker class")
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/hoso_sync_bench"))
    parser.add_argument("--raw", action="store_true", help="also bare psycopg without HTTP")
    parser.add_argument("--no-floor", action="store_true", help="skip the floor (bare Flask route)")
    parser.add_argument("--no-peer", action="store_true", help="skip the peer (pouchdb-server via npm)")
    parser.add_argument("--peer-dir", default=str(Path(tempfile.gettempdir()) / "hoso-bench-pouchdb"),
                        help="where npm installs pouchdb-server (kept for the next run)")
    parser.add_argument("--offered-rate", type=float, default=1.0,
                        help="open loop: pushes per second per phone at batch 1 (0: skip)")
    parser.add_argument("--in-process", action="store_true",
                        help="only the CPU per mutation in-process (Flask test client), no gunicorn")
    parser.add_argument("--scale", action="store_true",
                        help="CPU per mutation in-process at 10,000 and 1,000,000 stored dossiers, "
                        "1,000 and 100,000 citizens")
    parser.add_argument("--raw-procs", type=int, default=2,
                        help="processes the raw psycopg phones are spread over")
    parser.add_argument("--pull-every", type=int, default=10,
                        help="each phone pulls after every N-th push (0: never)")
    parser.add_argument("--py-spy", metavar="DIR", help="record each gunicorn worker with py-spy "
                        "during each run (raw collapsed stacks + a flame graph per worker)")
    args = parser.parse_args()
    dsn = args.database_url
    os.environ["BENCH_PULL_EVERY"] = str(args.pull_every)  # read by the client processes
    global PULL_EVERY
    PULL_EVERY = args.pull_every
    url = dsn.replace("postgresql://", "postgresql+psycopg://", 1)
    batches = [int(b) for b in args.batches.split(",")]
    print(f"# sync push: {args.phones} phones, {args.seconds:.0f}s per run, {os.cpu_count()} cores, "
          f"gunicorn {args.workers} workers x {args.threads} threads; {_load()}")
    ensure_database(dsn)
    if args.in_process or args.scale:
        in_process(url, batches, scale=args.scale)
        return
    tokens = setup(url, args.phones)
    rates: dict[str, dict[int, dict[str, Any]]] = {"raw": {}, "floor": {}, "hoso": {}, "peer": {}}
    if args.raw:
        for b in batches:
            r = rates["raw"][b] = run_raw(dsn, args.phones, b, args.seconds, args.raw_procs)
            print(f"raw psycopg  batch {b:>3}: {r['mutations_per_s']:8.0f} mutations/s  "
                  f"p50 {r['p50_ms']:6.1f} ms  p99 {r['p99_ms']:6.1f} ms  ({_load()})")
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(RAW_DDL)
        conn.execute("TRUNCATE bench_clients, bench_dossiers, bench_results")
    tmp = Path(tempfile.gettempdir())
    servers: dict[str, tuple[subprocess.Popen, str]] = {}
    try:
        servers["hoso"] = start_gunicorn(url, args.workers, args.threads,
                                         tmp / f"sync-bench-hoso-{os.getpid()}.log", args.worker_class)
        if not args.no_floor:
            servers["floor"] = start_gunicorn(url, args.workers, args.threads,
                                              tmp / f"sync-bench-floor-{os.getpid()}.log",
                                              args.worker_class, app="benchmarks.floor_app:app",
                                              extra_env={"FLOOR_DSN": dsn})
        if not args.no_peer:
            peer = start_peer(Path(args.peer_dir), tmp / f"sync-bench-peer-{os.getpid()}.log")
            if peer:
                servers["peer"] = (peer[0], "peer:" + peer[1])
        for b in batches:
            for name in ("floor", "hoso", "peer"):
                if name not in servers:
                    continue
                proc, base = servers[name]
                spies = _spy(proc.pid, args.py_spy, b, args.seconds) if args.py_spy and name == "hoso" else []
                pids = [str(proc.pid), *proc_cpu.descendants(proc.pid)]
                r = rates[name][b] = run_hoso(base, tokens, b, args.seconds, args.client_procs, pids)
                for spy in spies:
                    spy.wait(60 + WARM_UP_SECONDS)
                print(_line(name, r, "node" if name == "peer" else "gunicorn") + f"  [{_load()}]", flush=True)
        if args.offered_rate:
            proc, base = servers["hoso"]
            pids = [str(proc.pid), *proc_cpu.descendants(proc.pid)]
            r = run_hoso(base, tokens, 1, max(args.seconds, 20), args.client_procs, pids,
                         rate=args.offered_rate)
            print(f"hoso open loop: {args.phones} phones x {args.offered_rate:g} push/s, batch 1: "
                  f"{r['mutations_per_s']:.0f} mutations/s, latency from when each push was due: p50 "
                  f"{r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms (aim < 100 ms), "
                  f"errors {r['errors']}; gunicorn {r['cpu_gunicorn']:.2f} cores  [{_load()}]")
    finally:
        for proc, _ in servers.values():
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
    print("\nsummary (same run):")
    for b in batches:
        hoso = rates["hoso"].get(b)
        if not hoso:
            continue
        parts = [f"hoso {hoso['mutations_per_s']:.0f}/s"]
        for other in ("floor", "peer", "raw"):
            if b in rates[other]:
                theirs = rates[other][b]["mutations_per_s"]
                parts.append(f"{other} {theirs:.0f}/s (hoso = {hoso['mutations_per_s'] / theirs:.2f}x)")
        print(f"  batch {b:>3}: " + ", ".join(parts))


if __name__ == "__main__":
    main()
