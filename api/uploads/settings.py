"""The upload settings of the running app (UPLOAD_DIR, sizes, lifetimes)."""

from __future__ import annotations

from flask import current_app

from app.services import upload_store


def settings() -> upload_store.Settings:
    return upload_store.Settings.from_config(current_app.config)
