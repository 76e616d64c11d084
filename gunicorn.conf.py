"""gunicorn settings for Hoso in production: `gunicorn -c gunicorn.conf.py wsgi:app`.

Every value can be overridden by its environment variable (or on the command line). See
docs/operations.md for the arithmetic behind workers × threads × database connections.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
from pathlib import Path
from typing import Any

_cpus = multiprocessing.cpu_count()

# gthread: a few processes, each with a pool of threads. Most time goes into waiting on the
# database and on slow phones, so threads are cheap concurrency; processes use the cores.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", str(max(2, _cpus + 1))))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Kept-alive connections a worker holds beyond its busy threads (phones reuse them).
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", "200"))

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Each worker listens on its own SO_REUSEPORT socket and the kernel spreads new connections
# across them. With one shared socket, a burst of kept-alive connections (phones, or a
# proxy's upstream pool) can all land on the first worker to wake: measured here, one
# worker held 50 of 50 connections while three idled. Cost: connections still queued on a
# worker's socket when it is recycled (max_requests, off by default) are reset; phones retry.
reuse_port = os.environ.get("GUNICORN_REUSE_PORT", "1") == "1"
# With gthread, `timeout` is the worker's heartbeat, not a per-request limit: a phone on 2G
# trickling an upload keeps a thread busy, not the worker's main loop. The reverse proxy
# bounds how long a client may take (client_body_timeout, proxy_read_timeout).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# On SIGTERM a worker stops accepting and finishes what is in flight for up to this long.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "15"))
# Workers are not recycled by default (0). A recycled worker closes its kept-alive
# connections: the front's request racing that close fails, nginx counts it against the node
# (`max_fails`) and skips the node for `fail_timeout`; with the other node down (a roll, a lost
# node) every phone got 502s for 2 s at each recycle, which at a few hundred requests/s a node
# was every 10-20 s (docs/benchmarks.md, "Each node on a core of its own"). Set it (with the
# jitter) only to contain a memory leak, and then with more than one node up.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "500"))
# Headers are small in this API; refuse abusive ones early.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None  # the app logs each request as JSON
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# The app is imported in each worker after fork: no database connection or Redis socket is
# shared between processes, and prometheus_client sees PROMETHEUS_MULTIPROC_DIR at import.
preload_app = False
# gunicorn's control socket defaults to one path per user, shared by every instance on the
# machine; it is off unless a path of this instance's own is given.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET") or "gunicorn.ctl"
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# One database pool per worker, as large as its thread pool, plus a little overflow for
# the odd background hook. workers × (threads + overflow) must fit PostgreSQL's
# max_connections with room for RQ workers, migrations and psql.
os.environ.setdefault("DB_POOL_SIZE", str(threads))
os.environ.setdefault("DB_MAX_OVERFLOW", "2")

# Metrics from every worker are merged through files (prometheus_client's multiprocess mode).
# The directory must exist before the workers import prometheus_client, and must start empty:
# files left by a previous run would be counted again.
_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or tempfile.mkdtemp(prefix="hoso-metrics-")
os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir


def on_starting(server: Any) -> None:
    """In the master, before any worker exists: an empty metrics directory."""
    path = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink(missing_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    """A worker is gone: its live gauges no longer count (its counters still do)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
