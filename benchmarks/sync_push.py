"""Sync push benchmark: N simulated phones push batches and pull against a real gunicorn
over PostgreSQL, and the same rows are written with bare psycopg for comparison.

    .venv/bin/python benchmarks/sync_push.py [--phones 50] [--seconds 10] [--batches 20,1]
        [--workers 4] [--threads 4] [--client-procs 2] [--raw-procs 2] [--py-spy DIR]
        [--database-url postgresql://postgres@127.0.0.1:5432/hoso_sync_bench] [--in-process]

The database is wiped and rebuilt (create_all + demo catalog). Each phone has its own
account, client id and 5 drafts (created in an untimed warm-up, at version 2) and sends
`dossier.save` batches back to back over one kept-alive `http.client` connection, pulling
every 10th push; the phones are threads in `--client-procs` processes. Prints mutations/s
and p50/p95/p99 push latency at each batch size, the raw PostgreSQL rate for the same rows
(upsert the dossier, store the result, bump last_mutation_id, one commit per batch),
Hoso's rate as a share of it, and the CPU each part used (cores busy and per mutation:
gunicorn workers, every postgres process on the machine, the load generator; for raw,
PostgreSQL's). `--py-spy DIR` records each
gunicorn worker during each timed run (py-spy raw collapsed stacks, one file per worker).
`--in-process` measures only the CPU per mutation of a push in-process (Flask test client,
one thread): the figure to compare two versions of the code on a busy machine.
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
import threading
import time
import urllib.parse
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
KEY = "benchmark-secret-key-that-is-long-enough-for-hs256"
DRAFTS_PER_PHONE = 5
WARM_UP_SECONDS = 5.0
PULL_EVERY = int(os.environ.get("BENCH_PULL_EVERY", "10"))  # 0: never pull


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
    from app.services import accounts, catalog

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": KEY, "JWT_SECRET_KEY": KEY,
                      "JWT_ACCESS_TOKEN_EXPIRES": timedelta(hours=4)})
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS bench_dossiers, bench_results, bench_clients"))
        Base.metadata.drop_all(db.engine)
        Base.metadata.create_all(db.engine)
        catalog.load_demo(db.session)
        tokens = []
        for i in range(phones):
            user = accounts.register(db.session, password="Mat-khau-dai-42", full_name=f"Bench {i}",
                                     phone=f"09{i:08d}", language="vi")
            tokens.append(accounts.issue_tokens(db.session, user)["access_token"])
        db.session.commit()
        db.engine.dispose()
    return tokens


def start_gunicorn(url: str, workers: int, threads: int, log: Path,
                   worker_class: str = "gthread") -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": KEY, "JWT_SECRET_KEY": KEY,
           "JWT_ACCESS_SECONDS": str(3600 * 4), "DB_POOL_SIZE": str(threads), "DB_MAX_OVERFLOW": "2"}
    env.pop("REDIS_URL", None)
    fh = log.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--threads", str(threads), "--worker-class", worker_class,
         "--access-logfile", "/dev/null", "--log-level", "warning", "--backlog", "2048",
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


def _phone_loop(base: str, token: str, batch: int, start_at: float, stop_at: float,
                out: list[Any]) -> None:
    """One phone: its own client id and drafts, pushing batches back to back, pulling now
    and then; records (latency, mutations) per push. Plain http.client with keep-alive, so
    the load generator costs little of the 2 cores it shares with the server."""
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
             "args": {"dossier_id": d, "procedure_code": "birth-registration", "form_version": 2,
                      "fields": {"child_home_town": "Huế"}}} for i, d in enumerate(drafts)]
    conn.request("POST", "/api/v1/sync/push", headers=headers,
                 body=json.dumps({"client_id": cid, "mutations": warm}).encode())
    assert conn.getresponse().read() and next_id == 1
    next_id = len(warm) + 1
    time.sleep(max(0.0, start_at - time.monotonic()))
    while time.monotonic() < stop_at:
        muts = []
        for _ in range(batch):
            d = drafts[n % DRAFTS_PER_PHONE]
            muts.append({"id": next_id, "name": "dossier.save", "captured_at": _now(),
                         "args": {"dossier_id": d, "procedure_code": "birth-registration",
                                  "form_version": 2, "base_version": 2,
                                  "fields": {"child_home_town": f"Thôn {n}"}}})
            next_id, n = next_id + 1, n + 1
        body = json.dumps({"client_id": cid, "mutations": muts}).encode()
        t0 = time.perf_counter()
        conn.request("POST", "/api/v1/sync/push", body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        dt = time.perf_counter() - t0
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


def _worker(base: str, tokens: list[str], batch: int, start_at: float, stop_at: float,
            q: Any) -> None:
    out: list[Any] = []
    threads = [threading.Thread(target=_phone_loop, args=(base, t, batch, start_at, stop_at, out))
               for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cpu = os.times()
    q.put((out, cpu.user + cpu.system))


def _cpu_ticks(pids: list[str]) -> dict[str, int]:
    """utime + stime (clock ticks) of each process still alive, from /proc."""
    ticks = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks[pid] = int(fields[11]) + int(fields[12])
    return ticks


def _cpu_delta(before: dict[str, int], after: dict[str, int]) -> float:
    """CPU seconds used between two snapshots (processes started meanwhile count whole)."""
    return sum(t - before.get(pid, 0) for pid, t in after.items()) / os.sysconf("SC_CLK_TCK")


def _postgres_pids() -> list[str]:
    return subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True,
                          check=False).stdout.split()


def run_hoso(base: str, tokens: list[str], batch: int, seconds: float, procs: int,
             server: list[str] | None = None) -> dict[str, Any]:
    q: Any = mp.Queue()
    # A few seconds to start the processes and create every phone's drafts, then the timed run.
    start_at = time.monotonic() + WARM_UP_SECONDS
    stop_at = start_at + seconds
    workers = [mp.Process(target=_worker, args=(base, tokens[i::procs], batch, start_at, stop_at, q))
               for i in range(procs)]
    for w in workers:
        w.start()
    time.sleep(max(0.0, start_at - time.monotonic()))
    server = server or []
    cpu0 = (_cpu_ticks(server), _cpu_ticks(_postgres_pids()))
    reports = [q.get() for _ in workers]
    cpu1 = (_cpu_ticks(server), _cpu_ticks(_postgres_pids()))
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
            "cpu_gunicorn": _cpu_delta(cpu0[0], cpu1[0]) / seconds,
            "cpu_postgres": _cpu_delta(cpu0[1], cpu1[1]) / seconds,
            "cpu_loadgen": sum(c for _, c in reports) / (seconds + WARM_UP_SECONDS)}


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
    cpu0 = _cpu_ticks(_postgres_pids())
    users = list(range(1, phones + 1))
    workers = [mp.Process(target=_raw_worker, args=(dsn, users[i::procs], batch, stop_at, q, hold))
               for i in range(procs)]
    for w in workers:
        w.start()
    time.sleep(max(0.0, stop_at - time.monotonic()) + 1.0)  # the last transactions end
    cpu1 = _cpu_ticks(_postgres_pids())
    hold.set()
    out = [ls for _ in workers for ls in q.get()]
    for w in workers:
        w.join()
    elapsed = stop_at - started
    lat = [x for ls in out for x in ls]
    rate = len(lat) * batch / elapsed
    return {"batch": batch, "mutations_per_s": rate, **_pct(lat),
            "cpu_postgres": _cpu_delta(cpu0, cpu1) / elapsed,
            "pg_us_per_mutation": _cpu_delta(cpu0, cpu1) / max(1, len(lat) * batch) * 1e6}


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


def in_process(url: str, batches: list[int]) -> None:
    """CPU per mutation in-process (Flask test client, one thread, `time.process_time`): the
    figure that is stable enough to compare two versions of the code on a busy machine. One
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
                    "form_version": 2, "fields": {"child_home_town": f"Thôn {n}"}}
            if base is not None:
                args["base_version"] = base
            muts.append({"id": counter["id"], "name": "dossier.save", "captured_at": _now(), "args": args})
            counter["id"], counter["n"] = counter["id"] + 1, n + 1
        return json.dumps({"client_id": cid, "mutations": muts}).encode()

    def run(batch: int, pushes: int) -> float:
        bodies = [body(batch, 2) for _ in range(pushes)]
        start = time.process_time()
        for data in bodies:
            assert client.post("/api/v1/sync/push", data=data, headers=headers).status_code == 200
        return (time.process_time() - start) / (pushes * batch)

    assert client.post("/api/v1/sync/push", data=body(DRAFTS_PER_PHONE, None),
                       headers=headers).status_code == 200
    run(20, 20)
    for b in batches:
        best = min(run(b, 50 if b > 1 else 200) for _ in range(3))
        print(f"in-process push batch {b:>3}: {best * 1e6:6.0f} µs of CPU per mutation")


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
    parser.add_argument("--skip-raw", action="store_true")
    parser.add_argument("--in-process", action="store_true",
                        help="only the CPU per mutation in-process (Flask test client), no gunicorn")
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
          f"gunicorn {args.workers} workers x {args.threads} threads")
    ensure_database(dsn)
    if args.in_process:
        in_process(url, batches)
        return
    tokens = setup(url, args.phones)
    raw: dict[int, dict[str, Any]] = {}
    if not args.skip_raw:
        for b in batches:
            raw[b] = run_raw(dsn, args.phones, b, args.seconds, args.raw_procs)
            r = raw[b]
            print(f"raw psycopg  batch {b:>3}: {r['mutations_per_s']:8.0f} mutations/s  "
                  f"p50 {r['p50_ms']:6.1f} ms  p95 {r['p95_ms']:6.1f} ms  p99 {r['p99_ms']:6.1f} ms"
                  f"  (postgres (all) {r['cpu_postgres']:.2f} cores, "
                  f"{r['pg_us_per_mutation']:.0f} µs of its CPU per mutation)")
    log = Path("/tmp") / f"sync-bench-gunicorn-{os.getpid()}.log"
    proc, base = start_gunicorn(url, args.workers, args.threads, log, args.worker_class)
    try:
        for b in batches:
            spies = _spy(proc.pid, args.py_spy, b, args.seconds) if args.py_spy else []
            workers = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True,
                                     text=True, check=False).stdout.split()
            r = run_hoso(base, tokens, b, args.seconds, args.client_procs, workers)
            for spy in spies:
                spy.wait(60 + WARM_UP_SECONDS)
            share = f"  = {r['mutations_per_s'] / raw[b]['mutations_per_s']:5.1%} of raw" if b in raw else ""
            print(f"hoso push    batch {b:>3}: {r['mutations_per_s']:8.0f} mutations/s  "
                  f"p50 {r['p50_ms']:6.1f} ms  p95 {r['p95_ms']:6.1f} ms  p99 {r['p99_ms']:6.1f} ms"
                  f"{share}  (pushes {r['pushes']}, errors {r['errors']}, pull p50 "
                  f"{r['pull_p50_ms']:.1f} ms p99 {r['pull_p99_ms']:.1f} ms; CPU cores busy: gunicorn "
                  f"{r['cpu_gunicorn']:.2f}, postgres (all) {r['cpu_postgres']:.2f}, load generator "
                  f"{r['cpu_loadgen']:.2f}; per mutation: gunicorn "
                  f"{r['cpu_gunicorn'] / r['mutations_per_s'] * 1e6:.0f} µs, postgres "
                  f"{r['cpu_postgres'] / r['mutations_per_s'] * 1e6:.0f} µs)")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)


if __name__ == "__main__":
    main()
