"""Several app processes sweeping abandoned uploads at the same moment (PostgreSQL, as in
production with several gunicorn workers): each upload is expired exactly once, every
abandoned partial file goes, and an upload still in progress is never touched."""

from __future__ import annotations

import multiprocessing
import uuid
from datetime import timedelta
from typing import Any

from app.models.uploads import EXPIRED, UPLOADING, Upload
from app.services import clock
from tests.databases import postgresql_only
from tests.uploads.helpers import TUS, create, doc_meta, jpeg, patch, stored_files, sweep_in_new_process

SWEEPERS = 4

pytestmark = postgresql_only(
    "concurrent sweepers need PostgreSQL's row locks (SKIP LOCKED); SQLite serialises writers")


def test_sweepers_racing_expire_each_upload_once(app: Any, client: Any, citizen: Any, db: Any,
                                                 upload_root: Any) -> None:
    data = jpeg(3000)
    stale, fresh = [], []
    for n in range(15):
        location = create(client, citizen, len(data), doc_meta(filename=f"{n}.jpg")).headers["Location"]
        patch(client, citizen, location, 0, data[:1000])
        (stale if n < 12 else fresh).append(location)
    ids = {loc: uuid.UUID(loc.rsplit("/", 1)[-1]) for loc in stale + fresh}
    for loc in stale:
        db.session.get(Upload, ids[loc]).expires_at = clock.now() - timedelta(minutes=1)
    db.session.commit()
    assert len(stored_files(upload_root)) == 15

    config = {key: app.config[key] for key in ("TESTING", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY",
                                              "JWT_SECRET_KEY", "UPLOAD_DIR")} | {"REDIS_URL": None}
    ctx = multiprocessing.get_context("spawn")
    go, out = ctx.Event(), ctx.Queue()
    readies = [ctx.Event() for _ in range(SWEEPERS)]
    procs = [ctx.Process(target=sweep_in_new_process, args=(config, ready, go, out))
             for ready in readies]
    for p in procs:
        p.start()
    try:
        for ready in readies:
            assert ready.wait(60), "a sweeper process did not start"
        go.set()
        reports = [out.get(timeout=60) for _ in procs]
    finally:
        for p in procs:
            p.join(30)
            if p.is_alive():
                p.kill()
    assert [kind for kind, _ in reports] == ["ok"] * SWEEPERS, reports
    assert sum(counts["expired"] for _, counts in reports) == len(stale)  # once each

    db.session.expire_all()
    assert {db.session.get(Upload, ids[loc]).status for loc in stale} == {EXPIRED}
    assert {db.session.get(Upload, ids[loc]).status for loc in fresh} == {UPLOADING}
    db.session.rollback()
    assert sorted(p.name for p in stored_files(upload_root)) == sorted(ids[loc].hex for loc in fresh)
    for loc in stale:
        assert client.head(loc, headers={**citizen.headers, **TUS}).status_code == 410
    for loc in fresh:
        assert client.head(loc, headers={**citizen.headers, **TUS}).headers["Upload-Offset"] == "1000"
