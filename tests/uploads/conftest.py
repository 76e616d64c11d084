"""Upload fixtures: the upload area of the test app, emptied after each test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture()
def upload_root(app: Any, db: Any) -> Iterator[Path]:
    root = Path(app.config["UPLOAD_DIR"])
    shutil.rmtree(root, ignore_errors=True)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from tests.s3server import S3Server

    server = S3Server(tmp_path_factory.mktemp("s3") / "moto.log")
    yield server
    server.stop()


@pytest.fixture()
def s3_bucket(app: Any, s3_server: Any, upload_root: Path) -> Iterator[str]:
    """The test app stores upload bytes in a fresh bucket of the S3 test server."""
    import uuid

    from app.services.upload_s3 import S3Store

    bucket = f"hoso-{uuid.uuid4().hex[:12]}"
    store = S3Store(bucket=bucket, endpoint=s3_server.url)
    store.ensure_bucket()
    app.config.update(UPLOAD_S3_BUCKET=bucket, UPLOAD_S3_ENDPOINT_URL=s3_server.url)
    yield bucket
    app.config.pop("UPLOAD_S3_BUCKET")
    app.config.pop("UPLOAD_S3_ENDPOINT_URL")
