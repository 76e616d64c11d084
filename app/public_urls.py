"""The one rule for the addresses Hoso hands out (Flask side; services get it as a function).

`PUBLIC_URL` + path when PUBLIC_URL is configured. Without it, the path alone: the client
resolves it against the site it is talking to, and nothing is taken from the request's
Host header (the upload `Location`, share links). A link that must stand on its own,
`absolute=True` (the QR code printed on a signed PDF, the payment gateway's return
address), then takes the request's own origin, and outside a request (CLI, jobs) the
development server's, http://127.0.0.1:8000."""

from __future__ import annotations

from flask import current_app, has_request_context, request

DEVELOPMENT_ORIGIN = "http://127.0.0.1:8000"


def public_url(path: str = "/", *, absolute: bool = False) -> str:
    configured = current_app.config.get("PUBLIC_URL")
    if configured:
        base = str(configured)
    elif not absolute:
        base = ""
    elif has_request_context():
        base = request.host_url
    else:
        base = DEVELOPMENT_ORIGIN
    return base.rstrip("/") + "/" + path.lstrip("/")
