"""Shared code tables (ethnic groups, nationalities, administrative units) shipped as data.

Each table is one JSON document in app/demo/code_tables with its named, dated source;
forms take their options from them and the directory routes by their unit codes.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from app.errors import NotFound
from app.services.etags import canonical_etag

TABLES_DIR = Path(__file__).resolve().parent.parent / "demo" / "code_tables"


@cache
def _documents() -> dict[str, dict[str, Any]]:
    docs = {}
    for path in sorted(TABLES_DIR.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        docs[doc["name"]] = doc
    return docs


@cache
def _index(name: str) -> dict[str, dict[str, Any]]:
    return {item["code"]: item for item in table(name)["items"]}


def names() -> list[str]:
    """The names of the tables, sorted."""
    return sorted(_documents())


def table(name: str) -> dict[str, Any]:
    """The whole document of a table: name, version, source, items."""
    doc = _documents().get(name)
    if doc is None:
        raise NotFound(f"No code table {name!r}.")
    return doc


@cache
def etag(name: str) -> str:
    """A strong validator of a table's document (changes whenever its content does)."""
    return canonical_etag(table(name))


def codes(name: str) -> frozenset[str]:
    """The codes a table holds."""
    return frozenset(_index(name))


def item(name: str, code: str) -> dict[str, Any] | None:
    """One item of a table, or None for a code the table does not hold."""
    return _index(name).get(code)
