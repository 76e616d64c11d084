"""Signed-document fixtures: a demo CA and agency keys in a temporary folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.models.accounts import Agency
from app.services import pki
from app.signing import EXTENSION


def make_demo_keys(app: Any, directory: Path) -> pki.AgencyKeys:
    """What `flask pki init` does: a demo CA and a key for every agency of the catalog."""
    keys = pki.AgencyKeys(directory)
    with app.app_context():
        from app.extensions import db

        agencies = [(a.code, a.name["vi"]) for a in db.session.scalars(select(Agency))]
    pki.init_demo(keys, agencies)
    return keys


@pytest.fixture(scope="session")
def demo_keys(app: Any, tmp_path_factory: pytest.TempPathFactory) -> pki.AgencyKeys:
    return make_demo_keys(app, tmp_path_factory.mktemp("agency-pki"))


@pytest.fixture()
def signing(app: Any, demo_keys: pki.AgencyKeys) -> Iterator[pki.AgencyKeys]:
    """Agencies sign what they issue for the duration of a test."""
    settings = app.extensions[EXTENSION]
    before = settings.keys
    settings.keys = demo_keys
    yield demo_keys
    settings.keys = before
