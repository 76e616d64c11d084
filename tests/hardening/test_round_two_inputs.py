"""Inputs that used to answer 500: a capture time that overflows when moved to UTC, non-ASCII
digits and huge numbers in tus headers, upload metadata and sync arguments, control characters
in file names. Each is a clear 4xx problem or is cleaned; nothing is a 5xx."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest

from tests.sync.helpers import Phone, save_args
from tests.uploads.helpers import TUS, create, doc_meta, jpeg, patch, problem, upload


@pytest.fixture()
def upload_root(app, db):
    """The upload area, emptied after the test (as in tests/uploads)."""
    root = Path(app.config["UPLOAD_DIR"])
    shutil.rmtree(root, ignore_errors=True)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def test_capture_time_of_year_one_east_of_utc_does_not_stick_the_queue(client, citizen):
    """`0001-01-01T00:00:00+14:00` is before the first moment UTC can hold: it used to 500
    the whole batch, and every retry again. The phone clock lies; the time is clamped."""
    phone = Phone(client, citizen)
    dossier = uuid.uuid4()
    first = phone.mutation("dossier.save", save_args(dossier, {"child_full_name": "Lê Minh"}),
                           captured_at="0001-01-01T00:00:00+14:00")
    last = phone.mutation("dossier.save", save_args(dossier, {"child_full_name": "Lê Minh An"},
                                                    base_version=1),
                          captured_at="9999-12-31T23:59:59-14:00")
    body = phone.push(first, last)
    assert [r["status"] for r in body["results"]] == ["applied", "applied"]
    assert body["results"][1]["entity"]["fields"]["child_full_name"] == "Lê Minh An"


@pytest.mark.parametrize("value", [str(2**70), str(99999999999999999999), "²"])
def test_sync_form_version_past_any_column_is_rejected_not_a_fault(client, citizen, value):
    phone = Phone(client, citizen)
    args = save_args(uuid.uuid4(), {"child_full_name": "Lê Minh"})
    args["form_version"] = int(value) if value.isascii() else value
    result = phone.one("dossier.save", args)
    assert result["status"] == "rejected"
    assert result["error"]["status"] == 422, result["error"]


@pytest.mark.parametrize("value", ["²", "١٢", "1" * 5000, str(2**64)])
def test_upload_length_that_is_not_a_plain_number_is_a_4xx(client, citizen, upload_root, value):
    resp = client.post("/api/v1/uploads", headers={**citizen.headers, **TUS,
                                                    "Upload-Length": value,
                                                    "Upload-Metadata": doc_meta()})
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.data[:200])
    problem(resp)


@pytest.mark.parametrize("value", ["²", "١٢", "1" * 5000, str(2**64)])
def test_upload_offset_that_is_not_a_plain_number_is_a_4xx(client, citizen, upload_root, value):
    resp = create(client, citizen, 100)
    assert resp.status_code == 201
    resp = client.patch(resp.headers["Location"], data=b"x", headers={
        **citizen.headers, **TUS, "Content-Type": "application/offset+octet-stream",
        "Upload-Offset": value})
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.data[:200])
    problem(resp)


@pytest.mark.parametrize("value", ["99999999999999999999", "²", str(2**31)])
def test_upload_metadata_form_version_past_any_column_is_a_4xx(client, citizen, upload_root, value):
    resp = create(client, citizen, 100, doc_meta(form_version=value))
    assert resp.status_code == 422, (resp.status_code, resp.data[:200])
    assert "form_version" in problem(resp)["errors"]


@pytest.mark.parametrize("name", ["giay\r\nSet-Cookie: x=1.jpg", "giay\x00.jpg", "giay\n.jpg",
                                  "giay\u2028chung\x7fsinh.jpg"])
def test_control_characters_in_a_file_name_never_make_the_file_unreadable(
        client, citizen, upload_root, name):
    upload_id = upload(client, citizen, jpeg(2000), doc_meta(filename=name))
    resp = client.get(f"/api/v1/uploads/{upload_id}/content", headers=citizen.headers)
    assert resp.status_code == 200, (resp.status_code, resp.data[:200])
    disposition = resp.headers["Content-Disposition"]
    assert not any(c in disposition for c in "\r\n\x00\x7f\u2028")
    assert "giay" in disposition
    listed = client.get("/api/v1/uploads", headers=citizen.headers).get_json()["items"]
    assert all(c not in listed[0]["filename"] for c in "\r\n\x00\x7f\u2028")


def test_patch_after_control_character_checks_still_appends(client, citizen, upload_root):
    """The stricter offset parser still takes a plain offset."""
    resp = create(client, citizen, 10)
    assert patch(client, citizen, resp.headers["Location"], 0, b"\xff\xd8\xff\xe0" + b"0" * 6
                 ).status_code == 204
