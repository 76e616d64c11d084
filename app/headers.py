"""Security headers on every response, the API docs' assets, and CORS (closed unless configured)."""

from __future__ import annotations

from flask import Flask, Response, request, send_from_directory

# The PWA runs with no inline script and one inline style, which its page allows by hash
# (app/pwa.py), so the policy can be strict.
CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "worker-src 'self'",
    "manifest-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
])
# Swagger UI starts itself with an inline script; only its page gets this policy.
DOCS_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'")
PERMISSIONS = "camera=(self), geolocation=(), microphone=(), payment=(), usb=(), interest-cohort=()"
_COMMON = [("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer"),
           ("Permissions-Policy", PERMISSIONS), ("X-Frame-Options", "DENY"),
           ("Cross-Origin-Opener-Policy", "same-origin")]
_JSON = ("application/json", "application/problem+json")
HEADERS = [(n.lower(), n, v) for n, v in [("Content-Security-Policy", CSP), *_COMMON]]
DOCS_HEADERS = [(n.lower(), n, v) for n, v in [("Content-Security-Policy", DOCS_CSP), *_COMMON]]


def init_app(app: Flask) -> None:
    import swagger_ui_bundle

    @app.get("/api/v1/docs-assets/<path:filename>")
    def docs_assets(filename: str) -> Response:
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename, max_age=86400)

    @app.after_request
    def _headers(resp: Response) -> Response:
        h = resp.headers
        # Added only where the view did not set its own; one pass over the response's
        # headers instead of a scan per header (this runs on every response).
        present = {name.lower() for name, _value in h.items()}
        for lower, name, value in DOCS_HEADERS if request.path == "/api/v1/docs" else HEADERS:
            if lower not in present:
                h.add(name, value)
        if ((request.path.startswith("/api/v1/auth/") or "Authorization" in request.headers)
                and resp.mimetype in _JSON
                and not {"public", "no-store"} & {d.strip() for d in
                                                  h.get("Cache-Control", "").split(",")}):
            # Tokens and a person's own data never go into a shared or browser cache.
            h["Cache-Control"] = "no-store"
        if (request.is_secure or app.config.get("FORCE_HSTS")) \
                and "strict-transport-security" not in present:
            h.add("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        origin = request.headers.get("Origin")
        if origin and origin in app.config.get("CORS_ORIGINS", []):
            h["Access-Control-Allow-Origin"] = origin
            h["Vary"] = "Origin"
            h["Access-Control-Allow-Headers"] = "Authorization, Content-Type, Tus-Resumable, " \
                "Upload-Length, Upload-Offset, Upload-Metadata, Upload-Checksum"
            h["Access-Control-Allow-Methods"] = "GET, POST, PATCH, DELETE, HEAD, OPTIONS"
            h["Access-Control-Expose-Headers"] = ("ETag, Location, Retry-After, X-Request-ID, "
                                                  "Upload-Offset, Upload-Length, Upload-Expires, "
                                                  "Tus-Resumable, Tus-Version, Tus-Extension, "
                                                  "Tus-Max-Size, Tus-Checksum-Algorithm")
        return resp
