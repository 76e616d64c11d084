"""Load benchmark: Locust, headless, a realistic mix at 200 concurrent users against the
production run mode (gunicorn -c gunicorn.conf.py) over PostgreSQL and Redis.

    .venv/bin/python benchmarks/load.py [--users 200] [--seconds 60] [--workers N]
        [--worker-nice 10]
        [--database-url postgresql://postgres@127.0.0.1:5432/hoso_load]
        [--redis-url redis://127.0.0.1:6379/7]

The database is wiped and rebuilt (create_all, demo catalog, citizens, officials, a backlog
of submitted dossiers). Citizens (9 in 10 users) browse the catalog and forms (with ETags),
pull, push offline work (`dossier.save` + `dossier.submit`) and upload a document over tus;
officials list their agency's queue and accept or start dossiers. Prints the throughput and
p50/p95/p99 per endpoint. Not part of the test suite.

As in production with REDIS_URL, an RQ worker (`flask push worker`, at `--worker-nice`)
signs each accept's receipt after the accept answered; its CPU is printed with the server's,
and so is how long receipts waited for their signature and how many were still unsigned when
the load stopped (then the time the worker took to sign them all).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks import proc_cpu  # noqa: E402

KEY = "benchmark-secret-key-that-is-long-enough-for-hs256"
PROCEDURE = "marital-status-confirmation"
AGENCY_OFFICIALS = 8
BACKLOG_PER_CITIZEN = 2


# ---- Seeding (a separate process: no gevent there) ----------------------------------------

def seed(url: str, citizens: int, out: Path) -> None:
    from app import create_app
    from app.extensions import db
    from app.models import Base, FormVersion, Procedure
    from app.services import accounts, catalog
    from tests.factories import make_dossier, sample_values

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": KEY, "JWT_SECRET_KEY": KEY,
                      "JWT_ACCESS_TOKEN_EXPIRES": timedelta(hours=4)})
    with app.app_context():
        Base.metadata.drop_all(db.engine)
        Base.metadata.create_all(db.engine)
        catalog.load_demo(db.session)
        proc = db.session.get(Procedure, PROCEDURE)
        form = db.session.get(FormVersion, (PROCEDURE, proc.current_version)).form
        values = sample_values(form)
        people: list[str] = []
        for n in range(citizens):
            user = accounts.register(db.session, password="Khong-doan-duoc-42", full_name=f"Dân {n}",
                                     phone=f"0955{n:06d}", language="vi")
            people.append(accounts.issue_tokens(db.session, user)["access_token"])
            for _ in range(BACKLOG_PER_CITIZEN):  # work waiting at the desk
                make_dossier(db.session, user, PROCEDURE, status="submitted", fields=values)
        officials = []
        for n in range(AGENCY_OFFICIALS):
            user = accounts.create_official(db.session, email=f"desk{n}@load.test",
                                            password="Can-bo-mot-cua-2026", full_name=f"Cán bộ {n}",
                                            agency_code=proc.agency_code, role="leader")
            officials.append(accounts.issue_tokens(db.session, user)["access_token"])
        version = proc.current_version
        db.session.commit()
    out.write_text(json.dumps({"citizens": people, "officials": officials, "values": values,
                               "form_version": version}))


# ---- The load (Locust, in this process) -------------------------------------------------

def run_load(host: str, seeded: dict[str, Any], users: int, seconds: int) -> Any:
    import itertools
    import uuid
    from datetime import UTC, datetime

    import gevent

    # geventhttpclient's client: the load generator shares the 2 cores with the server, and
    # this client spends a fraction of the CPU per request of the requests-based HttpUser.
    from locust import FastHttpUser, between, task
    from locust.env import Environment
    from locust.stats import stats_history

    citizens = itertools.cycle(seeded["citizens"])
    officials = itertools.cycle(seeded["officials"])
    values, version = seeded["values"], seeded["form_version"]
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(48 * 1024)

    class Citizen(FastHttpUser):
        weight = 9
        wait_time = between(1, 3)  # a person reading and typing on a phone

        def on_start(self) -> None:
            self.auth = {"Authorization": f"Bearer {next(citizens)}"}
            self.client_id, self.next_id, self.cursor = str(uuid.uuid4()), 1, None
            self.etags: dict[str, str] = {}

        def _cached_get(self, path: str, name: str) -> None:
            headers = {"If-None-Match": self.etags[path]} if path in self.etags else {}
            with self.client.get(path, headers=headers, name=name, catch_response=True) as r:
                if r.status_code in (200, 304):
                    self.etags[path] = r.headers.get("ETag", self.etags.get(path, ""))
                    r.success()

        @task(4)
        def browse_catalog(self) -> None:
            self._cached_get("/api/v1/procedures", "GET /procedures")
            self._cached_get(f"/api/v1/procedures/{PROCEDURE}/forms/{version}",
                             "GET /procedures/{code}/forms/{version}")

        @task(3)
        def pull(self) -> None:
            params = {"client_id": self.client_id, "limit": 200}
            if self.cursor:
                params["cursor"] = self.cursor
            r = self.client.get("/api/v1/sync/pull", params=params, headers=self.auth,
                                name="GET /sync/pull")
            if r.status_code == 200:
                self.cursor = r.json()["cursor"]

        @task(2)
        def push_offline_work(self) -> None:
            """Two dossiers captured offline: save + submit each, one batch."""
            now = datetime.now(UTC).isoformat()
            mutations = []
            for _ in range(2):
                dossier = str(uuid.uuid4())
                mutations.append({"id": self.next_id, "name": "dossier.save", "captured_at": now,
                                  "args": {"dossier_id": dossier, "procedure_code": PROCEDURE,
                                           "form_version": version, "base_version": None,
                                           "fields": values}})
                mutations.append({"id": self.next_id + 1, "name": "dossier.submit",
                                  "captured_at": now, "args": {"dossier_id": dossier}})
                self.next_id += 2
            self.client.post("/api/v1/sync/push", json={"client_id": self.client_id,
                                                        "mutations": mutations},
                             headers=self.auth, name="POST /sync/push")

        @task(1)
        def upload(self) -> None:
            """A 48 KiB photo of a paper, created and sent in one tus request."""
            import base64

            meta = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in {
                "procedure_code": "birth-registration", "document_code": "birth_notice",
                "filename": "giay.jpg", "filetype": "image/jpeg"}.items())
            self.client.post("/api/v1/uploads", data=jpeg, name="POST /uploads (tus)", headers={
                **self.auth, "Tus-Resumable": "1.0.0", "Upload-Length": str(len(jpeg)),
                "Upload-Metadata": meta, "Content-Type": "application/offset+octet-stream"})

        @task(1)
        def my_dossiers(self) -> None:
            self.client.get("/api/v1/dossiers", headers=self.auth, name="GET /dossiers")

    class Official(FastHttpUser):
        weight = 1
        wait_time = between(1, 3)

        def on_start(self) -> None:
            self.auth = {"Authorization": f"Bearer {next(officials)}"}

        @task
        def work_the_queue(self) -> None:
            r = self.client.get("/api/v1/office/dossiers", params={"status": "submitted"},
                                headers=self.auth, name="GET /office/dossiers")
            if r.status_code != 200 or not r.json().get("items"):
                return
            import random

            item = random.choice(r.json()["items"])
            with self.client.post(f"/api/v1/office/dossiers/{item['id']}/transitions",
                                  json={"action": "accept"}, headers=self.auth,
                                  name="POST /office/dossiers/{id}/transitions",
                                  catch_response=True) as resp:
                if resp.status_code == 409:  # another official took it first
                    resp.success()

    env = Environment(user_classes=[Citizen, Official], host=host)
    runner = env.create_local_runner()
    gevent.spawn(stats_history, runner)
    runner.start(users, spawn_rate=max(1, users // 10))
    gevent.sleep(seconds)  # the measured run
    runner.quit()
    return env


def report(env: Any, seconds: int) -> None:
    rows = sorted(env.stats.entries.values(), key=lambda e: e.name)
    print(f"\n{'endpoint':46} {'reqs':>7} {'fail':>5} {'req/s':>7} {'p50':>6} {'p95':>6} {'p99':>6}")
    for e in rows + [env.stats.total]:
        name = e.name if e is not env.stats.total else "TOTAL"
        print(f"{name:46} {e.num_requests:7d} {e.num_failures:5d} {e.total_rps:7.1f} "
              f"{e.get_response_time_percentile(0.5):5.0f}ms {e.get_response_time_percentile(0.95):5.0f}ms "
              f"{e.get_response_time_percentile(0.99):5.0f}ms")
    for err in env.stats.errors.values():
        print(f"  error x{err.occurrences}: {err.method} {err.name}: {str(err.error)[:160]}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: config)")
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/hoso_load")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/7")
    parser.add_argument("--worker-nice", type=int, default=10,
                        help="niceness of the RQ worker that signs documents (0: as the server)")
    parser.add_argument("--seed-only", metavar="OUT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    url = args.database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    if args.seed_only:
        seed(url, args.users, Path(args.seed_only))
        return
    _create_database(args.database_url)
    _empty_redis(args.redis_url)
    with tempfile.TemporaryDirectory(prefix="hoso-load-") as tmp:
        seeded_path = Path(tmp) / "seeded.json"
        started = time.monotonic()
        subprocess.run([sys.executable, __file__, "--users", str(args.users), "--database-url",
                        args.database_url, "--seed-only", str(seeded_path)], check=True, cwd=ROOT)
        print(f"seeded {args.users} citizens in {time.monotonic() - started:.0f} s")
        port = _free_port()
        env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": args.redis_url, "SECRET_KEY": KEY,
               "JWT_SECRET_KEY": KEY, "UPLOAD_DIR": str(Path(tmp) / "uploads"),
               "GUNICORN_BIND": f"127.0.0.1:{port}", "PROMETHEUS_MULTIPROC_DIR": str(Path(tmp) / "m"),
               "LOG_LEVEL": "WARNING", "RATELIMIT_UPLOADS_USER": "600/minute",
               "PKI_DIR": str(Path(tmp) / "pki")}
        if args.workers:
            env["WEB_CONCURRENCY"] = str(args.workers)
        # Each accept signs its receipt as in production: a signing key for every agency.
        subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi:app", "pki", "init"],
                       cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        log = open(Path(tmp) / "gunicorn.log", "wb")  # noqa: SIM115
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                                   "wsgi:app"], cwd=ROOT, env=env, stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        worker_log = open(Path(tmp) / "worker.log", "wb")  # noqa: SIM115
        worker = subprocess.Popen(["nice", "-n", str(args.worker_nice), sys.executable, "-m",
                                   "flask", "--app", "wsgi:app", "push", "worker"],
                                  cwd=ROOT, env=env, stdout=worker_log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        try:
            _wait_ready(f"http://127.0.0.1:{port}/readyz", server)
            seeded = json.loads(seeded_path.read_text())
            print(f"machine load before: {_load()}")
            cpu = _Cpu(server.pid, worker.pid)
            load_env = run_load(f"http://127.0.0.1:{port}", seeded, args.users, args.seconds)
            print(f"machine load after: {_load()} (2 cores shared with other work)")
            report(load_env, args.seconds)
            print(cpu.report())
            print(_signing_report(args.database_url))
        finally:
            for proc in (server, worker):
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(60)
            log.close()
            worker_log.close()
            for name in ("gunicorn", "worker"):
                tail = (Path(tmp) / f"{name}.log").read_text(errors="replace").splitlines()
                errors = [line for line in tail if '"level": "ERROR"' in line
                          or "Traceback" in line]
                print(f"{name} logged {len(errors)} errors" + (f"; first: {errors[0][:300]}"
                                                              if errors else ""))


def _signing_report(admin_url: str, drain_seconds: float = 120.0) -> str:
    """How long the receipts issued during the run waited for their signature, how many were
    unsigned when the load stopped, and how long the worker then took to sign them all."""
    import psycopg

    started = time.monotonic()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        count = "SELECT count(*) FROM issued_documents WHERE pdf IS NULL"
        left = conn.execute(count).fetchone()[0]
        waiting = left
        while waiting and time.monotonic() - started < drain_seconds:
            time.sleep(0.5)
            waiting = conn.execute(count).fetchone()[0]
        drained = time.monotonic() - started
        n, p50, p95, worst = conn.execute(
            "SELECT count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY lag), "
            "percentile_cont(0.95) WITHIN GROUP (ORDER BY lag), max(lag) FROM ("
            "SELECT extract(epoch FROM signed_at - issued_at) AS lag FROM issued_documents "
            "WHERE signed_at IS NOT NULL) AS s").fetchone()
    if not n:
        return f"documents: none signed ({left} unsigned)"
    return (f"documents: {n} signed by the worker, waiting p50 {p50:.1f} s, p95 {p95:.1f} s, "
            f"max {worst:.1f} s; {left} unsigned when the load stopped, "
            + (f"all signed {drained:.0f} s later" if not waiting
               else f"{waiting} still unsigned after {drained:.0f} s"))


def _empty_redis(url: str) -> None:
    """The benchmark's Redis database starts empty (no job of an earlier run's database)."""
    from redis import Redis

    Redis.from_url(url).flushdb()


class _Cpu:
    """CPU used from now on by the server (gunicorn and its workers), by the RQ worker, by
    PostgreSQL (every postgres process) and by this load generator, in cores (seconds of CPU
    per second)."""

    def __init__(self, server_pid: int, worker_pid: int) -> None:
        self.server, self.worker = server_pid, worker_pid
        self.started, self.before = time.monotonic(), self._sample()

    def _sample(self) -> dict[str, dict[str, int]]:
        return {"server": proc_cpu.ticks([str(self.server), *proc_cpu.descendants(self.server)]),
                "worker": proc_cpu.ticks([str(self.worker), *proc_cpu.descendants(self.worker)]),
                "postgres": proc_cpu.ticks(proc_cpu.postgres_pids()),
                "load generator": proc_cpu.ticks([str(os.getpid())])}

    def report(self) -> str:
        after, seconds = self._sample(), time.monotonic() - self.started
        return "CPU in cores over the run (2 in all): " + ", ".join(
            f"{name} {proc_cpu.delta(self.before[name], after[name]) / seconds:.2f}"
            for name in after)


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def _create_database(admin_url: str) -> None:
    import psycopg

    base, name = admin_url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _wait_ready(url: str, server: subprocess.Popen[bytes]) -> None:
    import urllib.request

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn exited during start-up")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not become ready")


if __name__ == "__main__":
    main()
