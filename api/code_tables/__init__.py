"""Shared code tables (ethnic groups, nationalities, administrative units), cached like the catalog."""

from __future__ import annotations

from flask import Response, url_for
from flask_smorest import Blueprint

from api.caching import cached_json
from api.code_tables.schemas import TableIndexOut, TableOut
from api.procedures import CATALOG_CACHE
from app.services import code_tables

blp = Blueprint("code_tables", __name__, url_prefix="/api/v1/code-tables",
                description="Code tables used by forms and routing")


@blp.get("")
@blp.response(200, TableIndexOut)
def list_tables() -> Response:
    """Each table's name, version and strong ETag, to refresh only what changed."""
    tables = [{"name": name, "version": code_tables.table(name)["version"],
               "etag": code_tables.etag(name),
               "href": url_for("code_tables.get_table", name=name)}
              for name in code_tables.names()]
    return cached_json({"tables": tables}, cache_control=CATALOG_CACHE)


@blp.get("/<name>")
@blp.response(200, TableOut)
def get_table(name: str) -> Response:
    """One table with its source; 304 when If-None-Match holds its ETag."""
    return cached_json(code_tables.table(name), cache_control=CATALOG_CACHE,
                       etag=code_tables.etag(name))
