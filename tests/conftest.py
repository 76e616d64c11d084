"""Shared fixtures: a real database (SQLite file or PostgreSQL), clients, users.

HOSO_TEST_DATABASE_URL selects the database; the default is a SQLite file in a
temporary folder. The catalog is loaded once; everything else is wiped after each test.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app import create_app
from app.extensions import db as _db
from app.models import Base, Procedure
from app.services import accounts, catalog

# The suite shares 2 cores with browsers and servers: generating examples may be slow there,
# which says nothing about the code under test, and no example may hit a deadline.
settings.register_profile("hoso", suppress_health_check=[HealthCheck.too_slow], deadline=None)
settings.load_profile("hoso")

STATIC_TABLES = {"agencies", "procedures", "form_versions", "holidays"}

# Tests that drive a real browser (Chromium, WebKitGTK) run once more when they fail: on a
# loaded 2-core machine a screen can miss its wait in one run of a long suite and not the
# next. A rerun shows as "R" and "N rerun" in the summary; one that fails twice fails the suite.
BROWSER_TESTS = ("tests/e2e/", "tests/webkit/")

# Cheap password hashes (argon2 still) for every app the tests start, here or in a server's
# process: some tests sign up hundreds of people. The process has one hasher and each app
# made sets its cost, so an app a test makes with a config of its own would otherwise put
# argon2's production cost back for every later test (one test went from 19 s to 190 s).
for _key, _value in (("TIME_COST", "1"), ("MEMORY_COST", "1024"), ("PARALLELISM", "1")):
    os.environ.setdefault(f"PASSWORD_HASH_{_key}", _value)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.startswith(BROWSER_TESTS):
            item.add_marker(pytest.mark.flaky(reruns=1))


def _database_url(tmp: Path) -> str:
    url = os.environ.get("HOSO_TEST_DATABASE_URL")
    if url:
        return url.replace("postgresql://", "postgresql+psycopg://", 1)
    return f"sqlite:///{tmp / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    tmp = tmp_path_factory.mktemp("hoso")
    application = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": _database_url(tmp),
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-hs256",
        "JWT_SECRET_KEY": "test-secret-key-that-is-long-enough-for-hs256",
        "UPLOAD_DIR": str(tmp / "uploads"),
        "PKI_DIR": str(tmp / "pki"),  # empty: documents are signed only in tests/results
        "PAYOS_SANDBOX": True,
        "PAYOS_SANDBOX_DB": str(tmp / "payos-sandbox.sqlite3"),
        "REFRESH_REUSE_GRACE_SECONDS": 0,
        # Every test signs up from 127.0.0.1; tests/app/test_limits.py lowers these.
        "RATELIMIT_REGISTER_IP": "100000/hour",
        "RATELIMIT_LOGIN_IP": "100000/minute",
        "LOGIN_FAILURES_IP": "100000/minute",
        "RATELIMIT_CODES_RECIPIENT": "100000/minute",
        "RATELIMIT_REFRESH_IP": "100000/minute",
        "RATELIMIT_REFRESH_SESSION": "100000/minute",
        "RATELIMIT_UPLOADS_USER": "100000/minute",
        "RATELIMIT_PUSH_USER": "100000/hour",
    })
    with application.app_context():
        Base.metadata.drop_all(_db.engine)
        Base.metadata.create_all(_db.engine)
        catalog.load_demo(_db.session)
        _db.session.commit()
    yield application


# Each table's own sequences (serial and identity columns), to start them again from 1.
OWNED_SEQUENCES = text("""SELECT t.relname, s.relname FROM pg_class s
    JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i')
    JOIN pg_class t ON t.oid = d.refobjid WHERE s.relkind = 'S'""")
_SEQUENCES: list[tuple[str, str]] = []


def _empty_postgresql(conn: Any, tables: list[Any]) -> None:
    """What TRUNCATE … RESTART IDENTITY would leave, at a fraction of its cost: a TRUNCATE of
    every table took ≈ 0.1 s per test, and most tables are empty after a test. One statement
    finds the tables with rows; those are emptied with the foreign keys' triggers off (so the
    order does not matter) and their sequences start again."""
    probe = " UNION ALL ".join(f"(SELECT '{t.name}' FROM \"{t.name}\" LIMIT 1)" for t in tables)
    dirty = {row[0] for row in conn.execute(text(probe))}
    if not dirty:
        return
    conn.execute(text("SET LOCAL session_replication_role = replica"))
    for t in tables:
        if t.name in dirty:
            conn.execute(t.delete())
    if not _SEQUENCES:  # the schema does not change during the run: read once
        _SEQUENCES.extend(tuple(row) for row in conn.execute(OWNED_SEQUENCES))
    for table, sequence in _SEQUENCES:
        if table in dirty:
            conn.execute(text("SELECT setval(:s, 1, false)"), {"s": f'"{sequence}"'})


def wipe(app: Any) -> None:
    with app.app_context():
        from app.limits import limiter

        limiter.reset()  # the abuse limits' counters (kept beside a SQLite database)
        _db.session.remove()
        tables = [t for t in reversed(Base.metadata.sorted_tables) if t.name not in STATIC_TABLES]
        for attempt in range(5):
            try:
                with _db.engine.begin() as conn:
                    if conn.dialect.name == "postgresql":
                        _empty_postgresql(conn, tables)
                    else:
                        for t in tables:
                            conn.execute(t.delete())
                return
            except OperationalError:
                # A live server's last request (a browser closing, a push delivery) can still
                # hold a table the wipe needs: PostgreSQL picks the wipe as a deadlock's victim.
                if attempt == 4:
                    raise
                time.sleep(0.2 * (attempt + 1))


@pytest.fixture()
def db(app: Any) -> Iterator[Any]:
    with app.app_context():
        yield _db
        _db.session.rollback()
    wipe(app)


@pytest.fixture()
def client(app: Any, db: Any) -> Any:
    return app.test_client()


class Actor:
    """A signed-in user with ready Authorization headers."""

    def __init__(self, user: Any, tokens: dict[str, Any], password: str) -> None:
        self.user, self.id, self.password = user, user.id, password
        self.access, self.refresh = tokens["access_token"], tokens["refresh_token"]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access}"}


@pytest.fixture()
def make_citizen(db: Any) -> Any:
    def make(name: str = "Nguyễn Văn An", phone: str | None = None, language: str = "vi") -> Actor:
        phone = phone or f"09{uuid.uuid4().int % 10**8:08d}"
        password = "Khong-doan-duoc-42"
        user = accounts.register(db.session, password=password, full_name=name, phone=phone,
                                 language=language)
        actor = Actor(user, accounts.issue_tokens(db.session, user), password)
        db.session.commit()
        # End the read transaction a later attribute access would open: on SQLite it would
        # hold the write lock that a live server in the same test needs.
        db.session.rollback()
        return actor

    return make


@pytest.fixture()
def citizen(make_citizen: Any) -> Actor:
    return make_citizen()


@pytest.fixture()
def make_official(db: Any) -> Any:
    def make(role: str = "leader", agency: str | None = None,
             procedure: str = "birth-registration") -> Actor:
        """An official of `agency`, by default the agency handling `procedure`."""
        agency = agency or db.session.get(Procedure, procedure).agency_code
        password = "Can-bo-mot-cua-2026"
        user = accounts.create_official(db.session, email=f"{uuid.uuid4().hex[:10]}@office.test",
                                        password=password, full_name=f"Cán bộ {role}",
                                        agency_code=agency, role=role)
        actor = Actor(user, accounts.issue_tokens(db.session, user), password)
        db.session.commit()
        # End the read transaction a later attribute access would open: on SQLite it would
        # hold the write lock that a live server in the same test needs.
        db.session.rollback()
        return actor

    return make


@pytest.fixture()
def official(make_official: Any) -> Actor:
    return make_official()


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Any]:
    """One Playwright driver for the whole run: a second sync instance cannot start while one runs."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw
