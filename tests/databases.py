"""Which database this pass of the suite runs on (scripts/test.sh: SQLite, then PostgreSQL),
for the tests that need PostgreSQL's concurrency or a connection of their own."""

from __future__ import annotations

import os
from typing import Any

import pytest

ON_POSTGRESQL = os.environ.get("HOSO_TEST_DATABASE_URL", "").startswith("postgres")


def postgresql_only(reason: str) -> pytest.MarkDecorator:
    """Skip on SQLite, saying why the test needs PostgreSQL."""
    return pytest.mark.skipif(not ON_POSTGRESQL, reason=reason)


def libpq_dsn(app: Any) -> str:
    """The app's database as psycopg connects to it directly (without SQLAlchemy's driver name)."""
    return app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg://", "postgresql://")
