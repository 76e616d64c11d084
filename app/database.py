"""Engine settings per database: SQLite's pragmas and write lock, PostgreSQL's pool checks."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

_LAST_USED = "hoso_last_used"


def tune(engine: Engine, idle_ping_seconds: float) -> None:
    """`idle_ping_seconds`: a pooled PostgreSQL connection unused for longer is checked
    before it is lent (DB_IDLE_PING_SECONDS)."""
    if engine.dialect.name == "sqlite":
        _tune_sqlite(engine)
    else:
        _ping_when_idle(engine, idle_ping_seconds)


def _tune_sqlite(engine: Engine) -> None:
    """SQLite: WAL, foreign keys, and write transactions that queue instead of failing."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front, so two transactions never deadlock
        # upgrading a read lock; SQLite serialises writers, PostgreSQL does not need this.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """`pool_pre_ping`, but only for a connection that sat unused for a while.

    A ping on every checkout is a round trip per request; a connection in steady use is
    known to be alive. One that idled may have been cut (a database restart, a firewall's
    idle timeout): it is pinged, and a dead one is replaced before the request sees it. A
    connection that dies while in use fails that request (503, or the sync push retries
    it), and SQLAlchemy then renews the whole pool.
    """
    dialect = engine.dialect

    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        if record is not None:
            record.info[_LAST_USED] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        last = record.info.get(_LAST_USED)
        if last is None or time.monotonic() - last < idle_seconds:
            return  # brand new, or in steady use
        try:
            alive = dialect.do_ping(dbapi_conn)
        except Exception as exc:
            raise DisconnectionError(str(exc)) from exc
        if not alive:
            raise DisconnectionError("ping failed")


_SIDE_ENGINES: dict[str, Engine] = {}


def side_engine(url: str) -> Engine:
    """A small engine of the process's own on the PostgreSQL database at `url`, beside the
    application's, for work committed at once in a transaction of its own, one statement
    long (the limits' counters, receipt numbers). It never joins a request's transaction, and
    it has its own pool: taking a second connection from the application's pool, requests
    that each hold their first could wait on one another for ever. One engine per URL."""
    engine = _SIDE_ENGINES.get(url)
    if engine is None:
        engine = _SIDE_ENGINES.setdefault(url, create_engine(
            url, pool_size=2, max_overflow=4, pool_pre_ping=True))
    return engine
