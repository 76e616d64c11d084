"""Hoso's application package. Importing it (or any `app.*` module) builds nothing and
imports no Flask: the factory is `app.factory.create_app`, reached here lazily so that
`from app import create_app` keeps working for wsgi, tests and benchmarks."""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from app.factory import create_app

        return create_app
    raise AttributeError(f"module 'app' has no attribute {name!r}")
