"""A real tus client (tuspy) against a real gunicorn, and a connection cut mid-PATCH."""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlparse

import pytest
import requests
from tusclient.client import TusClient

from tests.servers import Gunicorn, wait_for
from tests.uploads.helpers import TUS, doc_meta, jpeg, sha256


@pytest.fixture(scope="module")
def server(app: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """gunicorn (2 workers × 4 threads) on a free port over the test database and upload area."""
    with Gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path_factory.mktemp("tus-live"),
                  env={"UPLOAD_DIR": app.config["UPLOAD_DIR"]}) as gunicorn:
        yield gunicorn.url


@pytest.fixture()
def citizen(citizen: Any, db: Any) -> Any:
    """The conftest citizen, with the test's transaction closed (SQLite: the server writes)."""
    db.session.commit()
    return citizen


def _info(server: str, actor: Any, location: str) -> dict[str, Any]:
    resp = requests.get(location, headers=actor.headers, timeout=10)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_tuspy_uploads_a_file(server: str, citizen: Any, upload_root: Path) -> None:
    data = jpeg(700_000, seed=21)
    client = TusClient(server + "/api/v1/uploads", headers=citizen.headers)
    uploader = client.uploader(
        file_stream=io.BytesIO(data), chunk_size=256 * 1024, upload_checksum=True,
        metadata={"procedure_code": "birth-registration", "document_code": "birth_notice",
                  "filename": "giấy chứng sinh.jpg", "filetype": "image/jpeg"})
    uploader.upload()
    info = _info(server, citizen, uploader.url)
    assert info["status"] == "complete" and info["sha256"] == sha256(data)
    assert info["filename"] == "giấy chứng sinh.jpg" and info["content_type"] == "image/jpeg"
    blob = upload_root / "blobs" / sha256(data)[:2] / sha256(data)
    assert sha256(blob.read_bytes()) == sha256(data)


def test_connection_cut_mid_patch_resumes_from_the_servers_offset(
        server: str, citizen: Any, upload_root: Path) -> None:
    data = jpeg(900_000, seed=22)
    created = requests.post(server + "/api/v1/uploads", timeout=10, headers={
        **citizen.headers, **TUS, "Upload-Length": str(len(data)),
        "Upload-Metadata": doc_meta(filename="cut.jpg")})
    assert created.status_code == 201, created.text
    location = urljoin(server, created.headers["Location"])  # a path unless PUBLIC_URL is set

    # A phone losing its network: half of a PATCH body, then the socket is gone.
    half = 333_333
    port = urlparse(server).port
    request_head = (
        f"PATCH {urlparse(location).path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: {citizen.headers['Authorization']}\r\nTus-Resumable: 1.0.0\r\n"
        f"Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\n"
        f"Content-Length: {len(data)}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(request_head + data[:half])

    def offset() -> int:
        head = requests.head(location, headers={**citizen.headers, **TUS}, timeout=10)
        assert head.status_code == 200
        return int(head.headers["Upload-Offset"])

    # What arrived before the socket closed is kept, durably, and HEAD says so.
    wait_for(lambda: offset() == half, 20, what="the server to keep the bytes that arrived")
    partial = upload_root / "partial" / urlparse(location).path.rsplit("/", 1)[-1].replace("-", "")
    assert partial.read_bytes() == data[:half]

    # A standard client resumes from the server's offset and finishes.
    client = TusClient(server + "/api/v1/uploads", headers=citizen.headers)
    uploader = client.uploader(file_stream=io.BytesIO(data), url=location, chunk_size=200_000)
    assert uploader.offset == half
    uploader.upload()
    info = _info(server, citizen, location)
    assert info["status"] == "complete" and info["sha256"] == sha256(data)
    blob = upload_root / "blobs" / sha256(data)[:2] / sha256(data)
    assert sha256(blob.read_bytes()) == sha256(data)
    assert not list((upload_root / "partial").iterdir())
