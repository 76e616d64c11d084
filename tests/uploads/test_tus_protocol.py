"""The tus 1.0.0 protocol as a client sees it, through the Flask test client."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from app.models.uploads import Upload
from app.services import clock
from tests.uploads.helpers import (
    OCTET,
    TUS,
    b64digest,
    create,
    doc_meta,
    jpeg,
    patch,
    pdf,
    problem,
    sha256,
    stored_files,
    upload,
)


def _count(db: Any) -> int:
    n = db.session.scalar(select(func.count()).select_from(Upload))
    db.session.rollback()
    return int(n)


def test_options_advertises_the_server(client: Any) -> None:
    resp = client.options("/api/v1/uploads")
    assert resp.status_code == 204
    assert resp.headers["Tus-Version"] == "1.0.0"
    assert set(resp.headers["Tus-Extension"].split(",")) == {
        "creation", "creation-with-upload", "checksum", "termination", "expiration"}
    assert int(resp.headers["Tus-Max-Size"]) >= 10 * 1024 * 1024
    assert "sha256" in resp.headers["Tus-Checksum-Algorithm"].split(",")


def test_upload_in_chunks_resumes_from_head_and_completes(client: Any, citizen: Any,
                                                          upload_root: Any) -> None:
    data = jpeg(300_000)
    resp = create(client, citizen, len(data))
    assert resp.status_code == 201
    location = resp.headers["Location"]
    assert resp.headers["Upload-Offset"] == "0" and resp.headers["Tus-Resumable"] == "1.0.0"
    assert "GMT" in resp.headers["Upload-Expires"]

    assert patch(client, citizen, location, 0, data[:100_000]).headers["Upload-Offset"] == "100000"
    head = client.head(location, headers={**citizen.headers, **TUS})
    assert head.status_code == 200 and head.headers["Cache-Control"] == "no-store"
    assert head.headers["Upload-Offset"] == "100000"
    assert head.headers["Upload-Length"] == str(len(data))
    assert "GMT" in head.headers["Upload-Expires"]

    last = patch(client, citizen, location, 100_000, data[100_000:])
    assert last.status_code == 204 and last.headers["Upload-Offset"] == str(len(data))
    assert "Upload-Expires" not in last.headers  # a finished upload does not expire

    info = client.get(location, headers=citizen.headers).get_json()
    assert info["status"] == "complete" and info["sha256"] == sha256(data)
    assert info["content_type"] == "image/jpeg"
    content = client.get(location + "/content", headers=citizen.headers)
    assert content.status_code == 200 and content.data == data
    assert content.headers["Content-Type"] == "image/jpeg"
    # Only the finished blob stays, named by its hash.
    assert [p.name for p in stored_files(upload_root)] == [sha256(data)]


def test_wrong_tus_version_is_412(client: Any, citizen: Any, upload_root: Any) -> None:
    resp = client.post("/api/v1/uploads", headers={**citizen.headers, "Tus-Resumable": "0.2.2",
                                                   "Upload-Length": "10",
                                                   "Upload-Metadata": doc_meta()})
    assert resp.status_code == 412
    assert resp.headers["Tus-Version"] == "1.0.0"
    assert problem(resp)["type"] == "/problems/unsupported-tus-version"


def test_requests_need_the_citizens_token(client: Any, citizen: Any, upload_root: Any) -> None:
    resp = client.post("/api/v1/uploads", headers={**TUS, "Upload-Length": "10",
                                                   "Upload-Metadata": doc_meta()})
    assert resp.status_code == 401
    problem(resp)


def test_wrong_offset_is_409_with_the_servers_offset(client: Any, citizen: Any,
                                                     upload_root: Any) -> None:
    data = jpeg(5000)
    location = create(client, citizen, len(data)).headers["Location"]
    patch(client, citizen, location, 0, data[:1000])
    resp = patch(client, citizen, location, 500, data[500:2000])
    assert resp.status_code == 409
    assert resp.headers["Upload-Offset"] == "1000"
    assert problem(resp)["offset"] == 1000


def test_patch_needs_the_offset_content_type(client: Any, citizen: Any, upload_root: Any) -> None:
    location = create(client, citizen, 100).headers["Location"]
    resp = client.patch(location, data=jpeg(100), headers={
        **citizen.headers, **TUS, "Upload-Offset": "0", "Content-Type": "image/jpeg"})
    assert resp.status_code == 415
    problem(resp)


def test_chunk_checksum_mismatch_is_460_and_stores_nothing_of_it(
        client: Any, citizen: Any, upload_root: Any) -> None:
    data = jpeg(4000)
    location = create(client, citizen, len(data)).headers["Location"]
    assert patch(client, citizen, location, 0, data[:1000],
                 **{"Upload-Checksum": b64digest(data[:1000])}).status_code == 204
    bad = patch(client, citizen, location, 1000, data[1000:3000],
                **{"Upload-Checksum": b64digest(b"something else")})
    assert bad.status_code == 460
    assert problem(bad)["type"] == "/problems/checksum-mismatch"
    head = client.head(location, headers={**citizen.headers, **TUS})
    assert head.headers["Upload-Offset"] == "1000"
    partial = [p for p in stored_files(upload_root) if "partial" in p.parts]
    assert [p.stat().st_size for p in partial] == [1000]
    # sha1 (what tuspy sends) is accepted too; an unknown algorithm is a 400.
    assert patch(client, citizen, location, 1000, data[1000:],
                 **{"Upload-Checksum": b64digest(data[1000:], "sha1")}).status_code == 204
    other = create(client, citizen, 10, doc_meta(filename="b.jpg")).headers["Location"]
    unknown = patch(client, citizen, other, 0, data[:10], **{"Upload-Checksum": "crc32 AAAA"})
    assert unknown.status_code == 400 and "crc32" in problem(unknown)["detail"]


def test_creation_with_upload_and_wrong_checksum_leaves_nothing(
        client: Any, citizen: Any, db: Any, upload_root: Any) -> None:
    data = jpeg(2000)
    resp = client.post("/api/v1/uploads", data=data, headers={
        **citizen.headers, **TUS, **OCTET, "Upload-Length": str(len(data)),
        "Upload-Metadata": doc_meta(), "Upload-Checksum": b64digest(data[:10])})
    assert resp.status_code == 460
    problem(resp)
    assert _count(db) == 0 and stored_files(upload_root) == []


def test_creation_with_upload_stores_the_first_bytes(client: Any, citizen: Any,
                                                     upload_root: Any) -> None:
    data = jpeg(2000)
    resp = client.post("/api/v1/uploads", data=data, headers={
        **citizen.headers, **TUS, **OCTET, "Upload-Length": str(len(data)),
        "Upload-Metadata": doc_meta(), "Upload-Checksum": b64digest(data)})
    assert resp.status_code == 201 and resp.headers["Upload-Offset"] == "2000"
    info = client.get(resp.headers["Location"], headers=citizen.headers).get_json()
    assert info["status"] == "complete"


def test_declared_sha256_that_does_not_match_leaves_nothing(
        client: Any, citizen: Any, db: Any, upload_root: Any) -> None:
    data = jpeg(3000)
    location = create(client, citizen, len(data),
                      doc_meta(sha256=sha256(b"another file"))).headers["Location"]
    assert patch(client, citizen, location, 0, data[:1500]).status_code == 204
    resp = patch(client, citizen, location, 1500, data[1500:])
    assert resp.status_code == 460
    assert problem(resp)["sha256"] == sha256(data)
    assert _count(db) == 0 and stored_files(upload_root) == []


def test_oversized_file_is_refused_at_creation(client: Any, citizen: Any, db: Any,
                                               upload_root: Any) -> None:
    resp = create(client, citizen, 10 * 1024 * 1024 + 1)  # birth_notice allows 10 MiB
    assert resp.status_code == 413
    body = problem(resp)
    assert body["max_bytes"] == 10 * 1024 * 1024
    assert _count(db) == 0 and stored_files(upload_root) == []


def test_body_past_upload_length_is_refused(client: Any, citizen: Any, upload_root: Any) -> None:
    location = create(client, citizen, 1000).headers["Location"]
    resp = patch(client, citizen, location, 0, jpeg(1500))
    assert resp.status_code == 413
    problem(resp)
    head = client.head(location, headers={**citizen.headers, **TUS})
    assert head.headers["Upload-Offset"] == "0"


def test_a_chunk_may_exceed_the_json_body_limit_but_not_the_chunk_limit(
        app: Any, client: Any, citizen: Any, upload_root: Any, monkeypatch: Any) -> None:
    data = jpeg(3 * 1024 * 1024)  # over the app-wide 2 MiB, under the 4 MiB chunk limit
    location = create(client, citizen, len(data)).headers["Location"]
    assert patch(client, citizen, location, 0, data).status_code == 204
    monkeypatch.setitem(app.config, "UPLOAD_CHUNK_MAX_BYTES", 1024 * 1024)
    other = create(client, citizen, len(data), doc_meta(filename="b.jpg")).headers["Location"]
    resp = patch(client, citizen, other, 0, jpeg(len(data), seed=2))
    assert resp.status_code == 413
    assert problem(resp)["chunk_max_bytes"] == 1024 * 1024


def test_pdf_renamed_jpg_is_refused_when_its_first_bytes_arrive(
        client: Any, citizen: Any, db: Any, upload_root: Any) -> None:
    data = pdf(50_000)
    location = create(client, citizen, len(data),
                      doc_meta(filename="scan.jpg", filetype="image/jpeg")).headers["Location"]
    resp = patch(client, citizen, location, 0, data[:4096])
    assert resp.status_code == 415
    body = problem(resp)
    assert body["detected"] == "application/pdf" and body["declared"] == ["image/jpeg"]
    assert _count(db) == 0 and stored_files(upload_root) == []
    assert client.head(location, headers={**citizen.headers, **TUS}).status_code == 404


def test_content_of_no_accepted_type_is_refused(client: Any, citizen: Any, db: Any,
                                                upload_root: Any) -> None:
    data = b"PK\x03\x04" + b"\x00" * 4000  # a zip (e.g. a .docx) sent as a PDF
    location = create(client, citizen, len(data),
                      doc_meta(filename="giay.pdf", filetype="application/pdf")).headers["Location"]
    resp = patch(client, citizen, location, 0, data)
    assert resp.status_code == 415
    assert problem(resp)["detected"] is None
    assert _count(db) == 0 and stored_files(upload_root) == []


def test_declared_type_the_document_does_not_accept_is_refused_up_front(
        client: Any, citizen: Any, db: Any, upload_root: Any) -> None:
    resp = create(client, citizen, 1000, doc_meta(filename="a.webp", filetype="image/webp"))
    assert resp.status_code == 415
    assert problem(resp)["accept"] == ["image/jpeg", "image/png", "application/pdf"]
    assert _count(db) == 0


def test_metadata_must_name_a_document_of_the_procedure(client: Any, citizen: Any,
                                                        upload_root: Any) -> None:
    resp = create(client, citizen, 1000, doc_meta(document="no_such_document"))
    assert resp.status_code == 422
    assert "document_code" in problem(resp)["errors"]
    assert create(client, citizen, 1000, "procedure_code !!!").status_code == 400


def test_another_users_upload_looks_missing(client: Any, make_citizen: Any, db: Any,
                                            upload_root: Any) -> None:
    owner, other = make_citizen(), make_citizen("Lê Văn Cường")
    data = jpeg(3000)
    location = create(client, owner, len(data)).headers["Location"]
    patch(client, owner, location, 0, data[:1000])
    tus = {**other.headers, **TUS}
    assert client.head(location, headers=tus).status_code == 404
    assert problem(patch(client, other, location, 1000, data[1000:]))["status"] == 404
    assert client.get(location, headers=other.headers).status_code == 404
    assert client.get(location + "/content", headers=other.headers).status_code == 404
    assert client.delete(location, headers=tus).status_code == 404
    # Nothing the intruder did changed the owner's upload.
    head = client.head(location, headers={**owner.headers, **TUS})
    assert head.headers["Upload-Offset"] == "1000"


def test_termination_removes_the_upload_and_its_bytes(client: Any, citizen: Any, db: Any,
                                                      upload_root: Any) -> None:
    data = jpeg(3000)
    location = create(client, citizen, len(data)).headers["Location"]
    patch(client, citizen, location, 0, data[:1000])
    assert client.delete(location, headers={**citizen.headers, **TUS}).status_code == 204
    assert client.head(location, headers={**citizen.headers, **TUS}).status_code == 404
    assert _count(db) == 0 and stored_files(upload_root) == []


def test_expired_upload_is_410_and_the_sweeper_removes_its_bytes(
        app: Any, client: Any, citizen: Any, db: Any, upload_root: Any) -> None:
    data = jpeg(3000)
    stale = create(client, citizen, len(data)).headers["Location"]
    patch(client, citizen, stale, 0, data[:1000])
    fresh = create(client, citizen, len(data), doc_meta(filename="b.jpg")).headers["Location"]
    patch(client, citizen, fresh, 0, data[:1000])
    row = db.session.get(Upload, uuid.UUID(stale.rsplit("/", 1)[-1]))
    row.expires_at = clock.now() - timedelta(minutes=1)
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["uploads", "expire"])
    assert result.exit_code == 0, result.output
    assert "Expired 1 unfinished" in result.output
    head = client.head(stale, headers={**citizen.headers, **TUS})
    assert head.status_code == 410 and "Upload-Offset" not in head.headers
    assert problem(patch(client, citizen, stale, 1000, data[1000:]))["status"] == 410
    partial = [p.name for p in stored_files(upload_root)]
    assert partial == [fresh.rsplit("/", 1)[-1].replace("-", "")]


def test_same_file_twice_is_stored_once_and_a_known_sha256_finishes_at_once(
        client: Any, citizen: Any, upload_root: Any) -> None:
    data = jpeg(200_000, seed=7)
    first = upload(client, citizen, data)
    second = upload(client, citizen, data, doc_meta(filename="again.jpg"))
    assert first != second
    assert [p.name for p in stored_files(upload_root)] == [sha256(data)]
    # Declaring the sha256 of a file already stored: complete at creation, no bytes sent.
    resp = create(client, citizen, len(data), doc_meta(sha256=sha256(data)))
    assert resp.status_code == 201 and resp.headers["Upload-Offset"] == str(len(data))
    info = client.get(resp.headers["Location"], headers=citizen.headers).get_json()
    assert info["status"] == "complete" and info["sha256"] == sha256(data)


def test_a_known_sha256_of_another_citizen_does_not_shortcut(
        client: Any, make_citizen: Any, upload_root: Any) -> None:
    owner, other = make_citizen(), make_citizen("Phạm Thị Dung")
    data = jpeg(20_000, seed=3)
    upload(client, owner, data)
    resp = create(client, other, len(data), doc_meta(sha256=sha256(data)))
    assert resp.status_code == 201 and resp.headers["Upload-Offset"] == "0"


def test_x_http_method_override(client: Any, citizen: Any, upload_root: Any) -> None:
    data = jpeg(1000)
    location = create(client, citizen, len(data)).headers["Location"]
    resp = client.post(location, data=data, headers={
        **citizen.headers, **TUS, **OCTET, "Upload-Offset": "0",
        "X-HTTP-Method-Override": "PATCH"})
    assert resp.status_code == 204 and resp.headers["Upload-Offset"] == "1000"
