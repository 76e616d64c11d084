"""Real processes for hardening tests: gunicorn started with the production config file,
and a private PostgreSQL instance the crash test may restart at will."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]
TEST_KEY = "test-secret-key-that-is-long-enough-for-hs256"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.02) -> Any:
    """Poll until `predicate()` is truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class Gunicorn:
    """`gunicorn -c gunicorn.conf.py wsgi:app` on a free port, over `database_url`."""

    def __init__(self, database_url: str, tmp: Path, workers: int = 2, threads: int = 4,
                 env: dict[str, str] | None = None, extra_args: list[str] | None = None,
                 metrics_dir: Path | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / f"gunicorn-{self.port}.log"
        self.metrics_dir = metrics_dir or tmp / f"metrics-{self.port}"
        full_env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": TEST_KEY,
                    "JWT_SECRET_KEY": TEST_KEY, "UPLOAD_DIR": str(tmp / "uploads"),
                    "PYTHONUNBUFFERED": "1", "GUNICORN_BIND": f"127.0.0.1:{self.port}",
                    "WEB_CONCURRENCY": str(workers), "GUNICORN_THREADS": str(threads),
                    "PROMETHEUS_MULTIPROC_DIR": str(self.metrics_dir),
                    "RATELIMIT_UPLOADS_USER": "100000/minute",
                    "RATELIMIT_PUSH_USER": "100000/hour",
                    "RATELIMIT_LOGIN_IP": "100000/minute",
                    "RATELIMIT_LOGIN_ACCOUNT": "100000/minute",
                    "RATELIMIT_REGISTER_IP": "100000/hour",
                    "RATELIMIT_REFRESH_IP": "100000/minute",
                    "RATELIMIT_REFRESH_SESSION": "100000/minute"}
        for key in ("REDIS_URL", "DB_POOL_SIZE", "DB_MAX_OVERFLOW"):
            full_env.pop(key, None)
        full_env.update(env or {})
        with self.log.open("ab") as fh:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app",
                 *(extra_args or [])],
                cwd=ROOT, env=full_env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(self.ready, 40, "gunicorn to answer /readyz")

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def ready(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"gunicorn exited with {self.proc.returncode}: {self.output()}")
        try:
            return requests.get(self.url + "/readyz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
            raise AssertionError(f"gunicorn did not stop on signal {sig}: {self.output()}") from None


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


class PrivatePostgres:
    """A PostgreSQL cluster of its own in a temporary folder, on a free port.

    Only this cluster is ever restarted; the machine's shared server is never touched.
    PostgreSQL refuses to run as root, so as root it runs as the `postgres` user.
    """

    def __init__(self, tmp: Path) -> None:
        bindir = postgres_bin()
        assert bindir is not None
        self.bindir = bindir
        self.dir = tmp / "pgdata"
        self.sock = tmp / "pgsock"
        self.logfile = tmp / "postgres.log"
        self.port = free_port()
        self.user: str | None = None
        if os.geteuid() == 0:
            self.user = "postgres"
            entry = pwd.getpwnam(self.user)
            for path in (tmp, self.sock):
                path.mkdir(exist_ok=True)
                os.chown(path, entry.pw_uid, entry.pw_gid)
            os.chmod(tmp, 0o755)
        else:
            self.sock.mkdir(exist_ok=True)
        self._run("initdb", "-D", str(self.dir), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-sync", "--locale=C")
        self.start()

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        cmd = [str(self.bindir / tool), *args]
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = self.logfile.read_text() if self.logfile.exists() else ""
            raise AssertionError(f"{tool} failed: {done.stdout}{done.stderr}{log[-2000:]}")

    def _options(self) -> str:
        return (f"-p {self.port} -k {self.sock} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c max_connections=60 -c shared_buffers=32MB")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.dir), "-l", str(self.logfile), "-o", self._options(),
                  "-w", "-t", "60", "start")

    def restart(self, mode: str = "immediate") -> None:
        self._run("pg_ctl", "-D", str(self.dir), "-l", str(self.logfile), "-o", self._options(),
                  "-m", mode, "-w", "-t", "60", "restart")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.dir), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
