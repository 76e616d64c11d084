"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from api.problems import problem_response
from app.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():  # type: ignore[no-untyped-def]
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any failure means not ready
        db.session.rollback()
        return problem_response({"type": "/problems/not-ready", "title": "Not ready",
                                 "status": 503, "detail": "The database is not reachable."})
    return jsonify(status="ready", database="ok")
