"""Browser tests in WebKit (the engine of every iPhone browser): Debian's WebKitGTK driven by
Selenium through WebKitWebDriver, in an Xvfb display, against a real gunicorn.

WebKitGTK, like Safari, has no Background Sync, no `navigator.storage.persist()` and no Push
API outside an installed app; these tests check that Hoso works without them. The server is
on 127.0.0.1 (a secure context: service workers, IndexedDB and Cache Storage need one) and can
be stopped and started again on the same port, which keeps the origin and so the phone's data.

Without the binaries the tests are skipped on a developer's machine and fail in CI, where the
test command (scripts/test.sh) installs them (`webkit2gtk-driver`, `xvfb`).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.servers import ROOT, Gunicorn, wait_for

SHOTS = ROOT / "test-artifacts" / "screenshots"
WEBDRIVER = shutil.which("WebKitWebDriver")
XVFB = shutil.which("Xvfb")
MINIBROWSER = next(iter(sorted(glob.glob("/usr/lib/*/webkit2gtk-4.*/MiniBrowser"))), None)
# The phone's screen (the window is a little wider than its page: WebKitGTK keeps a minimum).
PHONE = (360, 740)
# Waits as long as the Chromium tests' (a screen can take seconds on a loaded 2-core machine).
WAIT = 30.0

def _missing() -> list[str]:
    return [name for name, path in (("WebKitWebDriver", WEBDRIVER), ("Xvfb", XVFB),
                                    ("MiniBrowser", MINIBROWSER)) if not path]

@pytest.fixture(scope="session")
def display() -> Iterator[str]:
    """An Xvfb display of its own (the number chosen by Xvfb itself)."""
    missing = _missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"WebKit tests need {', '.join(missing)}: scripts/test.sh installs them")
        pytest.skip(f"no {', '.join(missing)} (apt-get install webkit2gtk-driver xvfb)")
    read, write = os.pipe()
    proc = subprocess.Popen([XVFB, "-displayfd", str(write), "-screen", "0", "1024x900x24",
                             "-nolisten", "tcp"],
                            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as fh:
        number = fh.readline().strip()
    if not number:
        proc.kill()
        pytest.fail("Xvfb did not start")
    yield f":{number}"
    proc.terminate()
    proc.wait(10)

class LiveServer:
    """gunicorn over the test database, on one port for the whole test: `stop()` is the server
    down (the phone sees network errors), `start()` brings it back at the same origin."""

    def __init__(self, app: Any, tmp: Path) -> None:
        self.database_url = app.config["SQLALCHEMY_DATABASE_URI"]
        self.tmp = tmp
        self.server: Gunicorn | None = None
        self.port: int | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.server = Gunicorn(self.database_url, self.tmp, port=self.port, workers=1,
                               env={"LOGIN_FREE_ATTEMPTS": "50", "GUNICORN_GRACEFUL_TIMEOUT": "2"})
        self.port = self.server.port

    def stop(self) -> None:
        if self.server:
            self.server.stop()
            self.server = None

    def api(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.request(method, self.url + path, headers=headers, timeout=30, **kwargs)

@pytest.fixture()
def live_server(app: Any, db: Any, tmp_path: Path) -> Iterator[LiveServer]:
    """A server of this test's own (rows are wiped after it by the root conftest's `db`)."""
    server = LiveServer(app, tmp_path)
    db.session.rollback()  # hold no SQLite lock while gunicorn serves the browser
    yield server
    server.stop()

IPHONE_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
             "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.failed_call = report.failed


@pytest.fixture()
def new_webkit(display: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    """Makes fresh WebKitGTKs (MiniBrowser in automation mode: each with its own empty
    storage), phone-sized; `user_agent=IPHONE_UA` makes it say it is Safari on an iPhone."""
    from selenium import webdriver
    from selenium.webdriver.webkitgtk.options import Options
    from selenium.webdriver.webkitgtk.service import Service

    made: list[Any] = []

    def make(user_agent: str | None = None) -> Any:
        options = Options()
        options.binary_location = MINIBROWSER
        options.add_argument("--automation")
        if user_agent:
            options.add_argument(f"--user-agent={user_agent}")
        service = Service(executable_path=WEBDRIVER, env={**os.environ, "DISPLAY": display})
        driver = webdriver.WebKitGTK(options=options, service=service)
        made.append(driver)
        driver.set_window_size(*PHONE)
        driver.set_script_timeout(WAIT)
        return driver

    yield make
    for i, driver in enumerate(made):
        if getattr(request.node, "failed_call", False):  # what the phone showed when it failed
            print("screenshot:", shot(driver, f"failed-{request.node.name}-{i}"))
        driver.quit()


@pytest.fixture()
def webkit(new_webkit: Any) -> Any:
    return new_webkit()


def shot(driver: Any, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"webkit-{name}.png"
    driver.execute_script("const t = document.getElementById('toast'); if (t) t.hidden = true;")
    driver.get_screenshot_as_file(str(path))
    return path

def until(driver: Any, script: str, what: str, *args: Any, timeout: float = WAIT) -> Any:
    """Poll a JavaScript expression in the page (`return …`) until it is truthy."""
    def probe() -> Any:
        try:
            return driver.execute_script(script, *args)
        except Exception as e:  # the page is navigating: ask again
            if "JavaScript" in type(e).__name__ or "StaleElement" in type(e).__name__:
                return None
            raise
    return wait_for(probe, timeout, what, 0.1)
