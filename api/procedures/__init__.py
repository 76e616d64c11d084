"""The public procedure catalog and its immutable form versions."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Blueprint

from api.caching import catalog_bodies, encoded_json
from api.procedures.schemas import FormOut, ProcedureListOut, ProcedureOut, ProcedureQuery
from app.extensions import db
from app.services import catalog
from app.services.representations import form_dict, procedure_dict

blp = Blueprint("procedures", __name__, url_prefix="/api/v1/procedures",
                description="Procedure catalog")
# Phones revalidate the catalog cheaply (304) and may show a day-old copy offline.
CATALOG_CACHE = "public, max-age=0, must-revalidate, stale-while-revalidate=86400"
FORM_CACHE = "public, max-age=31536000, immutable"


@blp.get("")
@blp.arguments(ProcedureQuery, location="query")
@blp.response(200, ProcedureListOut)
def list_procedures(query: dict[str, Any]) -> Response:
    """All procedures, optionally searched by name."""
    q, category = query.get("q"), query.get("category")

    def build() -> tuple[dict[str, Any], None]:
        procs = catalog.list_procedures(db.session, q, category)
        return {"items": [procedure_dict(p) for p in procs]}, None

    body, etag = catalog_bodies.get(("list", q, category), build)
    return encoded_json(body, etag, CATALOG_CACHE)


@blp.get("/<code>")
@blp.response(200, ProcedureOut)
def get_procedure(code: str) -> Response:
    """One procedure: documents, fees, processing time, agency, form versions."""
    body, etag = catalog_bodies.get(
        ("procedure", code), lambda: (procedure_dict(catalog.get_procedure(db.session, code)), None))
    return encoded_json(body, etag, CATALOG_CACHE)


@blp.get("/<code>/forms/<int:version>")
@blp.response(200, FormOut)
def get_form(code: str, version: int) -> Response:
    """A published form version; its body never changes."""

    def build() -> tuple[dict[str, Any], str]:
        fv = catalog.get_form(db.session, code, version)
        return form_dict(fv), fv.etag

    body, etag = catalog_bodies.get(("form", code, version), build, immutable=True)
    return encoded_json(body, etag, FORM_CACHE)
