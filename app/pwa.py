"""Serves the PWA from pwa/ (no build step) and the manifest of content hashes its worker precaches.

The service worker is served with the shell version written into its first line, so any change
to any shell file changes the worker's bytes and the browser installs the new version, which then
downloads only the files whose hash changed.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import mimetypes
from pathlib import Path
from threading import Lock
from typing import Any

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import NotFound

from app.services.i18n import MESSAGES

bp = Blueprint("pwa", __name__)

# Globs (relative to pwa/) of the files that make the app shell. The workers are not in it.
SHELL_GLOBS = ("index.html", "styles.css", "manifest.webmanifest", "app/*.js", "app/ui/*.js",
               "i18n/*.json", "icons/*.png")
# Served from code, not from pwa/: the validation messages, from the same texts the server uses.
GENERATED = {"/i18n/messages.json": lambda: json.dumps(MESSAGES, ensure_ascii=False,
                                                         sort_keys=True).encode()}
COMPRESSIBLE = (".html", ".css", ".js", ".json", ".webmanifest")
mimetypes.add_type("application/manifest+json", ".webmanifest")
mimetypes.add_type("text/javascript", ".js")

_lock = Lock()
_cache: dict[str, Any] = {"key": None}


def _root() -> Path:
    return Path(current_app.config["PWA_DIR"])


def _shell_files(root: Path) -> list[Path]:
    found: set[Path] = set()
    for pattern in SHELL_GLOBS:
        found.update(p for p in root.glob(pattern) if p.is_file())
    return sorted(found)


def _snapshot() -> dict[str, Any]:
    """Bytes, sha256 and gzip of every shell file, recomputed only when a file changes."""
    root = _root()
    files = _shell_files(root)
    key = (str(root), tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files))
    with _lock:
        if _cache["key"] == key:
            return _cache
        entries: dict[str, dict[str, Any]] = {}
        for path in files:
            entries["/" + path.relative_to(root).as_posix()] = {"body": path.read_bytes()}
        for url, make in GENERATED.items():
            entries[url] = {"body": make()}
        for url, entry in entries.items():
            entry["sha256"] = hashlib.sha256(entry["body"]).hexdigest()
            entry["gzip"] = (gzip.compress(entry["body"], 9, mtime=0)
                             if url.endswith(COMPRESSIBLE) else None)
        hashes = {url: e["sha256"] for url, e in sorted(entries.items())}
        version = hashlib.sha256(json.dumps(hashes).encode()).hexdigest()[:16]
        _cache.clear()
        _cache.update(key=key, entries=entries, hashes=hashes, version=version)
        return _cache


def asset_manifest() -> dict[str, Any]:
    """{"version": hash of hashes, "files": {url: sha256}} for the service worker."""
    snap = _snapshot()
    return {"version": snap["version"], "files": snap["hashes"]}


def _send(body: bytes, mimetype: str, etag: str, *, gz: bytes | None = None,
          cache: str = "no-cache") -> Response:
    use_gzip = gz is not None and "gzip" in request.headers.get("Accept-Encoding", "")
    resp = Response(gz if use_gzip else body, mimetype=mimetype)
    if use_gzip:
        resp.headers["Content-Encoding"] = "gzip"
    if gz is not None:
        resp.vary.add("Accept-Encoding")
    resp.set_etag(etag + ("-gz" if use_gzip else ""))
    resp.headers["Cache-Control"] = cache
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp.make_conditional(request)


def _shell_response(url: str) -> Response | None:
    entry = _snapshot()["entries"].get(url)
    if entry is None:
        return None
    mimetype = mimetypes.guess_type(url)[0] or "application/octet-stream"
    if mimetype.startswith("text/") or mimetype.endswith("json"):
        mimetype += "; charset=utf-8"
    return _send(entry["body"], mimetype, entry["sha256"][:32], gz=entry["gzip"])


@bp.get("/")
def index() -> Response:
    resp = _shell_response("/index.html")
    if resp is None:
        raise NotFound()
    return resp


@bp.get("/asset-manifest.json")
def manifest() -> Response:
    body = json.dumps(asset_manifest(), indent=0).encode()
    return _send(body, "application/json", hashlib.sha256(body).hexdigest()[:32])


# The worker files: sw.js (classic; the module worker imports it), its Web Push listeners and
# the module worker of browsers with Background Sync.
WORKER_FILES = ("sw.js", "sw-push.js", "sw-sync.js")


def _worker(name: str, first_line: str) -> Response:
    path = _root() / name
    if not path.is_file():
        raise NotFound()
    body = first_line.encode() + b"\n" + path.read_bytes()
    digest = hashlib.sha256(body).hexdigest()[:32]
    resp = _send(body, "text/javascript; charset=utf-8", digest, gz=_worker_gzip(digest, body))
    resp.headers["Service-Worker-Allowed"] = "/"
    return resp


_worker_gzips: dict[str, bytes] = {}


def _worker_gzip(digest: str, body: bytes) -> bytes:
    """The worker script gzipped once per version (the shell's files are, in `_snapshot`)."""
    found = _worker_gzips.get(digest)
    if found is None:
        with _lock:
            if len(_worker_gzips) > 16:
                _worker_gzips.clear()
            found = _worker_gzips[digest] = gzip.compress(body, 9, mtime=0)
    return found


@bp.get("/sw.js")
def service_worker() -> Response:
    """The worker with the shell version in its first line (so any shell change updates it)."""
    return _worker("sw.js", f'self.SHELL_VERSION = "{asset_manifest()["version"]}";')


@bp.get("/sw-sync.js")
def sync_worker() -> Response:
    """The module worker, whose first line names the shell version and every worker file's hash:
    any change to the app changes the bytes of this script itself. Browsers also compare the
    scripts a worker imports, but Chromium 156 failed to start a new module worker when only an
    import had changed ("ServiceWorker cannot be started"); with its main script changed it
    updates."""
    digest = hashlib.sha256(asset_manifest()["version"].encode())
    for name in WORKER_FILES:
        path = _root() / name
        digest.update(path.read_bytes() if path.is_file() else b"")
    return _worker("sw-sync.js", f"// release {digest.hexdigest()[:16]}")


@bp.get("/<path:path>")
def static_file(path: str) -> Response:
    if path.startswith("api/"):
        raise NotFound()
    resp = _shell_response("/" + path)
    if resp is not None:
        return resp
    # Anything else in pwa/ (e.g. the push worker): served as is, revalidated on each use.
    root = _root().resolve()
    target = (root / path).resolve()
    if root not in target.parents or not target.is_file():
        raise NotFound()
    body = target.read_bytes()
    mimetype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    return _send(body, mimetype, hashlib.sha256(body).hexdigest()[:32])
