"""Serves the PWA from pwa/ (no build step) and the manifest of content hashes its worker precaches.

The service worker is served with the shell version written into its first line, so any change
to any shell file changes the worker's bytes and the browser installs the new version, which then
downloads only the files whose hash changed.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import mimetypes
from pathlib import Path
from threading import Lock
from typing import Any

import brotli
from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import NotFound

from app import minify
from app.headers import CSP
from app.services.i18n import MESSAGES

bp = Blueprint("pwa", __name__)

# Globs (relative to pwa/) of the files that make the app shell. The workers are not in it.
SHELL_GLOBS = ("index.html", "styles.css", "manifest.webmanifest", "app/*.js", "app/ui/*.js",
               "i18n/*.json", "icons/*.png")
# The UI texts the first screen (the catalog or the welcome screen) and the frame around it
# use: keys with one of these prefixes, or exactly one of these keys. A first visit loads
# /i18n/<lang>.first.json (about a tenth of the texts) and the rest after the first screen
# (pwa/app/i18n.js); tests/app/test_pwa_preload.py checks that the first screen's modules use
# no other key.
FIRST_TEXTS = ("app.", "nav.", "catalog.", "fee.", "error.", "intro.", "sync.", "update.", "push.",
               "auth.expired", "editor.sending", "editor.queued")


def _first_texts(root: Path, lang: str) -> bytes:
    texts = json.loads((root / "i18n" / f"{lang}.json").read_bytes())
    first = {k: v for k, v in texts.items() if k.startswith(FIRST_TEXTS)}
    return json.dumps(first, ensure_ascii=False, sort_keys=True).encode()


# Served from code, not from pwa/: the validation messages, from the same texts the server
# uses, and the first screen's share of the UI texts.
GENERATED = {
    "/i18n/messages.json": lambda root: json.dumps(MESSAGES, ensure_ascii=False, sort_keys=True).encode(),
    "/i18n/vi.first.json": lambda root: _first_texts(root, "vi"),
    "/i18n/en.first.json": lambda root: _first_texts(root, "en"),
}
COMPRESSIBLE = (".html", ".css", ".js", ".json", ".webmanifest")
mimetypes.add_type("application/manifest+json", ".webmanifest")
mimetypes.add_type("text/javascript", ".js")
# What the first screen needs that is the same for everyone is sent inside the page, not
# beside it: on a 2G line the page's bytes arrive while the browser waits for the modules the
# page preloads (a round trip), instead of sharing the line with them afterwards
# (docs/pwa.md "Loading"). `_inline` does it to index.html as sent:
# - the stylesheet's link becomes a `<style>` (the page's CSP allows it by its hash, no
#   'unsafe-inline'); styles.css is then not a shell file of its own;
# - the empty `<script type="application/json" id="first-texts" data-lang="vi">` is filled with
#   /i18n/vi.first.json (the first visit's language); i18n.js reads it instead of fetching;
# - the header's mark becomes a data: URL.
STYLESHEET = b'<link rel="stylesheet" href="/styles.css">'
FIRST_TEXTS_BLOCK = b'<script type="application/json" id="first-texts" data-lang="vi"></script>'
MARK = b'src="/icons/brand-56.png"'
_minified: dict[tuple[str, str], bytes] = {}


def _as_sent(url: str, body: bytes) -> bytes:
    """A shell file as it is sent: scripts and the stylesheet minified (app/minify.py), each
    file once per process and content."""
    kind = url.rsplit(".", 1)[-1]
    if kind not in ("js", "css"):
        return body
    key = (kind, hashlib.sha256(body).hexdigest())
    found = _minified.get(key)
    if found is None:
        if len(_minified) > 512:  # files edited again and again (development)
            _minified.clear()
        found = _minified[key] = minify.js(body) if kind == "js" else minify.css(body)
    return found


def _inline(page: bytes, entries: dict[str, dict[str, Any]]) -> tuple[bytes, str]:
    """index.html as sent (see FIRST_TEXTS_BLOCK above) and its Content-Security-Policy."""
    csp = CSP
    if STYLESHEET in page and "/styles.css" in entries:
        styles = entries.pop("/styles.css")
        digest = base64.b64encode(hashlib.sha256(styles["body"]).digest()).decode()
        page = page.replace(STYLESHEET, b"<style>" + styles["body"] + b"</style>")
        csp = CSP.replace("style-src 'self'", f"style-src 'self' 'sha256-{digest}'")
    texts = entries.get("/i18n/vi.first.json")
    if texts is not None:
        data = texts["body"].replace(b"</", b"<\\/")  # no "</script>" inside the block
        page = page.replace(FIRST_TEXTS_BLOCK, FIRST_TEXTS_BLOCK.replace(b"></", b">" + data + b"</"))
    mark = entries.get("/icons/brand-56.png")
    if mark is not None:
        page = page.replace(MARK, b'src="data:image/png;base64,' + base64.b64encode(mark["body"]) + b'"')
    return page, csp


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
    """Bytes, sha256 and gzip of every shell file, recomputed only when a file changes (brotli
    is made on a file's first request that accepts it: `_brotli`)."""
    root = _root()
    files = _shell_files(root)
    key = (str(root), tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files))
    with _lock:
        if _cache["key"] == key:
            return _cache
        entries: dict[str, dict[str, Any]] = {}
        for path in files:
            url = "/" + path.relative_to(root).as_posix()
            entries[url] = {"body": _as_sent(url, path.read_bytes())}
        for url, make in GENERATED.items():
            entries[url] = {"body": make(root)}
        if "/index.html" in entries:
            page = entries["/index.html"]
            page["body"], page["csp"] = _inline(page["body"], entries)
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


def _brotli(entry: dict[str, Any]) -> bytes:
    """The entry's body in brotli (quality 11), made once per process and file version: 10–15 %
    fewer bytes than gzip 9 on the shell, which a first visit on a slow link waits for.
    Browsers offer `br` over HTTPS only, i.e. through the TLS front."""
    found = entry.get("br")
    if found is None:
        found = entry["br"] = brotli.compress(entry["body"], quality=11)
    return found


def _send(body: bytes, mimetype: str, etag: str, *, gz: bytes | None = None,
          entry: dict[str, Any] | None = None, cache: str = "no-cache") -> Response:
    """`gz`: the body gzip-compressed; `entry`: a compressible shell file, sent in brotli where
    the browser accepts it, else gzip."""
    accepted = request.accept_encodings
    if entry is not None and accepted["br"]:
        resp = Response(_brotli(entry), mimetype=mimetype)
        resp.headers["Content-Encoding"] = "br"
        etag += "-br"
    elif gz is not None and accepted["gzip"]:
        resp = Response(gz, mimetype=mimetype)
        resp.headers["Content-Encoding"] = "gzip"
        etag += "-gz"
    else:
        resp = Response(body, mimetype=mimetype)
    if gz is not None:
        resp.vary.add("Accept-Encoding")
    resp.set_etag(etag)
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
    resp = _send(entry["body"], mimetype, entry["sha256"][:32], gz=entry["gzip"],
                 entry=entry if entry["gzip"] is not None else None)
    if "csp" in entry:
        resp.headers["Content-Security-Policy"] = entry["csp"]
    return resp


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
