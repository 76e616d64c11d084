"""A `limits` storage on the application's own database (scheme `hoso+sql://`).

flask-limiter keeps its counters in memory unless told otherwise: with three gunicorn
workers a limit allowed about three times its figure, and each node had its own. With
`REDIS_URL` the counters live in Redis; without it (the embedded default) they live in a
`throttle_counters` table through this storage, shared by every worker. Each hit is one
upsert statement in its own short transaction on a connection of this storage's own
engine, so it never joins the request's transaction (a failed sign-in is counted although
its request rolls back). On PostgreSQL the table is in the application's database; on
SQLite it is in a file of its own beside the database (`<database>-limits`), because
SQLite has one writer per file and a request may already hold the main file's.
"""

from __future__ import annotations

import time
from typing import Any

from limits.storage import Storage
from sqlalchemy import case, create_engine, delete, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from app.database import side_engine
from app.models.throttle import ThrottleCounter

_TABLE = ThrottleCounter.__table__
_ENGINES: dict[str, Engine] = {}


def limits_url(database_url: str) -> str:
    """Where the counters live for an application database."""
    if database_url.startswith("sqlite") and database_url.count("/") >= 3 \
            and not database_url.endswith(":memory:") and database_url != "sqlite://":
        return database_url + "-limits"
    return database_url


def _engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        return side_engine(url)
    engine = _ENGINES.get(url)
    if engine is None:
        engine = create_engine(url, connect_args={"timeout": 15})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=15000")
            cur.close()

        _TABLE.create(engine, checkfirst=True)
        engine = _ENGINES.setdefault(url, engine)
    return engine


class SqlStorage(Storage):
    """Fixed-window counters in `throttle_counters` (flask-limiter's default strategy)."""

    STORAGE_SCHEME = ["hoso+sql"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False,
                 database_url: str = "", **options: Any) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        if not database_url:
            raise ValueError("hoso+sql:// needs the database_url storage option")
        self.engine = _engine(limits_url(database_url))
        self._insert = (postgresql.insert if self.engine.dialect.name == "postgresql"
                        else sqlite.insert)

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        ins = self._insert(_TABLE).values(key=key, hits=amount, expires_at=now + expiry)
        live = _TABLE.c.expires_at > now
        stmt = ins.on_conflict_do_update(index_elements=[_TABLE.c.key], set_={
            "hits": case((live, _TABLE.c.hits + amount), else_=amount),
            "expires_at": case((live, _TABLE.c.expires_at), else_=now + expiry),
        }).returning(_TABLE.c.hits)
        with self.engine.begin() as conn:
            return int(conn.execute(stmt).scalar_one())

    def _row(self, key: str) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(select(_TABLE.c.hits, _TABLE.c.expires_at)
                                .where(_TABLE.c.key == key)).first()

    def get(self, key: str) -> int:
        row = self._row(key)
        return int(row.hits) if row is not None and row.expires_at > time.time() else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return float(row.expires_at) if row is not None and row.expires_at > time.time() \
            else time.time()

    def check(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(select(1))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        with self.engine.begin() as conn:
            return conn.execute(delete(_TABLE)).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(_TABLE).where(_TABLE.c.key == key))

    def sweep(self) -> int:
        """Drop windows that ended (expired rows are ignored anyway; this keeps it small)."""
        with self.engine.begin() as conn:
            return conn.execute(delete(_TABLE).where(_TABLE.c.expires_at < time.time())).rowcount
