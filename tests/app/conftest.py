"""Fixtures of the app's own tests."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers import ROOT


@pytest.fixture()
def shell(app: Any, tmp_path: Path) -> Iterator[Path]:
    """A copy of pwa/ the app serves for this test (the test edits it as a release would)."""
    copy = tmp_path / "pwa"
    shutil.copytree(ROOT / "pwa", copy)
    before = app.config["PWA_DIR"]
    app.config["PWA_DIR"] = str(copy)
    yield copy
    app.config["PWA_DIR"] = before
