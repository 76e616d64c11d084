"""An S3-compatible server for tests: moto's server mode (`moto_server`, dev requirement),
in memory, on a free port. Upload tests and the production-shape tests store files in it
through boto3 exactly as they would in real object storage."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import requests

from tests.servers import free_port, wait_for

# moto accepts any credentials; boto3 only needs some to sign with.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "hoso-test", "AWS_SECRET_ACCESS_KEY": "hoso-test-secret",
               "AWS_DEFAULT_REGION": "us-east-1"}


def _up(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code < 500
    except requests.RequestException:
        return False


class S3Server:
    def __init__(self, log: Path) -> None:
        for key, value in CREDENTIALS.items():
            os.environ.setdefault(key, value)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        moto = Path(sys.executable).with_name("moto_server")
        with open(log, "wb") as out:  # the server keeps its own copy of the descriptor
            self.proc = subprocess.Popen([str(moto), "-H", "127.0.0.1", "-p", str(self.port)],
                                         stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(lambda: _up(self.url), 30, "moto_server to answer", interval=0.1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(10)
