"""Abandoned uploads expire on their own: the periodic sweep runs the expiry, no cron needed."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from typing import Any

from app import create_app
from app.extensions import db as _db
from app.jobs import push_worker
from app.models.uploads import EXPIRED, UPLOADING, Upload
from app.services import clock
from tests.uploads.helpers import TUS, create, doc_meta, jpeg, patch, stored_files


def _status(db: Any, upload_id: uuid.UUID) -> str | None:
    row = db.session.get(Upload, upload_id)
    status = row.status if row is not None else None
    db.session.rollback()  # no transaction left open for the sweeper to wait on
    return status


def test_an_expired_upload_goes_away_without_the_cli(
    app: Any, client: Any, citizen: Any, db: Any, upload_root: Any
) -> None:
    data = jpeg(3000)
    stale = create(client, citizen, len(data)).headers["Location"]
    patch(client, citizen, stale, 0, data[:1000])
    fresh = create(client, citizen, len(data), doc_meta(filename="b.jpg")).headers["Location"]
    patch(client, citizen, fresh, 0, data[:1000])
    stale_id, fresh_id = (uuid.UUID(u.rsplit("/", 1)[-1]) for u in (stale, fresh))
    db.session.get(Upload, stale_id).expires_at = clock.now() - timedelta(minutes=1)
    db.session.commit()

    # Another app process, sweeping often: any upload request starts its background sweep.
    other = create_app(
        {
            key: app.config[key]
            for key in ("TESTING", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "JWT_SECRET_KEY", "UPLOAD_DIR")
        }
        | {"REDIS_URL": None, "PUSH_SWEEP_SECONDS": 0.05, "UPLOAD_EXPIRE_EVERY_SECONDS": 0.05}
    )
    try:
        assert other.test_client().options("/api/v1/uploads", headers=TUS).status_code == 204
        deadline = time.monotonic() + 20
        while _status(db, stale_id) != EXPIRED or len(stored_files(upload_root)) != 1:
            assert time.monotonic() < deadline, "the periodic sweep did not expire the upload"
            time.sleep(0.02)
    finally:
        push_worker.in_process_worker(other).stop()
        with other.app_context():
            _db.engine.dispose()

    assert _status(db, fresh_id) == UPLOADING
    assert [p.name for p in stored_files(upload_root)] == [fresh_id.hex]
    assert client.head(stale, headers={**citizen.headers, **TUS}).status_code == 410
    assert client.head(fresh, headers={**citizen.headers, **TUS}).headers["Upload-Offset"] == "1000"
