"""The Hoso application factory: builds the Flask app and binds every subsystem to it."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, request
from flask.sessions import SessionInterface
from werkzeug.routing import IntegerConverter

from app.config import Config
from app.errors import UnsupportedMediaType
from app.extensions import api, db, jwt, migrate

JSON_METHODS = {"POST", "PUT", "PATCH"}


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask("app", instance_relative_config=True)
    app.config.from_object(Config(app.instance_path, **(config or {})))
    from app.services.passwords import hasher

    hasher.configure(**{k: int(app.config[f"PASSWORD_HASH_{k.upper()}"])
                        for k in ("time_cost", "memory_cost", "parallelism")
                        if app.config.get(f"PASSWORD_HASH_{k.upper()}")})
    # JSON as it is built (no key sorting), Vietnamese as UTF-8 rather than \uXXXX escapes:
    # "Nguyễn" is 8 bytes instead of 11 on a phone's 2G link.
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.session_interface = NoCookieSession()
    if app.config.get("PROXY_FIX"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_FIX"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops,  # type: ignore[method-assign]
                                x_port=hops)
    # `<int:…>` in a URL matches only what a database integer holds: a 30-digit version
    # is a 404, not an overflow deep in the driver.
    app.url_map.converters["int"] = BoundedInt
    from app import database, observability

    observability.init_app(app)
    db.init_app(app)
    from app import limits

    limits.init_app(app)
    with app.app_context():
        database.tune(db.engine, app.config["DB_IDLE_PING_SECONDS"])
    migrate.init_app(app, db, directory=str(_migrations_dir()))
    jwt.init_app(app)
    from app.services import accounts
    from app.tokens import JwtTokenCodec

    accounts.configure(JwtTokenCodec(), lambda: current_app.config)
    api.init_app(app, spec_kwargs={"components": {"securitySchemes": {
        "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}}})

    import api as resources
    from api.problems import register_error_handlers
    from api.security import init_jwt
    from app import cli, headers, pwa

    init_jwt(app)
    resources.register(api, app)
    app.register_blueprint(pwa.bp)
    register_error_handlers(app)
    headers.init_app(app)
    cli.register(app)
    from app import signing

    signing.init_app(app)
    from app import payments

    payments.init_app(app)

    @app.before_request
    def _require_json() -> None:
        if (request.method in JSON_METHODS and request.path.startswith("/api/")
                and not request.path.startswith("/api/v1/uploads")
                and (request.content_length or request.headers.get("Transfer-Encoding"))
                and not request.is_json):
            raise UnsupportedMediaType()

    return app


class NoCookieSession(SessionInterface):
    """Hoso keeps nothing in a cookie session: the API and the PWA authenticate with bearer
    tokens. Flask's default signed-cookie session built a signer on every request (about
    30 µs) for nothing; `flask.session` is now a null session that refuses writes."""

    def open_session(self, app: Flask, request: Any) -> Any:
        return self.make_null_session(app)

    def save_session(self, app: Flask, session: Any, response: Any) -> None:
        return None


class BoundedInt(IntegerConverter):
    def __init__(self, url_map: Any, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = 2**31 - 1, signed: bool = False) -> None:
        super().__init__(url_map, fixed_digits, min, max, signed)


def _migrations_dir() -> Any:
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "migrations"
