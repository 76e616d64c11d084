"""Upload fixtures: the upload area of the test app, emptied after each test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture()
def upload_root(app: Any, db: Any) -> Iterator[Path]:
    root = Path(app.config["UPLOAD_DIR"])
    shutil.rmtree(root, ignore_errors=True)
    yield root
    shutil.rmtree(root, ignore_errors=True)
