"""The set-wise fast path for `dossier.save` (sync/batch.py) answers and writes exactly what
the registry's handler does, one mutation at a time, in batches that mix it with other
mutations, rejected ones in the middle, several dossiers and two phones of one account."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.models.dossiers import DossierVersion
from app.models.sync import Change, ClientWrite, ConflictRecord
from sync.batch import PushBatch
from tests.sync.helpers import Phone, iso, save_args

T0 = datetime.now(UTC) - timedelta(hours=1)


def at(minutes: float) -> str:
    return iso(T0 + timedelta(minutes=minutes))


def scenario(client: Any, actor: Any) -> tuple[list[Any], list[uuid.UUID]]:
    """Two phones of one citizen, three batches; returns every response and the dossier ids."""
    a, b = Phone(client, actor), Phone(client, actor)
    d1, d2 = uuid.uuid4(), uuid.uuid4()
    first = [
        a.mutation("dossier.save", save_args(d1, {"child_full_name": "An"}), at(1)),
        a.mutation("dossier.save", save_args(d2, {"child_home_town": "Huế"}), at(2)),
        a.mutation("dossier.save", save_args(d1, {"child_home_town": "Hà Nội"}, 2), at(3)),
        a.mutation("dossier.save", save_args(d2, {"copies": "many"}, 2), at(4)),  # invalid
        a.mutation("dossier.save", save_args(d1, {"copies": 2}, 9), at(5)),  # unknown base
        a.mutation("dossier.save", save_args(d2, {"copies": 1}, 2), at(6)),
        a.mutation("dossier.submit", {"dossier_id": str(d2)}, at(7)),  # incomplete: rejected
        a.mutation("dossier.save", save_args(d1, {"child_full_name": "Anh"}, 2), at(8)),
        a.mutation("no.such", {}, at(9)),
        a.mutation("dossier.save", save_args(d1, {}, 2), at(10)),
        a.mutation("dossier.save", save_args(d1, {"child_home_town": None}, 4), at(11)),
    ]
    responses = [a.push(*first)]
    responses.append(b.push(
        # Typed earlier than phone A's name: A's value stands, B's is kept in a record.
        b.mutation("dossier.save", save_args(d1, {"child_full_name": "Ánh"}, 2), at(0.5)),
        # A cleared the home town since: B's value is taken (merged, no clash).
        b.mutation("dossier.save", save_args(d1, {"child_home_town": "Huế"}, 2), at(30)),
        b.mutation("dossier.save", save_args(d2, {"child_full_name": "Bình"}, 2), at(31)),
        b.mutation("dossier.save", save_args(uuid.uuid4(), {"x": 1}, 1, procedure="nope"), at(32)),
    ))
    # Phone A never saw its answer: it re-sends the batch plus one more save.
    responses.append(a.push(*first, a.mutation("dossier.save", save_args(d1, {"copies": 3}, 2),
                                                at(40))))
    return responses, [d1, d2]


def normalised(responses: list[Any], ids: list[uuid.UUID]) -> list[Any]:
    names = {str(d): f"d{i}" for i, d in enumerate(ids)}

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()
                    if k not in ("created_at", "updated_at", "at") and not (k == "id" and isinstance(v, str))}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return names.get(value, value) if isinstance(value, str) else value

    return clean(responses)


def stored(db: Any, user_id: int, ids: list[uuid.UUID]) -> dict[str, Any]:
    session = db.session
    session.expire_all()
    feed = session.execute(select(Change.seq, Change.entity, Change.entity_id, Change.op)
                           .where(Change.user_id == user_id).order_by(Change.seq)).all()
    assert [s for s, *_ in feed] == list(range(1, len(feed) + 1))  # gap-free
    names = {str(d): f"d{i}" for i, d in enumerate(ids)}
    versions = session.execute(select(DossierVersion.dossier_id, DossierVersion.version,
                                      DossierVersion.fields, DossierVersion.stamps)
                               .where(DossierVersion.dossier_id.in_(ids))
                               .order_by(DossierVersion.dossier_id, DossierVersion.version)).all()
    writes = session.scalars(select(ClientWrite).where(ClientWrite.dossier_id.in_(ids))).all()
    records = session.scalars(select(ConflictRecord).where(ConflictRecord.user_id == user_id)
                              .order_by(ConflictRecord.field, ConflictRecord.kept)).all()
    return {
        "feed": [(e, names.get(i, "conflict" if e == "conflict" else i), op) for _, e, i, op in feed],
        "versions": sorted((names[str(d)], v, f, s) for d, v, f, s in versions),
        "writes": sorted((names[str(w.dossier_id)], sorted(w.fields.items())) for w in writes),
        "records": [(names[str(r.dossier_id)], r.field, r.kept, r.other, r.dossier_version)
                    for r in records],
    }


def test_fast_batches_answer_and_write_like_the_handler(client, db, make_citizen, monkeypatch):
    fast_user = make_citizen(name="Lê Thị Nhanh")
    bumps: list[Any] = []
    real_bump = PushBatch._bump
    monkeypatch.setattr(PushBatch, "_bump", lambda self, *a: (bumps.append(a), real_bump(self, *a)))
    fast, fast_ids = scenario(client, fast_user)
    fast_rows = stored(db, fast_user.id, fast_ids)
    assert len(bumps) >= 6  # the fast path did take the saves it could

    # The same mutations again, for another citizen, with the fast path turned off.
    monkeypatch.setattr(PushBatch, "try_save", lambda self, m, captured: None)
    slow_user = make_citizen(name="Trần Văn Chậm")
    slow, slow_ids = scenario(client, slow_user)
    slow_rows = stored(db, slow_user.id, slow_ids)

    assert normalised(fast, fast_ids) == normalised(slow, slow_ids)
    assert fast_rows == slow_rows
    first, second, again = fast
    statuses = [r["status"] for r in first["results"]]
    assert statuses == ["applied", "applied", "applied", "rejected", "rejected", "applied",
                        "rejected", "applied", "rejected", "applied", "applied"]
    assert first["results"][3]["error"]["errors"].keys() == {"copies"}
    assert first["results"][4]["error"]["errors"] == {"base_version": ["unknown version"]}
    assert [r["status"] for r in second["results"]] == ["conflict", "merged", "merged", "rejected"]
    assert again["results"][:11] == first["results"]
    assert again["results"][11]["entity"]["fields"] == {
        "child_full_name": "Anh", "child_home_town": "Huế", "copies": 3}
    # A save's entity is the dossier without its history (pull carries the history).
    assert "history" not in again["results"][11]["entity"]
    assert len(fast_rows["records"]) == 1


def test_a_batch_of_saves_to_several_dossiers_is_one_transaction(client, db, citizen):
    phone = Phone(client, citizen)
    ids = [uuid.uuid4() for _ in range(4)]
    phone.push(*(phone.mutation("dossier.save", save_args(d, {"child_full_name": "An"}))
                 for d in ids))
    batch = [phone.mutation("dossier.save", save_args(ids[i % 4], {"copies": i // 4 + 1}, 2))
             for i in range(20)]
    body = phone.push(*batch)
    assert body["last_mutation_id"] == 24
    assert [r["entity"]["version"] for r in body["results"]] == [3 + i // 4 for i in range(20)]
    for d in ids:
        got = client.get(f"/api/v1/dossiers/{d}", headers=citizen.headers).get_json()
        assert got["version"] == 7 and got["fields"]["copies"] == 5
    changes = phone.pull_all()
    assert [c["entity"] for c in changes].count("dossier") >= 4
