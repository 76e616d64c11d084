"""Request ids, structured JSON logs and Prometheus metrics at /metrics."""

from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid
from typing import Any

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

from app.extensions import db
from app.services import clock, signed_documents

REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

HTTP_REQUESTS = Counter("hoso_http_requests_total", "HTTP requests", ["method", "endpoint", "status"])
HTTP_LATENCY = Histogram(
    "hoso_http_request_seconds", "HTTP request latency", ["method", "endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SYNC_MUTATIONS = Counter("hoso_sync_mutations_total", "Sync mutations by result", ["status"])
PUSH_DELIVERIES = Counter("hoso_push_deliveries_total", "Push delivery attempts", ["outcome"])
QUEUE_DEPTH = Gauge("hoso_queue_depth", "Jobs waiting in the background queue", ["queue"],
                    multiprocess_mode="max")
DOCUMENTS_UNSIGNED = Gauge("hoso_documents_unsigned",
                           "Receipts and results issued and still waiting for the worker's signature",
                           multiprocess_mode="max")
DOCUMENTS_UNSIGNED_AGE = Gauge("hoso_documents_unsigned_oldest_seconds",
                               "How long the oldest unsigned document has waited",
                               multiprocess_mode="max")


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the request id when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None)
        if rid is None:
            try:
                rid = g.get("request_id")
            except RuntimeError:
                rid = None
        if rid:
            entry["request_id"] = rid
        for key in ("method", "path", "status", "duration_ms", "user_id"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root.handlers[:] = [handler]
    root.setLevel(level)


access_log = logging.getLogger("hoso.access")


def init_app(app: Flask) -> None:
    if app.config.get("JSON_LOGS", True):
        configure_logging(app.config.get("LOG_LEVEL", "INFO"))

    @app.before_request
    def _start() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        g.started = time.perf_counter()

    @app.after_request
    def _finish(resp: Response) -> Response:
        resp.headers["X-Request-ID"] = g.get("request_id", "")
        started = g.get("started")
        if started is None:
            return resp
        elapsed = time.perf_counter() - started
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        HTTP_REQUESTS.labels(request.method, endpoint, str(resp.status_code)).inc()
        HTTP_LATENCY.labels(request.method, endpoint).observe(elapsed)
        if endpoint != "/metrics":
            access_log.info("%s %s %s", request.method, request.path, resp.status_code,
                            extra={"method": request.method, "path": request.path,
                                   "status": resp.status_code,
                                   "duration_ms": round(elapsed * 1000, 1)})
        return resp

    @app.get("/metrics")
    def metrics() -> Response:
        if not _metrics_allowed(app):
            from werkzeug.exceptions import NotFound

            raise NotFound()
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        else:
            from prometheus_client import REGISTRY as registry
        _sample_queue_depth(app)
        _sample_unsigned_documents()
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def _metrics_allowed(app: Flask) -> bool:
    """The monitoring network (METRICS_ALLOWED_NETWORKS, loopback by default) or the
    bearer METRICS_TOKEN; anyone else gets 404, as if there were no such page."""
    import hmac
    import ipaddress

    token = app.config.get("METRICS_TOKEN")
    sent = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    for network in app.config.get("METRICS_ALLOWED_NETWORKS", []):
        try:
            if address in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            continue
    return False


def _sample_queue_depth(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    if not url:
        return
    try:
        from redis import Redis
        from rq import Queue

        conn = Redis.from_url(url, socket_timeout=1)
        for name in app.config.get("RQ_QUEUES", ["hoso"]):
            QUEUE_DEPTH.labels(name).set(len(Queue(name, connection=conn)))
    except Exception:  # the metrics page must answer even when Redis does not
        logging.getLogger(__name__).warning("could not read queue depth", exc_info=True)


def _sample_unsigned_documents() -> None:
    try:
        count, oldest = signed_documents.unsigned_summary(db.session)
        db.session.rollback()
    except Exception:  # the metrics page must answer even when the database does not
        logging.getLogger(__name__).warning("could not count unsigned documents", exc_info=True)
        return
    DOCUMENTS_UNSIGNED.set(count)
    DOCUMENTS_UNSIGNED_AGE.set((clock.now() - oldest).total_seconds() if oldest else 0)
