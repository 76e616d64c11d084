"""The production run mode: gunicorn started with gunicorn.conf.py drains in-flight requests on
SIGTERM, and /metrics adds up every worker (prometheus_client's multiprocess mode)."""

from __future__ import annotations

import json
import re
import signal
import socket
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from tests.servers import Gunicorn, wait_for
from tests.sync.helpers import current_version


def _accept_queue(port: int) -> int | None:
    """Connections waiting in the kernel's accept queue of the listener on `port` (Linux)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            local, state, queues = parts[1], parts[3], parts[4]
            if state == "0A" and int(local.split(":")[1], 16) == port:
                return int(queues.split(":")[1], 16)
    return None


def _read_response(sock: socket.socket) -> tuple[int, dict[str, Any]]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response: {data!r}"
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed mid-body"
        body += chunk
    return int(head.split()[1]), json.loads(body)


def test_sigterm_finishes_the_request_in_flight(app, db, citizen, tmp_path):
    """A phone is half-way through sending a sync batch when the deploy stops gunicorn:
    the batch is still applied and answered, new connections are refused, gunicorn exits 0."""
    db.session.commit()
    server = Gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, workers=2,
                      env={"GUNICORN_GRACEFUL_TIMEOUT": "20"})
    try:
        draft = str(uuid.uuid4())
        body = json.dumps({"client_id": str(uuid.uuid4()), "mutations": [{
            "id": 1, "name": "dossier.save", "captured_at": datetime.now(UTC).isoformat(),
            "args": {"dossier_id": draft, "procedure_code": "marital-status-confirmation",
                     "form_version": current_version("marital-status-confirmation"),
                     "base_version": None, "fields": {}}}]}).encode()
        head = (f"POST /api/v1/sync/push HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {citizen.access}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        sock.sendall(head + body[:20])
        # The request reached a worker once the kernel's accept queue is empty again.
        wait_for(lambda: _accept_queue(server.port) == 0, 10, "a worker to accept the request")
        server.proc.send_signal(signal.SIGTERM)

        def refused() -> bool:
            try:
                requests.get(server.url + "/healthz", timeout=1)
                return False
            except requests.RequestException:
                return True

        wait_for(refused, 15, "gunicorn to stop accepting new connections")
        assert server.proc.poll() is None, "gunicorn exited with a request in flight"
        sock.sendall(body[20:])
        status, answer = _read_response(sock)
        sock.close()
        assert status == 200, answer
        assert answer["last_mutation_id"] == 1
        assert answer["results"][0]["status"] == "applied"
        assert wait_for(lambda: server.proc.poll() is not None, 25, "gunicorn to exit") is True
        assert server.proc.returncode == 0, server.output()
    finally:
        server.stop(signal.SIGKILL)
    from app.models.dossiers import Dossier

    db.session.expire_all()
    assert db.session.get(Dossier, uuid.UUID(draft)) is not None


def _requests_counted(url: str, rule: str) -> float:
    text = requests.get(url + "/metrics", timeout=10).text
    pattern = re.compile(r'^hoso_http_requests_total\{([^}]*)\} ([0-9.e+]+)$', re.M)
    return sum(float(v) for labels, v in pattern.findall(text)
               if f'endpoint="{rule}"' in labels and 'status="200"' in labels)


def test_metrics_add_up_every_worker_and_start_from_zero(app, db, tmp_path):
    db.session.commit()
    for run in range(2):  # the second run reuses the metrics folder the first one left
        server = Gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, workers=2, threads=2,
                          metrics_dir=tmp_path / "metrics")
        try:
            with requests.Session() as fresh:
                for _ in range(30):  # new connections, spread over both workers
                    fresh.get(server.url + "/api/v1/procedures", headers={"Connection": "close"},
                              timeout=10).raise_for_status()
            assert len(list(server.metrics_dir.glob("*.db"))) >= 2, "only one worker served"
            assert _requests_counted(server.url, "/api/v1/procedures") == 30, f"run {run + 1}"
        finally:
            assert server.stop() == 0
