"""Small builders for upload tests: tus headers, metadata, files of a real type."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

TUS = {"Tus-Resumable": "1.0.0"}
OCTET = {"Content-Type": "application/offset+octet-stream"}


def meta(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def doc_meta(filename: str = "giay-chung-sinh.jpg", filetype: str = "image/jpeg",
             procedure: str = "birth-registration", document: str = "birth_notice",
             **extra: str) -> str:
    return meta(procedure_code=procedure, document_code=document, filename=filename,
                filetype=filetype, **extra)


def jpeg(size: int, seed: int = 0) -> bytes:
    """Bytes that start like a JPEG (what the server checks) and differ per seed."""
    body = hashlib.sha256(str(seed).encode()).digest() * (size // 32 + 1)
    return (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + body)[:size]


def pdf(size: int) -> bytes:
    return (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"0" * size)[:size]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def b64digest(data: bytes, algo: str = "sha256") -> str:
    return f"{algo} " + base64.b64encode(hashlib.new(algo, data).digest()).decode()


def create(client: Any, actor: Any, length: int, metadata: str | None = None,
           **headers: str) -> Any:
    return client.post("/api/v1/uploads", headers={
        **actor.headers, **TUS, "Upload-Length": str(length),
        "Upload-Metadata": metadata if metadata is not None else doc_meta(), **headers})


def patch(client: Any, actor: Any, location: str, offset: int, body: bytes, **headers: str) -> Any:
    return client.patch(location, data=body, headers={
        **actor.headers, **TUS, **OCTET, "Upload-Offset": str(offset), **headers})


def upload(client: Any, actor: Any, data: bytes, metadata: str | None = None,
           chunk: int = 64 * 1024) -> str:
    """A complete upload through the protocol; returns its id."""
    resp = create(client, actor, len(data), metadata)
    assert resp.status_code == 201, resp.get_json()
    location = resp.headers["Location"]
    offset = int(resp.headers["Upload-Offset"])
    while offset < len(data):
        r = patch(client, actor, location, offset, data[offset:offset + chunk])
        assert r.status_code == 204, r.get_json()
        offset = int(r.headers["Upload-Offset"])
    return location.rsplit("/", 1)[-1]


def stored_files(root: Path) -> list[Path]:
    """Every file under the upload area (partial bytes and finished blobs)."""
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def problem(resp: Any) -> dict[str, Any]:
    assert resp.headers["Content-Type"].startswith("application/problem+json"), resp.headers
    return resp.get_json(force=True)


def sweep_in_new_process(config: dict[str, Any], ready: Any, go: Any, out: Any) -> None:
    """One more app process running the upload sweep once `go` is set (multiprocessing
    target: it must live in a module the child imports by name)."""
    from app import create_app
    from app.extensions import db
    from app.jobs import upload_sweep

    app = create_app(config)
    try:
        with app.app_context():
            db.session.execute(db.select(1))  # connected before the race starts
            db.session.rollback()
            ready.set()
            go.wait(30)
            out.put(("ok", upload_sweep.run(app)))
            db.engine.dispose()
    except Exception as exc:  # reported to the test, which fails with it
        out.put(("error", repr(exc)))
