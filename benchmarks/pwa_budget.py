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
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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
                             "--workers", "2", "--threads", "4", "--worker-class", "gthread"],
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


MARK = ("(() => { const m = performance.getEntriesByName('hoso:catalog')[0]; "
        "return m ? m.startTime : null; })()")


def interactive(page: object, timeout: float = 120) -> float:
    """The app marks `hoso:catalog` when the catalog is on screen; poll for it (the app's CSP
    forbids Playwright's eval-based wait_for_function)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = page.evaluate(MARK)  # type: ignore[attr-defined]
        if value is not None:
            return float(value)
        time.sleep(0.02)
    raise SystemExit("the catalog never became interactive")


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


def load_times(base: str, profile: dict[str, object], cert: str | None = None) -> dict[str, float]:
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
        first = interactive(page)
        transferred = page.evaluate(
            "performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))"
            ".reduce((n, e) => n + (e.transferSize || 0), 0)")
        requests_n = page.evaluate("performance.getEntriesByType('resource').length + 1")
        protocol = page.evaluate("performance.getEntriesByType('navigation')[0].nextHopProtocol")
        ready = wait_offline_ready(page)
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
            "repeat_offline_ms": min(repeat_offline)}


def report(base: str, cert: str | None = None) -> None:
    for name, profile in PROFILES.items():
        t = load_times(base, profile, cert)
        print(f"{name}, first visit over {t['protocol']}: interactive in {t['first_ms'] / 1000:.2f} s "
              f"({t['first_requests']} requests, {t['first_bytes'] / 1024:.1f} KiB transferred;"
              " aim < 5 s)")
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
    options = parser.parse_args()
    sizes = shell_sizes()
    print(f"Shell HTML+CSS+JS: {sizes['files']} files, {sizes['raw'] / 1024:.1f} KiB raw, "
          f"{sizes['gzip'] / 1024:.1f} KiB gzip (budget {BUDGET_KB} KiB: "
          f"{'OK' if sizes['gzip'] <= BUDGET_KB * 1024 else 'OVER'}); "
          f"icons, texts, manifest: {sizes['other_files_gzip'] / 1024:.1f} KiB gzip")
    if options.front:
        print(f"Through {options.front}:")
        report(options.front.rstrip("/"), options.cert)
        return
    with tempfile.TemporaryDirectory() as tmp:
        proc, base = _serve(Path(tmp))
        try:
            report(base)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)


if __name__ == "__main__":
    main()
