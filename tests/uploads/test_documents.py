"""Linking uploads to a dossier through sync: attach, detach, submit with missing or
unfinished documents, completion flipping items to ready, who may download."""

from __future__ import annotations

import hashlib
import threading
import uuid
from typing import Any

import psycopg

from app.models.uploads import COMPLETE
from app.services import dossiers as svc
from app.services import lifecycle as lc
from tests.databases import libpq_dsn, postgresql_only
from tests.factories import make_dossier
from tests.sync.helpers import Phone, full_values, save_args
from tests.uploads.helpers import TUS, create, doc_meta, jpeg, patch, problem, upload


def _draft(client: Any, db: Any, citizen: Any) -> tuple[Phone, uuid.UUID]:
    phone, did = Phone(client, citizen), uuid.uuid4()
    # A usual birth to unmarried parents, the father not declared: the hospital's birth
    # notice is the one document the form asks for.
    values = {**full_values(db.session), "proof_kind": "hospital", "requester_relationship": "mother",
              "birth_case": "usual", "parents_married": "no", "father_known": False}
    db.session.rollback()
    assert phone.one("dossier.save", save_args(did, values))["status"] == "applied"
    return phone, did


def _attach(phone: Phone, did: Any, code: str = "birth_notice", **ref: str) -> dict[str, Any]:
    return phone.one("dossier.attach", {"dossier_id": str(did), "document_code": code, **ref})


def test_submit_waits_for_the_upload_and_completion_makes_the_item_ready(
        client: Any, db: Any, citizen: Any, make_official: Any, upload_root: Any) -> None:
    phone, did = _draft(client, db, citizen)
    refused = phone.one("dossier.submit", {"dossier_id": str(did)})
    assert refused["status"] == "rejected"
    assert "documents.birth_notice" in refused["error"]["errors"]

    data = jpeg(150_000, seed=5)
    location = create(client, citizen, len(data)).headers["Location"]
    upload_id = location.rsplit("/", 1)[-1]
    patch(client, citizen, location, 0, data[:50_000])
    attached = _attach(phone, did, upload_id=upload_id)
    assert attached["status"] == "applied"
    item = attached["entity"]["documents"]["birth_notice"]
    assert item == {"source": "upload", "status": "uploading", "upload_id": upload_id,
                    "name": "giay-chung-sinh.jpg", "size": len(data)}

    still = phone.one("dossier.submit", {"dossier_id": str(did)})
    assert still["status"] == "rejected"
    assert still["error"]["errors"]["documents.birth_notice"] == [
        "Giấy tờ đang được tải lên, chưa hoàn tất."]

    phone.pull_all()
    version = attached["entity"]["version"]
    patch(client, citizen, location, 50_000, data[50_000:])
    changes = [c for c in phone.pull_all() if c["entity"] == "dossier"]
    assert changes and changes[-1]["data"]["documents"]["birth_notice"]["status"] == "ready"
    assert changes[-1]["version"] == version + 1

    submitted = phone.one("dossier.submit", {"dossier_id": str(did)})
    assert submitted["status"] == "applied", submitted
    assert submitted["entity"]["status"] == "submitted"

    # The handling agency's official can read the document; another agency's cannot.
    official = make_official("reception")
    stranger = make_official("reception", procedure="criminal-record-certificate")
    got = client.get(f"/api/v1/uploads/{upload_id}/content", headers=official.headers)
    assert got.status_code == 200 and got.data == data
    assert client.get(f"/api/v1/uploads/{upload_id}/content",
                      headers=stranger.headers).status_code == 404
    # A submitted dossier's file cannot be deleted from under it.
    gone = client.delete(location, headers={**citizen.headers, **TUS})
    assert gone.status_code == 409
    problem(gone)


def test_detach_and_deleting_an_upload_make_the_document_missing_again(
        client: Any, db: Any, citizen: Any, upload_root: Any) -> None:
    phone, did = _draft(client, db, citizen)
    upload_id = upload(client, citizen, jpeg(10_000))
    assert _attach(phone, did, upload_id=upload_id)["status"] == "applied"
    detached = phone.one("dossier.detach", {"dossier_id": str(did), "document_code": "birth_notice"})
    assert detached["status"] == "applied" and detached["entity"]["documents"] == {}
    refused = phone.one("dossier.submit", {"dossier_id": str(did)})
    assert "documents.birth_notice" in refused["error"]["errors"]

    other = create(client, citizen, 5000, doc_meta(filename="b.jpg")).headers["Location"]
    assert _attach(phone, did, upload_id=other.rsplit("/", 1)[-1])["status"] == "applied"
    assert client.delete(other, headers={**citizen.headers, **TUS}).status_code == 204
    dossier = client.get(f"/api/v1/dossiers/{did}", headers=citizen.headers).get_json()
    assert dossier["documents"] == {}


def test_attach_refuses_what_does_not_fit(client: Any, db: Any, make_citizen: Any,
                                          upload_root: Any) -> None:
    owner, other = make_citizen(), make_citizen("Võ Thị Em")
    phone, did = _draft(client, db, owner)
    theirs = upload(client, other, jpeg(1000, seed=1))
    result = _attach(phone, did, upload_id=theirs)
    assert result["status"] == "rejected" and result["error"]["status"] == 404

    for_other_doc = upload(client, owner, jpeg(1000, seed=2), doc_meta(document="witness_statement"))
    result = _attach(phone, did, upload_id=for_other_doc)
    assert result["status"] == "rejected" and "upload_id" in result["error"]["errors"]

    mine = upload(client, owner, jpeg(1000, seed=3))
    result = _attach(phone, did, "no_such_doc", upload_id=mine)
    assert result["status"] == "rejected" and "document_code" in result["error"]["errors"]
    result = _attach(phone, did, upload_id=mine, record_id=str(uuid.uuid4()))
    assert result["status"] == "rejected" and result["error"]["status"] == 422


def test_documents_change_only_on_drafts_and_requested_supplements(
        client: Any, db: Any, citizen: Any, official: Any, upload_root: Any) -> None:
    dossier = make_dossier(db.session, citizen.user, status=lc.IN_PROGRESS, official=official.user,
                           fields={**full_values(db.session), "proof_kind": "hospital"})
    did = dossier.id
    phone = Phone(client, citizen)
    upload_id = upload(client, citizen, jpeg(2000, seed=9))
    refused = _attach(phone, did, upload_id=upload_id)
    assert refused["status"] == "rejected"
    assert refused["error"]["type"] == "/problems/transition-not-allowed"

    svc.transition(db.session, dossier, official.user, "request_supplement",
                   note="Ảnh giấy chứng sinh bị mờ", documents=["birth_notice"])
    db.session.commit()
    assert _attach(phone, did, upload_id=upload_id)["status"] == "applied"
    not_named = _attach(phone, did, "authorization", upload_id=upload_id)
    assert not_named["status"] == "rejected"
    assert not_named["error"]["requested_documents"] == ["birth_notice"]


@postgresql_only("two transactions at once need PostgreSQL; SQLite has one writer")
def test_an_attach_while_the_last_bytes_arrive_sees_the_file_finished(
        app: Any, client: Any, db: Any, citizen: Any, upload_root: Any) -> None:
    """The phone's `dossier.attach` reaches the server while another request is storing the
    upload's last bytes: the item ends ready, with the file's hash, not stuck uploading."""
    phone, did = _draft(client, db, citizen)
    data = jpeg(60_000, seed=9)
    location = create(client, citizen, len(data)).headers["Location"]
    upload_id = location.rsplit("/", 1)[-1]
    patch(client, citizen, location, 0, data[:10_000])
    sha = hashlib.sha256(data).hexdigest()
    dsn = libpq_dsn(app)
    finishing = psycopg.connect(dsn)  # what the last PATCH's transaction does, held open
    finishing.execute("SELECT id FROM uploads WHERE id = %s FOR UPDATE", (upload_id,))
    finishing.execute("UPDATE uploads SET status = %s, sha256 = %s, \"offset\" = length, "
                      "completed_at = now() WHERE id = %s", (COMPLETE, sha, upload_id))
    answer: dict[str, Any] = {}
    attach = threading.Thread(target=lambda: answer.update(
        _attach(phone, did, upload_id=upload_id)))  # the main thread waits meanwhile
    attach.start()
    attach.join(0.5)
    assert attach.is_alive()  # it waits for the upload's row
    finishing.commit()
    finishing.close()
    attach.join(30)
    assert answer["status"] == "applied", answer
    item = answer["entity"]["documents"]["birth_notice"]
    assert item["status"] == "ready" and item["sha256"] == sha
