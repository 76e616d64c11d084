"""Upload bytes in S3-compatible object storage (moto's server here): an upload begun on one
app node continues on another, nothing of it lives on a node's own disk, a node that died
between storing a range and committing it leaves nothing wrong behind, and what expires or
is deleted leaves the bucket."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from app import create_app
from app.extensions import db as _db
from app.jobs import push_worker, upload_sweep
from app.models.uploads import Upload
from app.services import clock
from tests.uploads.helpers import TUS, create, doc_meta, jpeg, patch, problem, sha256, upload


def _keys(s3_server: Any, bucket: str) -> list[str]:
    client = boto3.client("s3", endpoint_url=s3_server.url, region_name="us-east-1")
    return sorted(obj["Key"] for obj in client.list_objects_v2(Bucket=bucket).get("Contents", []))


def _node(app: Any, disk: Path) -> Any:
    """An app node over the test database and bucket, with a disk of its own."""
    keys = ("TESTING", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "JWT_SECRET_KEY", "UPLOAD_S3_BUCKET",
            "UPLOAD_S3_ENDPOINT_URL", "RATELIMIT_UPLOADS_USER")
    return create_app({key: app.config[key] for key in keys} | {"UPLOAD_DIR": str(disk), "REDIS_URL": None})


@pytest.fixture()
def nodes(app: Any, s3_bucket: str, tmp_path: Path) -> Iterator[list[Any]]:
    """Two app nodes (each request in its own app context, as in a real process)."""
    apps = [_node(app, tmp_path / "node-a"), _node(app, tmp_path / "node-b")]
    yield apps
    for node in apps:
        push_worker.in_process_worker(node).stop()
        with node.app_context():
            _db.engine.dispose()


def test_an_upload_alternates_between_nodes_and_is_stored_once_in_the_bucket(
        citizen: Any, nodes: list[Any], s3_bucket: str, s3_server: Any, tmp_path: Path) -> None:
    data = jpeg(300_000, seed=7)
    clients = [node.test_client() for node in nodes]
    location = create(clients[0], citizen, len(data)).headers["Location"]
    offset, turn = 0, 0
    while offset < len(data):
        if turn == 2:
            shutil.rmtree(tmp_path / "node-a", ignore_errors=True)  # node A's disk holds nothing needed
        resp = patch(clients[turn % 2], citizen, location, offset, data[offset:offset + 40_000])
        assert resp.status_code == 204, resp.get_json()
        offset = int(resp.headers["Upload-Offset"])
        turn += 1
    assert turn == 8

    upload_id = location.rsplit("/", 1)[-1]
    for node in clients:
        got = node.get(f"/api/v1/uploads/{upload_id}", headers=citizen.headers).get_json()
        assert got["status"] == "complete" and got["sha256"] == sha256(data)
        assert got["content_type"] == "image/jpeg"
    # Node A never saw the last bytes; it serves the file from the bucket.
    shutil.rmtree(tmp_path / "node-a", ignore_errors=True)
    assert clients[0].get(f"/api/v1/uploads/{upload_id}/content", headers=citizen.headers).data == data
    assert _keys(s3_server, s3_bucket) == [f"blobs/{sha256(data)}"]


def test_a_range_stored_by_a_node_that_died_before_committing_is_replaced(
        citizen: Any, nodes: list[Any], s3_bucket: str, s3_server: Any) -> None:
    data = jpeg(120_000, seed=3)
    node_a, node_b = (node.test_client() for node in nodes)
    location = create(node_a, citizen, len(data)).headers["Location"]
    assert patch(node_a, citizen, location, 0, data[:50_000]).status_code == 204
    # Node A stored the next range but died before its commit: the offset still says 50,000,
    # and what it stored (here: other bytes, and more of them) was never acknowledged.
    upload_id = uuid.UUID(location.rsplit("/", 1)[-1])
    s3 = boto3.client("s3", endpoint_url=s3_server.url, region_name="us-east-1")
    s3.put_object(Bucket=s3_bucket, Key=f"partial/{upload_id.hex}/{50_000:012d}", Body=b"\0" * 70_000)

    head = node_b.head(location, headers={**citizen.headers, **TUS})
    assert head.headers["Upload-Offset"] == "50000"
    assert patch(node_b, citizen, location, 50_000, data[50_000:90_000]).status_code == 204
    assert patch(node_a, citizen, location, 90_000, data[90_000:]).status_code == 204
    assert node_b.get(f"/api/v1/uploads/{upload_id}/content", headers=citizen.headers).data == data
    assert _keys(s3_server, s3_bucket) == [f"blobs/{sha256(data)}"]


def test_known_files_deletion_and_expiry_are_reflected_in_the_bucket(
        app: Any, client: Any, citizen: Any, db: Any, s3_bucket: str, s3_server: Any) -> None:
    data = jpeg(20_000, seed=1)
    first = upload(client, citizen, data)
    # The same file again, declared by its hash: complete at once, nothing sent.
    again = create(client, citizen, len(data), doc_meta(filename="again.jpg", sha256=sha256(data)))
    assert again.status_code == 201 and again.headers["Upload-Offset"] == str(len(data))
    # An abandoned upload with bytes in the bucket.
    stale = create(client, citizen, 5000, doc_meta(filename="stale.jpg")).headers["Location"]
    assert patch(client, citizen, stale, 0, jpeg(2000, seed=2)).status_code == 204
    stale_id = uuid.UUID(stale.rsplit("/", 1)[-1])
    assert f"partial/{stale_id.hex}/{0:012d}" in _keys(s3_server, s3_bucket)

    db.session.get(Upload, stale_id).expires_at = clock.now() - timedelta(minutes=1)
    db.session.commit()
    assert upload_sweep.run(app)["expired"] == 1
    assert _keys(s3_server, s3_bucket) == [f"blobs/{sha256(data)}"]

    headers = {**citizen.headers, **TUS}
    assert client.delete(f"/api/v1/uploads/{first}", headers=headers).status_code == 204
    assert _keys(s3_server, s3_bucket) == [f"blobs/{sha256(data)}"]  # still named by the copy
    assert client.delete(again.headers["Location"], headers=headers).status_code == 204
    assert _keys(s3_server, s3_bucket) == []


def test_storage_down_is_a_503_with_retry_after_and_nothing_is_lost(
        app: Any, client: Any, citizen: Any, s3_bucket: str) -> None:
    data = jpeg(30_000, seed=5)
    location = create(client, citizen, len(data)).headers["Location"]
    assert patch(client, citizen, location, 0, data[:10_000]).status_code == 204
    working = app.config["UPLOAD_S3_ENDPOINT_URL"]
    from tests.servers import free_port

    app.config["UPLOAD_S3_ENDPOINT_URL"] = f"http://127.0.0.1:{free_port()}"  # nobody listens
    try:
        resp = patch(client, citizen, location, 10_000, data[10_000:20_000])
        assert resp.status_code == 503 and int(resp.headers["Retry-After"]) >= 1
        assert problem(resp)["type"] == "/problems/service-unavailable"
    finally:
        app.config["UPLOAD_S3_ENDPOINT_URL"] = working
    head = client.head(location, headers={**citizen.headers, **TUS})
    assert head.headers["Upload-Offset"] == "10000"
    assert patch(client, citizen, location, 10_000, data[10_000:]).status_code == 204
    upload_id = location.rsplit("/", 1)[-1]
    assert client.get(f"/api/v1/uploads/{upload_id}/content", headers=citizen.headers).data == data
