"""`flask db upgrade` builds the schema from nothing, and it matches the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from app import create_app
from app.models import Base


def _fresh_url(app, tmp_path) -> str:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    base, _, name = url.rpartition("/")
    check = f"{name.split('?')[0]}_migration_check"  # one per test database: runs don't collide
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{check}"'))
        conn.execute(text(f'CREATE DATABASE "{check}"'))
    admin.dispose()
    return f"{base}/{check}"


def test_upgrade_from_nothing_matches_models(app, tmp_path):
    url = _fresh_url(app, tmp_path)
    fresh = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x" * 40})
    with fresh.app_context():
        upgrade()
        engine = create_engine(url)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        engine.dispose()
        from app.extensions import db

        db.engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"
