"""PWA budget: the shell's compressed size and its load time on emulated slow 3G.

Run: `.venv/bin/python benchmarks/pwa_budget.py`. It starts gunicorn over a throwaway SQLite
database with the demo catalog (HTTP/1.1, as one gunicorn serves it), drives Debian's
Chromium with Playwright, and emulates the network with the Chrome DevTools protocol
(`Network.emulateNetworkConditions`): DevTools' "Slow 3G" preset (2000 ms round trip,
50 kB/s) and WebPageTest's "3G Slow" (400 ms, 50 kB/s).

`--front https://127.0.0.1:8443 --cert instance/production/tls/cert.pem` measures the
production shape instead (`bash scripts/production.sh start`: nginx, TLS, HTTP/2, gzip, two
nodes); Chromium trusts the self-signed certificate by its key.

"Interactive" is when the catalog's procedures are on screen and the search box takes input
(measured with `performance.now()` from the navigation's start).
"""

from __future__ import annotations

import gzip
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# name → CDP Network.emulateNetworkConditions: latency is the added round trip (ms), throughputs
# are bytes/s. The first is Chrome DevTools' "Slow 3G" preset; the second WebPageTest's "3G Slow".
PROFILES = {
    "DevTools Slow 3G (2000 ms RTT, 400 kbit/s)": {"offline": False, "latency": 2000,
                                                  "downloadThroughput": 50_000, "uploadThroughput": 50_000},
    "WebPageTest 3G Slow (400 ms RTT, 400 kbit/s)": {"offline": False, "latency": 400,
                                                    "downloadThroughput": 50_000, "uploadThroughput": 50_000},
}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
BUDGET_KB = 60


def shell_sizes() -> dict[str, int]:
    """Raw and gzip (level 9, as served) bytes of the shell's HTML+CSS+JS, and of everything."""
    pwa = ROOT / "pwa"
    code = [p for p in pwa.rglob("*") if p.suffix in (".html", ".css", ".js") and p.is_file()
            and p.name not in ("sw.js", "sw-push.js")]
    rest = [p for p in pwa.rglob("*") if p.is_file() and p not in code]
    raw = sum(p.stat().st_size for p in code)
    gz = sum(len(gzip.compress(p.read_bytes(), 9)) for p in code)
    rest_gz = sum(len(gzip.compress(p.read_bytes(), 9)) for p in rest)
    return {"files": len(code), "raw": raw, "gzip": gz, "other_files_gzip": rest_gz}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Wire:
    """What the server sent, from its access log (gunicorn's, or nginx's combined format): every
    request of the page, the service worker's precache and the module worker's imports, which
    the page's own Resource Timing does not see."""

    LINE = re.compile(r'"(\w+) (\S+) HTTP/[\d.]+" (\d{3}) (\d+|-)')

    def __init__(self, path: Path) -> None:
        self.path, self.offset = path, 0

    def mark(self) -> None:
        self.offset = self.path.stat().st_size if self.path.exists() else 0

    def since(self) -> list[tuple[str, int, int]]:
        """(path, status, body bytes) of each request logged since `mark`."""
        with self.path.open("rb") as fh:
            fh.seek(self.offset)
            text = fh.read().decode(errors="replace")
        found = (self.LINE.search(line) for line in text.splitlines())
        return [(m[2].split("?")[0], int(m[3]), 0 if m[4] == "-" else int(m[4])) for m in found if m]

    def settle(self, quiet: float = 3.0, timeout: float = 120) -> list[tuple[str, int, int]]:
        """The requests since `mark`, once none has come for `quiet` seconds."""
        deadline, seen, still = time.monotonic() + timeout, -1, time.monotonic()
        while time.monotonic() < deadline:
            now = len(self.since())
            if now != seen:
                seen, still = now, time.monotonic()
            elif time.monotonic() - still >= quiet:
                break
            time.sleep(0.2)
        return self.since()


def served_shell(br: bool = False) -> tuple[int, int]:
    """(files, bytes) of the shell as the server sends it: every file of the worker's manifest
    (brotli over HTTPS when `br`, else gzip, where compressible) and the worker scripts (gzip),
    each once."""
    from app import create_app
    from app.pwa import WORKER_FILES, _brotli, _snapshot, asset_manifest

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x" * 40,
                      "JWT_SECRET_KEY": "x" * 40})
    with app.app_context():
        entries = _snapshot()["entries"]
        files = asset_manifest()["files"]
        size = sum(len((_brotli(entries[u]) if br else entries[u]["gzip"]) if entries[u]["gzip"]
                       else entries[u]["body"]) for u in files)
        size += sum(len(gzip.compress((ROOT / "pwa" / name).read_bytes(), 9)) for name in WORKER_FILES)
    return len(files) + len(WORKER_FILES), size


def first_screen(br: bool) -> tuple[int, int]:
    """(files, bytes) of what the HTML asks for before the first screen, as served (brotli over
    HTTPS when `br`, else gzip): the HTML, its stylesheet, its `modulepreload`s and `preload`s
    of shell files (the catalog JSON, an API answer, is not counted) and the header's mark."""
    from app import create_app
    from app.pwa import _brotli, _snapshot

    html = (ROOT / "pwa" / "index.html").read_text()
    linked = re.findall(r'<link rel="(?:stylesheet|modulepreload|preload)" href="([^"]+)"', html)
    urls = ["/index.html", *linked, *re.findall(r'<img src="([^"]+)"', html)]
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x" * 40,
                      "JWT_SECRET_KEY": "x" * 40})
    with app.app_context():
        entries = _snapshot()["entries"]
        found = [entries[u] for u in urls if u in entries]
        size = sum(len((_brotli(e) if br else e["gzip"]) if e["gzip"] else e["body"]) for e in found)
    return len(found), size


def _serve(tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    from app import create_app
    from app.extensions import db
    from app.models import Base
    from app.services import catalog

    url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    key = "benchmark-secret-key-that-is-long-enough-for-hs256"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": key, "JWT_SECRET_KEY": key})
    with app.app_context():
        Base.metadata.create_all(db.engine)
        catalog.load_demo(db.session)
        db.session.commit()
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": key, "JWT_SECRET_KEY": key}
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", f"127.0.0.1:{port}",
                             "--workers", "2", "--threads", "4", "--worker-class", "gthread",
                             "--access-logfile", str(tmp / "access.log"),
                             "--access-logformat", '"%(r)s" %(s)s %(B)s'],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    import requests

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=1).ok:
                return proc, f"http://127.0.0.1:{port}"
        except requests.RequestException:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("gunicorn did not start")


MARK = ("(() => { const m = performance.getEntriesByName('%s')[0]; "
        "return m ? m.startTime : null; })()")


def interactive(page: object, timeout: float = 120, mark: str = "hoso:catalog") -> float:
    """The app marks `hoso:catalog` when the catalog is on screen; poll for it (the app's CSP
    forbids Playwright's eval-based wait_for_function)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = page.evaluate(MARK % mark)  # type: ignore[attr-defined]
        if value is not None:
            return float(value)
        time.sleep(0.02)
    raise SystemExit("the catalog never became interactive")


def newcomer_ms(base: str, profile: dict[str, object], cert: str | None = None) -> float:
    """A true first visit: a newcomer lands on the welcome screen (`#/welcome`, marked
    `hoso:intro` when it is on screen)."""
    from playwright.sync_api import sync_playwright

    args = [*CHROMIUM_ARGS, *([f"--ignore-certificate-errors-spki-list={spki_hash(cert)}"] if cert else [])]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        ctx = browser.new_context(viewport={"width": 390, "height": 844}, service_workers="allow")
        page = ctx.new_page()
        cdp = ctx.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", profile)
        page.goto(base + "/", wait_until="commit", timeout=120_000)
        found = interactive(page, mark="hoso:intro")
        browser.close()
    return found


def wait_offline_ready(page: object, timeout: float = 300) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.evaluate("document.documentElement.dataset.offlineReady === '1'"):  # type: ignore[attr-defined]
            return float(page.evaluate("performance.now()"))  # type: ignore[attr-defined]
        time.sleep(0.1)
    raise SystemExit("never offline-ready")


def spki_hash(cert: str) -> str:
    """base64(sha256(SubjectPublicKeyInfo)), for --ignore-certificate-errors-spki-list."""
    import base64
    import hashlib

    pem = subprocess.run(["openssl", "x509", "-in", cert, "-pubkey", "-noout"], capture_output=True,
                         check=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pem,
                         capture_output=True, check=True).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def load_times(base: str, profile: dict[str, object], cert: str | None = None,
               wire: Wire | None = None) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    args = [*CHROMIUM_ARGS, *([f"--ignore-certificate-errors-spki-list={spki_hash(cert)}"] if cert else [])]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        ctx = browser.new_context(viewport={"width": 390, "height": 844}, service_workers="allow")
        # The first visit is timed to the catalog: the one-time welcome screen (#/welcome) that a
        # new visitor sees first is marked as seen, so both runs land on the catalog.
        ctx.add_init_script("try { localStorage.setItem('hoso.introSeen', '1'); } catch (e) {}")
        page = ctx.new_page()
        cdp = ctx.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", profile)
        if wire:
            wire.mark()
        page.goto(base + "/", wait_until="commit", timeout=120_000)
        first = interactive(page)
        transferred = page.evaluate(
            "performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))"
            ".reduce((n, e) => n + (e.transferSize || 0), 0)")
        requests_n = page.evaluate("performance.getEntriesByType('resource').length + 1")
        protocol = page.evaluate("performance.getEntriesByType('navigation')[0].nextHopProtocol")
        ready = wait_offline_ready(page)
        sent = wire.settle() if wire else None  # everything the first visit cost, workers included
        repeat_online = []
        for _ in range(3):
            page.reload(wait_until="commit")
            repeat_online.append(interactive(page))
        ctx.set_offline(True)
        cdp.send("Network.emulateNetworkConditions", {**profile, "offline": True})
        repeat_offline = []
        for _ in range(3):
            page.reload(wait_until="commit")
            repeat_offline.append(interactive(page))
        browser.close()
    return {"first_ms": first, "first_bytes": transferred, "first_requests": requests_n, "protocol": protocol,
            "offline_ready_ms": ready, "repeat_online_ms": min(repeat_online),
            "repeat_offline_ms": min(repeat_offline), "sent": sent}


def _listed(repeated: dict[str, int]) -> str:
    return f" ({', '.join(f'{p} x{n}' for p, n in sorted(repeated.items())[:8])})" if repeated else ""


def wire_report(sent: list[tuple[str, int, int]], shell: tuple[int, int]) -> str:
    """First visit as the server saw it: the shell's requests and bytes against the shell sent
    once (aim: bytes at most 1.1 times), files fetched more than once, and the API's share."""
    from collections import Counter

    files = [(p, st, b) for p, st, b in sent if not p.startswith("/api/")]
    api = [(p, st, b) for p, st, b in sent if p.startswith("/api/")]
    shell_bytes = sum(b for _, _, b in files)
    repeated = {p: n for p, n in Counter(p for p, _, _ in files).items() if n > 1}
    not_modified = sum(1 for _, st, _ in files if st == 304)
    ratio = shell_bytes / shell[1]
    return (f"  first visit on the wire (server's log, page + service worker + module worker): "
            f"{len(sent)} requests, {sum(b for *_, b in sent) / 1024:.1f} KiB of bodies; shell files "
            f"{len(files)} requests ({not_modified} answered 304) for {shell[0]} files, "
            f"{shell_bytes / 1024:.1f} KiB = {ratio:.2f} x the shell sent once "
            f"({shell[1] / 1024:.1f} KiB; aim <= 1.1: {'met' if ratio <= 1.1 else 'NOT met'}); "
            f"fetched more than once: {len(repeated)} files{_listed(repeated)}; "
            f"API {len(api)} requests, {sum(b for *_, b in api) / 1024:.1f} KiB")


def report(base: str, cert: str | None = None, wire: Wire | None = None) -> None:
    https = base.startswith("https:")  # browsers offer brotli over HTTPS only
    shell = served_shell(br=https)
    files, size = first_screen(br=https)
    print(f"first screen's shell files as served ({'brotli' if https else 'gzip'}): {files} files, "
          f"{size / 1024:.1f} KiB, plus the catalog JSON")
    load = os.getloadavg()
    print(f"machine load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    for name, profile in PROFILES.items():
        t = load_times(base, profile, cert, wire)
        print(f"{name}, first visit over {t['protocol']}: interactive in {t['first_ms'] / 1000:.2f} s "
              f"({t['first_requests']} requests, {t['first_bytes'] / 1024:.1f} KiB transferred;"
              " aim < 5 s)")
        if t["sent"] is not None:
            print(wire_report(t["sent"], shell))
        welcome = newcomer_ms(base, profile, cert)
        print(f"  a newcomer's first visit: the welcome screen in {welcome / 1000:.2f} s (aim < 5 s)")
        print(f"  offline-ready (shell + catalog + every form cached) after "
              f"{t['offline_ready_ms'] / 1000:.1f} s")
        print(f"  repeat visit online: interactive in {t['repeat_online_ms'] / 1000:.2f} s")
        print(f"  repeat visit offline: interactive in {t['repeat_offline_ms'] / 1000:.2f} s"
              " (aim < 1 s)")


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--front", help="measure this running front instead (e.g. https://127.0.0.1:8443)")
    parser.add_argument("--cert", help="the front's certificate to trust (self-signed)")
    parser.add_argument("--front-log", default=str(ROOT / "instance/production/log/nginx-access.log"),
                        help="the front's access log (what it sent), read for the first visit's requests")
    options = parser.parse_args()
    sizes = shell_sizes()
    print(f"Shell HTML+CSS+JS: {sizes['files']} files, {sizes['raw'] / 1024:.1f} KiB raw, "
          f"{sizes['gzip'] / 1024:.1f} KiB gzip (budget {BUDGET_KB} KiB: "
          f"{'OK' if sizes['gzip'] <= BUDGET_KB * 1024 else 'OVER'}); "
          f"icons, texts, manifest: {sizes['other_files_gzip'] / 1024:.1f} KiB gzip")
    if options.front:
        print(f"Through {options.front}:")
        log = Path(options.front_log) if options.front_log else None
        report(options.front.rstrip("/"), options.cert, Wire(log) if log and log.exists() else None)
        return
    with tempfile.TemporaryDirectory() as tmp:
        proc, base = _serve(Path(tmp))
        try:
            report(base, wire=Wire(Path(tmp) / "access.log"))
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)


if __name__ == "__main__":
    main()
