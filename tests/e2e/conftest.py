"""Browser tests: a real gunicorn over the test database, driven by Debian's Chromium.

`live_server` serves the app from a separate process (so the service worker, the HTTP
caches and the network emulation are real); the test process shares its database through
the root conftest's `app` and `db` fixtures (catalog loaded; rows wiped after each test).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("HOSO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}
TEST_KEY = "test-secret-key-that-is-long-enough-for-hs256"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def api(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return requests.request(method, self.url + path, headers=headers, timeout=30, **kwargs)


def wait_for(predicate: Any, timeout: float = 20.0, interval: float = 0.1, what: str = "condition") -> Any:
    """Poll until `predicate()` is truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def start_server(app: Any, tmp: Path, **extra_env: str) -> LiveServer:
    """gunicorn over the test database on a free port, answering /readyz."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": TEST_KEY,
           "JWT_SECRET_KEY": TEST_KEY, "UPLOAD_DIR": str(tmp / "uploads"), "LOGIN_FREE_ATTEMPTS": "50",
           "PYTHONUNBUFFERED": "1", **extra_env}
    env.pop("REDIS_URL", None)
    log = tmp / f"gunicorn-{port}.log"
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", f"127.0.0.1:{port}",
             "--workers", "2", "--threads", "4", "--worker-class", "gthread", "--timeout", "60",
             "--graceful-timeout", "2"],
            cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    server = LiveServer(f"http://127.0.0.1:{port}", proc, log)

    def up() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"gunicorn exited: {log.read_text()[-2000:]}")
        try:
            return requests.get(server.url + "/readyz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    wait_for(up, 30, 0.2, "gunicorn to answer /readyz")
    return server


def stop_server(server: LiveServer) -> None:
    os.killpg(server.process.pid, signal.SIGTERM)
    try:
        server.process.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def live_server(app: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(app, tmp_path_factory.mktemp("live"))
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def browser(playwright_instance: Any) -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    b = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture()
def new_context(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """Makes fresh phones (browser contexts): each has its own storage, like another device."""
    made: list[Any] = []

    def make(**kwargs: Any) -> Any:
        options = {"viewport": PHONE, "base_url": live_server.url, "locale": "vi-VN",
                   "timezone_id": "Asia/Ho_Chi_Minh", "service_workers": "allow", **kwargs}
        ctx = browser.new_context(**options)
        ctx.set_default_timeout(15000)
        # The browser's console ends up in the failure report.
        ctx.on("console", lambda m: print(f"[console.{m.type}] {m.text}"))
        ctx.on("weberror", lambda e: print(f"[page error] {e.error}"))
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.close()


@pytest.fixture()
def context(new_context: Any) -> Any:
    return new_context()


@pytest.fixture()
def page(context: Any) -> Any:
    return context.new_page()


@pytest.fixture(autouse=True)
def _clean_database(db: Any) -> Iterator[None]:
    """Every browser test starts from the catalog alone (rows are wiped after it)."""
    yield


@pytest.fixture()
def official_of(db: Any, make_official: Any) -> Any:
    """An official of the agency handling a procedure. The test process then ends its
    transaction, so it holds no SQLite lock while gunicorn serves the browser."""

    def make(procedure: str, role: str = "leader") -> Any:
        actor = make_official(role=role, procedure=procedure)
        actor.email = actor.user.email
        db.session.rollback()
        return actor

    return make


def shot(page: Any, name: str, focus: str | None = None) -> Path:
    """The whole page; with `focus` (a selector), the 390x844 screen scrolled to it."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    # A transient toast would cover the screen's content in the picture.
    page.evaluate("() => { const t = document.getElementById('toast'); if (t) t.hidden = true; }")
    if focus:
        page.wait_for_function("""s => { const el = document.querySelector(s);
            if (el) el.scrollIntoView({block: 'start'}); return Boolean(el); }""", arg=focus)
    page.screenshot(path=str(path), full_page=focus is None)
    return path
