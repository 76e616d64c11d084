"""Serves the PWA's static files from pwa/ (no build step)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, send_from_directory
from werkzeug.exceptions import NotFound

bp = Blueprint("pwa", __name__)


def _root() -> Path:
    return Path(current_app.config["PWA_DIR"])


@bp.get("/")
def index() -> Response:
    resp = send_from_directory(_root(), "index.html", max_age=0)
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@bp.get("/<path:path>")
def static_file(path: str) -> Response:
    if path.startswith("api/"):
        raise NotFound()
    resp = send_from_directory(_root(), path, max_age=0)
    # The service worker and its manifest must be revalidated on every visit.
    resp.headers["Cache-Control"] = "no-cache"
    if path == "sw.js":
        resp.headers["Service-Worker-Allowed"] = "/"
    return resp
