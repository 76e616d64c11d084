"""Configuration: one class that reads the environment, with laptop-friendly defaults."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path


def _instance_secret(instance_path: Path, name: str) -> str:
    """Read a generated secret from instance/, creating it at first run (never in the repo)."""
    path = instance_path / name
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value


class Config:
    """Everything tunable comes from environment variables."""

    def __init__(self, instance_path: str | Path, **overrides: object) -> None:
        self.instance_path = Path(instance_path)
        env = os.environ
        self.SQLALCHEMY_DATABASE_URI = env.get(
            "DATABASE_URL", f"sqlite:///{self.instance_path / 'hoso.sqlite3'}"
        )
        if self.SQLALCHEMY_DATABASE_URI.startswith("postgres://"):
            self.SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://" + self.SQLALCHEMY_DATABASE_URI[11:]
        elif self.SQLALCHEMY_DATABASE_URI.startswith("postgresql://"):
            self.SQLALCHEMY_DATABASE_URI = (
                "postgresql+psycopg://" + self.SQLALCHEMY_DATABASE_URI[13:]
            )
        self.SECRET_KEY = env.get("SECRET_KEY") or _instance_secret(self.instance_path, "secret_key")
        self.JWT_SECRET_KEY = env.get("JWT_SECRET_KEY") or self.SECRET_KEY
        # Older signing keys still accepted after a rotation (comma-separated, oldest first).
        self.JWT_PREVIOUS_SECRET_KEYS = [
            k.strip() for k in env.get("JWT_PREVIOUS_SECRET_KEYS", "").split(",") if k.strip()]
        self.JWT_ACCESS_TOKEN_EXPIRES = timedelta(
            seconds=int(env.get("JWT_ACCESS_SECONDS", "900"))
        )
        self.JWT_REFRESH_TOKEN_EXPIRES = timedelta(
            days=int(env.get("JWT_REFRESH_DAYS", "90"))
        )
        self.REDIS_URL = env.get("REDIS_URL") or None
        self.VAPID_PRIVATE_KEY = env.get("VAPID_PRIVATE_KEY") or None
        self.VAPID_SUBJECT = env.get("VAPID_SUBJECT", "mailto:ops@hoso.example")
        self.PUSH_ALLOWED_HOSTS = [
            h.strip()
            for h in env.get(
                "PUSH_ALLOWED_HOSTS",
                "fcm.googleapis.com,updates.push.services.mozilla.com,"
                "*.notify.windows.com,web.push.apple.com,*.push.apple.com",
            ).split(",")
            if h.strip()
        ]
        self.UPLOAD_DIR = env.get("UPLOAD_DIR") or str(self.instance_path / "uploads")
        # Payments (docs/payments.md): payOS settings, or the sandbox gateway Hoso serves
        # itself (PAYOS_SANDBOX=1: never in production).
        self.PAYOS_SANDBOX = env.get("PAYOS_SANDBOX", "") == "1"
        self.PAYOS_CLIENT_ID = env.get("PAYOS_CLIENT_ID") or None
        self.PAYOS_API_KEY = env.get("PAYOS_API_KEY") or None
        self.PAYOS_CHECKSUM_KEY = env.get("PAYOS_CHECKSUM_KEY") or None
        self.PAYOS_BASE_URL = env.get("PAYOS_BASE_URL") or None
        self.PAYOS_SANDBOX_DB = env.get("PAYOS_SANDBOX_DB") or str(
            self.instance_path / "payos-sandbox.sqlite3")
        self.PAYOS_SANDBOX_PUBLIC_URL = env.get("PAYOS_SANDBOX_PUBLIC_URL", "")
        self.PAYOS_SANDBOX_WEBHOOK_URL = env.get("PAYOS_SANDBOX_WEBHOOK_URL") or None
        self.MAX_CONTENT_LENGTH = int(env.get("MAX_BODY_BYTES", str(2 * 1024 * 1024)))
        self.SYNC_MAX_BATCH = 100
        self.SYNC_MAX_BATCH_BYTES = 1024 * 1024
        # Server faults (sync/faults.py): deliveries before a mutation is dead-lettered, and
        # the Retry-After sent while it is retried.
        self.SYNC_POISON_DELIVERIES = int(env.get("SYNC_POISON_DELIVERIES", "5"))
        self.SYNC_FAULT_RETRY_AFTER = int(env.get("SYNC_FAULT_RETRY_AFTER", "30"))
        self.PWA_DIR = env.get("PWA_DIR") or str(Path(__file__).resolve().parent.parent / "pwa")
        # How long a process serves a catalog page it encoded before reading it again
        # (api/caching.py); a change made by this process is served at once.
        self.CATALOG_CACHE_SECONDS = float(env.get("CATALOG_CACHE_SECONDS", "1"))
        self.TIMEZONE = env.get("HOSO_TIMEZONE", "Asia/Ho_Chi_Minh")
        # Signed documents (docs/results.md): agency keys, an optional RFC 3161 TSA, and
        # the public address printed in QR codes (else the request's own host).
        self.PKI_DIR = env.get("PKI_DIR") or str(self.instance_path / "pki")
        self.TSA_URL = env.get("TSA_URL") or None
        self.PUBLIC_URL = env.get("PUBLIC_URL") or None

        # Fixed framework settings.
        # PostgreSQL's pooled connections are checked when they idled (app/database.py).
        self.SQLALCHEMY_ENGINE_OPTIONS: dict[str, object] = {}
        self.DB_IDLE_PING_SECONDS = float(env.get("DB_IDLE_PING_SECONDS", "10"))
        # Behind a reverse proxy: how many proxies' X-Forwarded-* headers to trust.
        self.PROXY_FIX = int(env.get("PROXY_FIX", "0"))
        self.API_TITLE = "Hoso API"
        self.API_VERSION = "v1"
        self.OPENAPI_VERSION = "3.0.3"
        self.OPENAPI_URL_PREFIX = "/api/v1"
        self.OPENAPI_JSON_PATH = "openapi.json"
        # Swagger UI's assets come from the swagger-ui-bundle package, served locally.
        self.OPENAPI_SWAGGER_UI_PATH = "docs"
        self.OPENAPI_SWAGGER_UI_URL = "/api/v1/docs-assets/"
        # argon2's cost (unset: the library's defaults; tests lower them).
        for key in ("TIME_COST", "MEMORY_COST", "PARALLELISM"):
            setattr(self, f"PASSWORD_HASH_{key}", env.get(f"PASSWORD_HASH_{key}") or None)
        # Text messages (app/services/sms.py): "outbox" (development: kept for the demo to
        # show, the default) or "speedsms" with its access token, sender and message type.
        self.SMS_PROVIDER = env.get("SMS_PROVIDER", "outbox")
        self.SPEEDSMS_ACCESS_TOKEN = env.get("SPEEDSMS_ACCESS_TOKEN") or None
        self.SPEEDSMS_SENDER = env.get("SPEEDSMS_SENDER", "")
        self.SPEEDSMS_SMS_TYPE = int(env.get("SPEEDSMS_SMS_TYPE", "2"))
        self.SPEEDSMS_URL = env.get("SPEEDSMS_URL", "https://api.speedsms.vn/index.php")
        # /metrics answers only these networks (and a bearer METRICS_TOKEN, when set).
        self.METRICS_ALLOWED_NETWORKS = [n.strip() for n in env.get(
            "METRICS_ALLOWED_NETWORKS", "127.0.0.0/8,::1/128").split(",") if n.strip()]
        self.METRICS_TOKEN = env.get("METRICS_TOKEN") or None
        self.CORS_ORIGINS = [o.strip() for o in env.get("CORS_ORIGINS", "").split(",") if o.strip()]
        self.FORCE_HSTS = env.get("FORCE_HSTS", "") == "1"
        # Abuse limits (see app/limits.py), each overridable, e.g. RATELIMIT_LOGIN_IP="60/minute".
        from app.limits import DEFAULTS as LIMIT_DEFAULTS

        for key, value in LIMIT_DEFAULTS.items():
            setattr(self, key, env.get(key, value))
        self.PROPAGATE_EXCEPTIONS = False
        for key, value in overrides.items():
            setattr(self, key, value)
        if not str(self.SQLALCHEMY_DATABASE_URI).startswith("sqlite"):
            # One pool per gunicorn worker, sized to its threads (gunicorn.conf.py sets these).
            self.SQLALCHEMY_ENGINE_OPTIONS = {
                "pool_size": int(env.get("DB_POOL_SIZE", "5")),
                "max_overflow": int(env.get("DB_MAX_OVERFLOW", "5")),
                "pool_timeout": int(env.get("DB_POOL_TIMEOUT", "10")),
                **self.SQLALCHEMY_ENGINE_OPTIONS}
