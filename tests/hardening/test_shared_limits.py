"""Without Redis the abuse limits still hold across gunicorn workers: their counters live
in the database (app/limit_store.py), not in each worker's memory (where three workers
allowed about three times the figure)."""

from __future__ import annotations

from typing import Any

import requests

from tests.servers import Gunicorn
from tests.uploads.helpers import TUS, doc_meta


def test_limits_are_shared_by_every_worker_without_redis(app, db, make_citizen, tmp_path):
    an, binh = make_citizen(), make_citizen("Trần Thị Bình")
    server = Gunicorn(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, workers=2, threads=2,
                      env={"RATELIMIT_UPLOADS_USER": "4/minute",
                           "LOGIN_FAILURES_ACCOUNT": "3/15 minutes"})
    try:
        def create(actor: Any) -> requests.Response:
            # A new connection each time, so the two workers take turns.
            return requests.post(server.url + "/api/v1/uploads", timeout=20, headers={
                **actor.headers, **TUS, "Upload-Length": "2048", "Upload-Metadata": doc_meta(),
                "Connection": "close"})

        codes = [create(an).status_code for _ in range(6)]
        assert codes == [201] * 4 + [429] * 2, codes  # in memory, each worker would allow 4
        assert create(binh).status_code == 201

        def guess(i: int) -> int:
            return requests.post(server.url + "/api/v1/auth/login", timeout=20, json={
                "login": "0900000009", "password": f"doan-{i}"},
                headers={"Connection": "close"}).status_code

        assert [guess(i) for i in range(5)] == [401] * 3 + [429] * 2
    finally:
        server.stop()
