"""Which database this pass of the suite runs on (scripts/test.sh: SQLite, then PostgreSQL),
for the tests that need PostgreSQL's concurrency or a connection of their own."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

ON_POSTGRESQL = os.environ.get("HOSO_TEST_DATABASE_URL", "").startswith("postgres")


def postgresql_only(reason: str) -> pytest.MarkDecorator:
    """Skip on SQLite, saying why the test needs PostgreSQL."""
    return pytest.mark.skipif(not ON_POSTGRESQL, reason=reason)


def libpq_dsn(app: Any) -> str:
    """The app's database as psycopg connects to it directly (without SQLAlchemy's driver name)."""
    return app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg://", "postgresql://")


@contextmanager
def selects_run(engine: Any) -> Iterator[list[str]]:
    """Every SELECT the engine sends inside the block, its whitespace collapsed: the tests
    that hold a request to a number of reads (no query per row or per mutation)."""
    seen: list[str] = []

    def keep(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        text = " ".join(statement.split())
        if text.upper().startswith("SELECT"):
            seen.append(text)

    event.listen(engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", keep)
