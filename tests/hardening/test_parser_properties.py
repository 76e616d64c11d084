"""Every header and argument parser, fed what a hostile or broken client may send: odd
digits (`²`, Arabic-Indic), numbers past any column, control characters, far-off dates.
A parser either gives a value the rest of the code can use or raises a domain error (a 4xx
problem); over HTTP nothing is ever a 5xx."""

from __future__ import annotations

import base64
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.errors import DomainError
from app.services import forms, tus, uploads
from app.services.i18n import pick_language
from app.services.ids import as_uuid
from sync import drafts, pull
from sync.merge import parse_stamp
from sync.mutations import client_uuid
from sync.push import clamp
from tests.uploads.helpers import TUS, create, doc_meta


@pytest.fixture()
def upload_root(app, db):
    """The upload area, emptied after the test (as in tests/uploads)."""
    root = Path(app.config["UPLOAD_DIR"])
    shutil.rmtree(root, ignore_errors=True)
    yield root
    shutil.rmtree(root, ignore_errors=True)

NASTY = ["²", "١٢٣", "٣", "1" * 5000, str(2**63), str(2**64), "-1", "+1", " 1", "1 ", "0x10",
         "1_000", "１２", "\x00", "\r\n", "0001-01-01T00:00:00+14:00",
         "9999-12-31T23:59:59-14:00", "NaN", "inf", ""]
text = st.one_of(st.sampled_from(NASTY), st.text(max_size=40),
                 st.integers(min_value=-(2**80), max_value=2**80).map(str))
anything = st.one_of(text, st.integers(min_value=-(2**80), max_value=2**80), st.none(),
                     st.booleans(), st.floats(allow_nan=True), st.lists(st.integers(), max_size=2),
                     st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
FAST = settings(max_examples=300, deadline=None)


def _either(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except DomainError:
        return None


@FAST
@given(text)
def test_tus_integer_headers(value):
    got = _either(tus.parse_int, value, "Upload-Length")
    assert got is None or (isinstance(got, int) and 0 <= got < 2**63)


@FAST
@given(st.one_of(text, st.lists(st.tuples(text, text), max_size=4).map(
    lambda pairs: ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in pairs))))
def test_tus_metadata_and_checksum_headers(value):
    got = _either(tus.parse_metadata, value)
    assert got is None or all(isinstance(k, str) and isinstance(v, str) for k, v in got.items())
    _either(tus.parse_checksum, value)
    _either(tus.check_version, value)


@FAST
@given(anything)
def test_capture_times_parse_and_clamp(value):
    floor = datetime(2026, 1, 1, tzinfo=UTC)
    ceiling = datetime(2026, 6, 1, tzinfo=UTC)
    got = parse_stamp(value)
    clamped = clamp(got, floor, ceiling)
    assert floor <= clamped <= ceiling


@FAST
@given(anything)
def test_ids_dates_and_numbers_of_sync_arguments(value):
    for fn in (client_uuid, as_uuid,
               lambda v: drafts._int_arg({"n": v}, "n", required=True)):
        got = _either(fn, value)
        if isinstance(got, int):
            assert 0 <= got < 2**31
    forms.parse_date(value)
    if isinstance(value, str):
        assert pick_language(value) in ("vi", "en")
        seq = pull.decode_cursor(value, 1)
        assert seq is None or isinstance(seq, int)


@FAST
@given(text)
def test_upload_metadata_file_names_and_versions(value):
    assert all(c not in uploads.clean_filename(value) for c in "\r\n\x00\x7f")
    got = _either(uploads._form_version, value)
    assert got is None or 0 <= got < 2**31


HTTP = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@HTTP
@given(length=text, metadata=text, checksum=text, language=text)
def test_upload_headers_over_http_are_never_a_server_error(client, citizen, upload_root, length,
                                                           metadata, checksum, language):
    # What HTTP can carry in a header: no line breaks (the test client refuses them).
    clean = {k: v for k, v in {"Upload-Length": length, "Upload-Metadata": metadata,
                                "Upload-Checksum": checksum, "Accept-Language": language}.items()
             if "\n" not in v and "\r" not in v}
    headers = {**citizen.headers, **TUS}
    resp = client.post("/api/v1/uploads", headers={**headers, **clean})
    assert resp.status_code < 500, (clean, resp.status_code, resp.data[:200])
    created = create(client, citizen, 50, doc_meta(form_version=length if length.isascii() else "1"))
    assert created.status_code < 500, (length, created.status_code)
    if created.status_code == 201 and "\n" not in length and "\r" not in length:
        resp = client.patch(created.headers["Location"], data=b"\xff\xd8", headers={
            **headers, "Content-Type": tus.OCTET_STREAM, "Upload-Offset": length})
        assert resp.status_code < 500, (length, resp.status_code, resp.data[:200])


@HTTP
@given(cursor=text, limit=text, form_version=anything, captured=anything)
def test_sync_arguments_over_http_are_never_a_server_error(client, citizen, cursor, limit,
                                                           form_version, captured):
    cid = str(uuid.uuid4())
    seq_cursor = base64.urlsafe_b64encode(f"1.{citizen.id}.{cursor}".encode()).decode()
    for c in (cursor, seq_cursor):
        resp = client.get("/api/v1/sync/pull", headers=citizen.headers,
                          query_string={"client_id": cid, "cursor": c, "limit": limit})
        assert resp.status_code < 500, (c, limit, resp.status_code, resp.data[:200])
    resp = client.post("/api/v1/sync/push", headers=citizen.headers, json={
        "client_id": cid, "mutations": [{"id": 1, "name": "dossier.save", "captured_at": captured,
                                         "args": {"dossier_id": str(uuid.uuid4()),
                                                  "procedure_code": "birth-registration",
                                                  "form_version": form_version,
                                                  "base_version": form_version,
                                                  "fields": {"child_full_name": "An"}}}]})
    assert resp.status_code == 200, (form_version, captured, resp.status_code, resp.data[:200])


@pytest.mark.parametrize("seq", [str(2**63), str(2**70), "١٢"])
def test_pull_cursor_with_a_huge_or_foreign_number_is_a_4xx(client, citizen, seq):
    cursor = base64.urlsafe_b64encode(f"1.{citizen.id}.{seq}".encode()).decode()
    resp = client.get("/api/v1/sync/pull", headers=citizen.headers,
                      query_string={"client_id": str(uuid.uuid4()), "cursor": cursor})
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.data[:200])
