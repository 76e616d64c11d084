"""The production shape under test: `scripts/production.sh` itself (nginx with TLS and HTTP/2,
two gunicorn nodes, the RQ worker, moto's S3 server), over a private PostgreSQL cluster and
a private Redis that the tests may restart (never the machine's shared servers)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import requests

from tests.servers import NO_LIMITS, NOT_INHERITED, ROOT, TEST_KEY, free_port, wait_for


class PrivateRedis:
    """redis-server on a free port, appending every write to its own file (a restart keeps
    the queue, as a production Redis with `appendonly yes` does)."""

    def __init__(self, folder: Path) -> None:
        self.dir = folder
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def ping(self) -> bool:
        done = subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True)
        return done.stdout.strip() == "PONG"

    def start(self) -> None:
        with open(self.dir / "redis.log", "ab") as log:
            self.proc = subprocess.Popen(
                ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.dir),
                 "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(self.ping, 20, "the private Redis to answer", interval=0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # a clean shutdown: the append-only file is complete
            self.proc.wait(20)

    def restart(self, down_seconds: float = 0.0) -> None:
        self.stop()
        time.sleep(down_seconds)  # the outage itself, not a wait for something
        self.start()


class Shape:
    """`bash scripts/production.sh start` with free ports and the given database and Redis."""

    def __init__(self, folder: Path, database_url: str, redis_url: str,
                 env: dict[str, str] | None = None) -> None:
        self.dir = folder
        self.dir.mkdir(parents=True, exist_ok=True)
        self.https_port = free_port()
        self.node_ports = [free_port(), free_port()]
        # The secrets every node shares; the tests sign tokens with the same key.
        from app.services import vapid

        self.vapid_key = vapid.private_raw(vapid.generate_private_key())
        (self.dir / "secrets.env").write_text(f"SECRET_KEY={TEST_KEY}\nJWT_SECRET_KEY={TEST_KEY}\n"
                                              f"VAPID_PRIVATE_KEY={self.vapid_key}\n")
        base = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
        self.env = {
            **base, **NO_LIMITS,
            "HOSO_SHAPE_DIR": str(self.dir),
            "HTTPS_PORT": str(self.https_port),
            "NODE_PORTS": " ".join(map(str, self.node_ports)),
            "S3_PORT": str(free_port()),
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "WEB_CONCURRENCY": "2",
            "GUNICORN_THREADS": "4",
            "PUSH_SWEEP_SECONDS": "1",
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.url = f"https://127.0.0.1:{self.https_port}"
        self.cert = str(self.dir / "tls" / "cert.pem")
        self.script("start", timeout=600)

    def script(self, *args: str, timeout: float = 120) -> str:
        done = subprocess.run(["bash", str(ROOT / "scripts" / "production.sh"), *args], cwd=ROOT,
                              env=self.env, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise AssertionError(f"production.sh {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}\n"
                                 f"{self.logs()}")
        return done.stdout + done.stderr

    def node_url(self, n: int) -> str:
        return f"http://127.0.0.1:{self.node_ports[n - 1]}"

    def node_pid(self, n: int) -> int | None:
        path = self.dir / "run" / f"node{n}.pid"
        try:
            pid = int(path.read_text().strip())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            return None

    def kill_node(self, n: int) -> None:
        """SIGKILL the node's master and workers at once (its own process group)."""
        pid = self.node_pid(n)
        assert pid is not None, f"node {n} is not running"
        os.killpg(pid, signal.SIGKILL)
        wait_for(lambda: self.node_pid(n) is None, 10, f"node {n} to die")

    def log(self, name: str) -> str:
        path = self.dir / "log" / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def logs(self) -> str:
        return "\n".join(f"--- {name}:\n{self.log(name)[-1500:]}"
                         for name in ("node1", "node2", "worker", "nginx-error"))

    def session(self) -> requests.Session:
        """HTTPS to the front, trusting its self-signed certificate (and nothing else: the
        environment's REQUESTS_CA_BUNDLE would otherwise replace it)."""
        s = requests.Session()
        s.verify = self.cert
        s.trust_env = False
        return s

    def ready(self) -> bool:
        try:
            return self.session().get(self.url + "/readyz", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    def stop(self) -> None:
        self.script("stop")


def unhandled(shape: Shape) -> list[str]:
    """Lines of the nodes' logs where a request failed with a 500 (never acceptable)."""
    return [line for n in (1, 2) for line in shape.log(f"node{n}").splitlines()
            if "unhandled error" in line]
