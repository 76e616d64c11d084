"""Bytes per pull for the two-phone day of docs/sync-protocol.md, and the time to pull them
over an emulated 2G link (250 kbit/s, 300 ms round trip by default).

    .venv/bin/python benchmarks/pull_bytes.py [--before REF] [--rate-kbit 250] [--rtt-ms 300]

The day (steps 1-7 of the worked example, and the pulls that follow): phone A makes the
draft, both phones pull; offline, A queues two saves and B one that clashes; A pushes (and
re-sends the same batch, as after a lost answer), then B; A pulls (step 6); A puts its own
value back (`conflict.resolve`); B pulls, then A. Each pull after a cursor is measured:
JSON bytes as the app sends them, the same gzipped (what the front sends), and the time
from request to last byte through a TCP proxy that delays and paces both directions like
the link. The server is gunicorn on a SQLite file in a temporary folder.

`--before REF` runs the same day, in the same run, against the code of a git commit (a
temporary `git worktree`), for a before/after comparison. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import queue
import signal
import socket
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
KEY = "benchmark-secret-key-that-is-long-enough-for-hs256"
SETUP = """
import sys
from datetime import timedelta
from app import create_app
from app.extensions import db
from app.models import Base
from app.services import accounts, catalog
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "SECRET_KEY": sys.argv[2],
                  "JWT_SECRET_KEY": sys.argv[2], "JWT_ACCESS_TOKEN_EXPIRES": timedelta(hours=2)})
with app.app_context():
    Base.metadata.create_all(db.engine)
    catalog.load_demo(db.session)
    user = accounts.register(db.session, password="Khong-doan-duoc-42", phone="0912345678",
                             full_name="Nguyễn Thị Lan", language="vi")
    token = accounts.issue_tokens(db.session, user)["access_token"]
    db.session.commit()
print(token)
"""


class SlowLink:
    """A TCP proxy that behaves like a narrow, distant link: each direction sends at most
    `rate_bits` per second, and every byte arrives `rtt / 2` after it left."""

    def __init__(self, target: tuple[str, int], rate_bits: float, rtt: float) -> None:
        self.target, self.rate, self.one_way = target, rate_bits, rtt / 2
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                down, _ = self._listener.accept()
            except OSError:
                return
            up = socket.create_connection(self.target)
            for a, b in ((down, up), (up, down)):
                self._pipe(a, b)

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        line: queue.Queue[tuple[float, bytes]] = queue.Queue()

        def read() -> None:
            free = 0.0  # when the link has sent everything queued so far
            while True:
                try:
                    data = source.recv(16384)
                except OSError:
                    data = b""
                now = time.monotonic()
                if not data:
                    line.put((now + self.one_way, b""))
                    return
                free = max(now, free) + len(data) * 8 / self.rate
                line.put((free + self.one_way, data))

        def write() -> None:
            while True:
                at, data = line.get()
                time.sleep(max(0.0, at - time.monotonic()))
                if not data:
                    try:
                        sink.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    return
                try:
                    sink.sendall(data)
                except OSError:
                    return

        threading.Thread(target=read, daemon=True).start()
        threading.Thread(target=write, daemon=True).start()

    def close(self) -> None:
        self._listener.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(tree: Path, tmp: Path) -> tuple[subprocess.Popen, int, str]:
    """gunicorn running `tree`'s code on a fresh SQLite file; the citizen's access token."""
    url = f"sqlite:///{tmp / 'day.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": KEY, "JWT_SECRET_KEY": KEY,
           "JWT_ACCESS_SECONDS": "7200", "PYTHONPATH": str(tree)}
    env.pop("REDIS_URL", None)
    token = subprocess.run([sys.executable, "-c", SETUP, url, KEY], cwd=tree, env=env,
                           capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "wsgi:app", "--bind",
                             f"127.0.0.1:{port}", "--workers", "1", "--threads", "2",
                             "--log-level", "warning"], cwd=tree, env=env,
                            stdout=subprocess.DEVNULL, stderr=(tmp / "gunicorn.log").open("wb"),
                            start_new_session=True)
    deadline = time.monotonic() + 60
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                return proc, port, token
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"gunicorn did not start: {(tmp / 'gunicorn.log').read_text()[-2000:]}")
        time.sleep(0.1)


def _at(minutes_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat()


class Phone:
    def __init__(self, port: int, token: str, link: SlowLink) -> None:
        self.fast = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.slow = http.client.HTTPConnection("127.0.0.1", link.port, timeout=120)
        self.headers = {"Authorization": f"Bearer {token}", "Accept-Language": "vi",
                        "Content-Type": "application/json"}
        self.client_id, self.next_id, self.cursor = str(uuid.uuid4()), 1, None

    def queue(self, name: str, args: dict[str, Any], minutes_ago: float = 0) -> dict[str, Any]:
        m = {"id": self.next_id, "name": name, "args": args, "captured_at": _at(minutes_ago)}
        self.next_id += 1
        return m

    def push(self, *mutations: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps({"client_id": self.client_id, "mutations": list(mutations)})
        self.fast.request("POST", "/api/v1/sync/push", body=body.encode(), headers=self.headers)
        resp = self.fast.getresponse()
        answer = json.loads(resp.read())
        assert resp.status == 200, answer
        return answer

    def pull(self, measured: bool) -> dict[str, Any]:
        """One page after the cursor; measured ones go over the slow link."""
        query = {"client_id": self.client_id, **({"cursor": self.cursor} if self.cursor else {})}
        conn = self.slow if measured else self.fast
        t0 = time.perf_counter()
        conn.request("GET", "/api/v1/sync/pull?" + urllib.parse.urlencode(query), headers=self.headers)
        resp = conn.getresponse()
        raw = resp.read()
        seconds = time.perf_counter() - t0
        assert resp.status == 200, raw[:300]
        page = json.loads(raw)
        assert not page["has_more"]
        self.cursor = page["cursor"]
        return {"bytes": len(raw), "gzip": len(gzip.compress(raw, 6)), "seconds": seconds,
                "changes": len(page["changes"]), "page": page}


def current_version(port: int, code: str) -> int:
    """The procedure's current form version: saves on an older one would take the form-drift
    path (and carry conflict records), not the day's common one."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", f"/api/v1/procedures/{code}")
    resp = conn.getresponse()
    body = json.loads(resp.read())
    conn.close()
    return int(body["current_version"])


def day(port: int, token: str, link: SlowLink) -> list[tuple[str, dict[str, Any]]]:
    a, b = Phone(port, token, link), Phone(port, token, link)
    d1 = str(uuid.uuid4())
    version = current_version(port, "birth-registration")

    def save(phone: Phone, fields: dict[str, Any], base: int | None, minutes_ago: float) -> dict[str, Any]:
        args = {"dossier_id": d1, "procedure_code": "birth-registration", "form_version": version,
                "fields": fields, **({"base_version": base} if base is not None else {})}
        return phone.queue("dossier.save", args, minutes_ago)

    # Last night: A made the draft, both phones synced (snapshots, not measured).
    made = a.push(save(a, {"child_full_name": "Nguyễn Minh Anh", "child_home_town": "Huế"}, None, 900))
    base = made["results"][0]["entity"]["version"]
    a.pull(False)
    b.pull(False)
    # 07:10 and 07:12 on A, 08:30 on B, all offline.
    a7 = save(a, {"child_full_name": "Nguyễn Minh Ánh"}, base, 600)
    a8 = save(a, {"child_full_name": "Nguyễn Minh Ánh", "copies": 2}, base, 598)
    b4 = save(b, {"child_full_name": "Nguyễn Minh Anh Thư", "child_home_town": "Thừa Thiên Huế"}, base, 520)
    a.push(a7, a8)
    a.push(a7, a8)  # the answer was lost: re-sent, answered from the stored results
    conflict = b.push(b4)["results"][0]["conflicts"][0]
    pulls = [("step 6, A after B's clash", a.pull(True))]
    a.push(a.queue("conflict.resolve", {"conflict_id": conflict["id"], "use": "other"}))
    pulls.append(("B after A's resolution", b.pull(True)))
    pulls.append(("A after its resolution", a.pull(True)))
    return pulls


def run(tree: Path, label: str, rate_bits: float, rtt: float) -> list[tuple[str, dict[str, Any]]]:
    with tempfile.TemporaryDirectory(prefix="hoso-pull-day-") as tmp:
        proc, port, token = _serve(tree, Path(tmp))
        link = SlowLink(("127.0.0.1", port), rate_bits, rtt)
        try:
            pulls = day(port, token, link)
        finally:
            link.close()
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)
    print(f"\n{label}")
    for name, p in pulls:
        kinds = ", ".join(f"{c['entity']} v{c['version']}" for c in p["page"]["changes"])
        print(f"  {name:<28} {p['changes']:2d} changes {p['bytes']:7,d} B  gzip {p['gzip']:6,d} B"
              f"  2G {p['seconds']:5.2f} s   [{kinds}]")
    total = {k: sum(p[k] for _, p in pulls) for k in ("bytes", "gzip", "seconds", "changes")}
    print(f"  {'the day':<28} {total['changes']:2d} changes {total['bytes']:7,d} B  gzip "
          f"{total['gzip']:6,d} B  2G {total['seconds']:5.2f} s")
    return pulls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", metavar="REF", help="also run the day on this git commit's code")
    parser.add_argument("--rate-kbit", type=float, default=250)
    parser.add_argument("--rtt-ms", type=float, default=300)
    args = parser.parse_args()
    rate, rtt = args.rate_kbit * 1000, args.rtt_ms / 1000
    load = os.getloadavg()
    print(f"# pull bytes, two-phone day; link {args.rate_kbit:g} kbit/s, RTT {args.rtt_ms:g} ms; "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    results = {}
    if args.before:
        with tempfile.TemporaryDirectory(prefix="hoso-before-") as tmp:
            tree = Path(tmp) / "tree"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree),
                            args.before], check=True, capture_output=True)
            try:
                results["before"] = run(tree, f"before ({args.before})", rate, rtt)
            finally:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                               check=False, capture_output=True)
    results["now"] = run(ROOT, "now (this tree)", rate, rtt)
    if "before" in results:
        sums = {k: {key: sum(p[key] for _, p in v) for key in ("bytes", "gzip", "seconds")}
                for k, v in results.items()}
        print(f"\nnow / before: bytes {sums['now']['bytes'] / sums['before']['bytes']:.0%}, "
              f"gzip {sums['now']['gzip'] / sums['before']['gzip']:.0%}, "
              f"2G time {sums['now']['seconds'] / sums['before']['seconds']:.0%}")


if __name__ == "__main__":
    main()
