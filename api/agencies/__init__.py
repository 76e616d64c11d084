"""The public agency directory: who handles dossiers where (routing is in the domain)."""

from __future__ import annotations

from flask import Response
from flask_smorest import Blueprint

from api.agencies.schemas import AgencyListOut
from api.caching import cached_json
from api.procedures import CATALOG_CACHE
from app.extensions import db
from app.services import directory

blp = Blueprint("agencies", __name__, url_prefix="/api/v1/agencies",
                description="Agency directory")


@blp.get("")
@blp.response(200, AgencyListOut)
def list_agencies() -> Response:
    """Every agency of the directory with its electronic identifier and administrative unit."""
    items = [directory.agency_dict(a) for a in directory.list_agencies(db.session)]
    return cached_json({"items": items}, cache_control=CATALOG_CACHE)
