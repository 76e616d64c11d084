"""Request ids, JSON logs, metrics and security headers as an operator sees them."""

from __future__ import annotations

import json
import logging

from app.observability import JsonFormatter


def test_request_id_is_echoed_or_made(client):
    resp = client.get("/healthz", headers={"X-Request-ID": "phone-abc-12345"})
    assert resp.headers["X-Request-ID"] == "phone-abc-12345"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert made.headers["X-Request-ID"] != "bad id with spaces"
    assert len(made.headers["X-Request-ID"]) == 32


def test_logs_are_json_lines_with_the_request_id(client, caplog):
    with caplog.at_level(logging.INFO, logger="hoso.access"):
        client.get("/api/v1/procedures", headers={"X-Request-ID": "trace-0001-abcd"})
    record = next(r for r in caplog.records if r.name == "hoso.access")
    line = json.loads(JsonFormatter().format(record))
    assert line["path"] == "/api/v1/procedures" and line["status"] == 200
    assert line["request_id"] == "trace-0001-abcd"
    assert line["duration_ms"] >= 0


def test_metrics_count_requests_by_endpoint(client):
    client.get("/api/v1/procedures")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'hoso_http_requests_total{endpoint="/api/v1/procedures",method="GET",status="200"}' in text
    assert "hoso_http_request_seconds_bucket" in text


def test_security_headers_on_pages_and_api(client):
    for path in ("/", "/api/v1/procedures"):
        h = client.get(path).headers
        assert "script-src 'self'" in h["Content-Security-Policy"]
        assert "unsafe-inline" not in h["Content-Security-Policy"]
        assert h["X-Content-Type-Options"] == "nosniff"
        assert h["Referrer-Policy"] == "no-referrer"
        assert "geolocation=()" in h["Permissions-Policy"]
    assert "Strict-Transport-Security" not in client.get("/healthz").headers
    https = client.get("/healthz", base_url="https://hoso.example")
    assert https.headers["Strict-Transport-Security"].startswith("max-age=")


def test_cors_is_closed_unless_configured(app, client):
    resp = client.get("/api/v1/procedures", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in resp.headers
    app.config["CORS_ORIGINS"] = ["https://partner.example"]
    try:
        ok = client.get("/api/v1/procedures", headers={"Origin": "https://partner.example"})
        assert ok.headers["Access-Control-Allow-Origin"] == "https://partner.example"
    finally:
        app.config["CORS_ORIGINS"] = []


def test_api_docs_page_uses_local_assets(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/api/v1/docs-assets/swagger-ui-bundle.js" in page
    assert client.get("/api/v1/docs-assets/swagger-ui-bundle.js").status_code == 200
