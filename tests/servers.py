"""Real gunicorn for the tests where processes matter (browser, crash, upload and hardening
tests), and the one helper every test uses to poll with a deadline instead of sleeping."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
TEST_KEY = "test-secret-key-that-is-long-enough-for-hs256"
# Every test signs up, logs in and syncs from 127.0.0.1: the abuse limits are lifted, and a
# test about one of them sets it again through `env`.
NO_LIMITS = {
    "RATELIMIT_UPLOADS_USER": "100000/minute",
    "RATELIMIT_PUSH_USER": "100000/hour",
    "RATELIMIT_LOGIN_IP": "100000/minute",
    "LOGIN_FAILURES_IP": "100000/minute",
    "RATELIMIT_CODES_RECIPIENT": "100000/minute",
    "RATELIMIT_REGISTER_IP": "100000/hour",
    "RATELIMIT_REFRESH_IP": "100000/minute",
    "RATELIMIT_REFRESH_SESSION": "100000/minute",
}
# Settings of the machine's environment the server must not inherit (REDIS_URL: a test that
# wants Redis passes it in `env`; the pool sizes follow the thread count, as in production).
NOT_INHERITED = ("REDIS_URL", "DB_POOL_SIZE", "DB_MAX_OVERFLOW")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.02,
             sleep: Callable[[float], Any] = time.sleep) -> Any:
    """Poll until `predicate()` is truthy; fail with `what` after `timeout` seconds. A browser
    test passes `sleep` = `browser_sleep(page)`, so Playwright's events run between polls."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        sleep(interval)


def browser_sleep(page: Any) -> Callable[[float], None]:
    """A pause during which Playwright's sync API still delivers the page's events."""
    return lambda seconds: page.wait_for_timeout(seconds * 1000)


class Gunicorn:
    """`gunicorn -c gunicorn.conf.py wsgi:app` on a free port over `database_url`, answering
    /readyz when it returns; usable as a context manager that stops it on the way out.

    It runs in a process group of its own, so `stop(signal.SIGKILL)` kills the master and
    every worker at once; its output goes to `log`, shown when it fails to start.
    """

    def __init__(
        self,
        database_url: str,
        tmp: Path,
        workers: int = 2,
        threads: int = 4,
        env: dict[str, str] | None = None,
        metrics_dir: Path | None = None,
        port: int | None = None,
    ) -> None:
        self.port = port or free_port()  # a given port: the same origin again after a restart
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / f"gunicorn-{self.port}.log"
        self.metrics_dir = metrics_dir or tmp / f"metrics-{self.port}"
        full_env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SECRET_KEY": TEST_KEY,
            "JWT_SECRET_KEY": TEST_KEY,
            "UPLOAD_DIR": str(tmp / "uploads"),
            "PKI_DIR": str(tmp / "pki"),  # no agency keys unless a test gives some
            "PYTHONUNBUFFERED": "1",
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": str(workers),
            "GUNICORN_THREADS": str(threads),
            "PROMETHEUS_MULTIPROC_DIR": str(self.metrics_dir),
            **NO_LIMITS,
        }
        for key in NOT_INHERITED:
            full_env.pop(key, None)
        full_env.update(env or {})
        with self.log.open("ab") as fh:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"],
                cwd=ROOT,
                env=full_env,
                stdout=fh,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            wait_for(self.ready, 40, "gunicorn to answer /readyz")
        except AssertionError as failed:
            self.stop(signal.SIGKILL)
            raise AssertionError(f"{failed}\n{self.output()}") from None

    def __enter__(self) -> Gunicorn:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def ready(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"gunicorn exited with {self.proc.returncode}")
        try:
            return requests.get(self.url + "/readyz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Signal the whole process group; its exit code, or a failure if it outlives `timeout`."""
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
