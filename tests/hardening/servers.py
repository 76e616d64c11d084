"""A private PostgreSQL instance the crash test may restart at will (the gunicorn these
tests start is tests/servers.py's)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.servers import free_port


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


@contextmanager
def private_postgres(prefix: str) -> Iterator[PrivatePostgres]:
    """A PostgreSQL cluster of the test's own, removed afterwards. Not under pytest's tmp_path:
    as root the server runs as `postgres`, which cannot enter root's private temporary folders."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    pg = PrivatePostgres(folder)
    try:
        yield pg
    finally:
        pg.stop()
        shutil.rmtree(folder, ignore_errors=True)
