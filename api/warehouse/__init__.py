"""The citizen's data warehouse: overview, prefill, records; reuse statistics for officials.

See docs/uploads.md. Every read of a citizen's data through these views is logged.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, send_file
from flask_jwt_extended import current_user, verify_jwt_in_request
from flask_smorest import Blueprint

from api.security import BEARER, citizen_required, official_required
from api.transactions import commits
from api.warehouse.schemas import FILE_OK, JSON_OK, PrefillQuery, StatsQuery
from app.errors import NotFound
from app.extensions import db
from app.services import catalog, upload_store, warehouse, warehouse_access, warehouse_reuse

blp = Blueprint(
    "warehouse",
    __name__,
    url_prefix="/api/v1/warehouse",
    description="The citizen's data warehouse (once-only)",
)
stats_blp = Blueprint(
    "office_stats", __name__, url_prefix="/api/v1/office", description="Back office: data reuse statistics"
)


def _no_store(data: dict[str, Any]) -> Response:
    resp = current_app.json.response(data)
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@blp.get("")
@blp.doc(security=BEARER, responses=JSON_OK)
@citizen_required
@commits
def overview() -> Response:
    """My profile, results, reusable documents, and who read them when."""
    data = warehouse_access.overview(db.session, current_user)
    return _no_store(data)


@blp.get("/prefill")
@blp.arguments(PrefillQuery, location="query")
@blp.doc(security=BEARER, responses=JSON_OK)
@citizen_required
@commits
def prefill(query: dict[str, Any]) -> Response:
    """Values the state already holds for a form, with their source; records to reuse."""
    version = query["version"] or catalog.get_procedure(db.session, query["procedure"]).current_version
    data = warehouse_reuse.prefill(db.session, current_user, query["procedure"], version)
    return _no_store(data)


@blp.get("/records/<record_id>")
@blp.doc(security=BEARER, responses=JSON_OK)
@commits
def get_record(record_id: str) -> Response:
    """One record: for its owner, or an official handling a dossier that uses it (logged)."""
    verify_jwt_in_request()
    record, dossier_id = warehouse.get_record_for(db.session, current_user, record_id)
    warehouse_access.log_read(
        db.session,
        record.owner_id,
        current_user,
        "review" if current_user.is_official else "view",
        record=record,
        keys=sorted(record.data or {}),
        dossier_id=dossier_id,
    )
    data = warehouse.record_dict(record)
    return _no_store(data)


@blp.get("/records/<record_id>/content")
@blp.doc(security=BEARER, responses=FILE_OK)
@commits
def record_content(record_id: str) -> Response:
    """A document record's file (same access rules as the record; logged)."""
    verify_jwt_in_request()
    record, dossier_id = warehouse.get_record_for(db.session, current_user, record_id)
    if record.sha256 is None:
        raise NotFound("This record has no file.")
    path = upload_store.local_blob(upload_store.Settings.from_config(current_app.config), record.sha256)
    if path is None:
        raise NotFound("The file is no longer stored.")
    warehouse_access.log_read(
        db.session, record.owner_id, current_user, "download", record=record, dossier_id=dossier_id
    )
    resp = send_file(
        path,
        mimetype=record.content_type or "application/octet-stream",
        as_attachment=True,
        download_name=record.filename or record.kind,
        etag=record.sha256,
        conditional=True,
        max_age=0,
    )
    resp.headers["Cache-Control"] = "private, no-cache"
    return resp


@stats_blp.get("/stats")
@stats_blp.arguments(StatsQuery, location="query")
@stats_blp.doc(security=BEARER, responses=JSON_OK)
@official_required
def reuse_stats(query: dict[str, Any]) -> Response:
    """Per procedure of my agency: share of fields prefilled and of documents reused."""
    rows = warehouse_reuse.reuse_stats(db.session, current_user.agency_code, query["since"], query["until"])
    names = {p.code: p.name for p in catalog.list_procedures(db.session)}
    for row in rows:
        row["procedure_name"] = names.get(row["procedure_code"])
    return _no_store(
        {
            "agency_code": current_user.agency_code,
            "from": query["since"].isoformat() if query["since"] else None,
            "to": query["until"].isoformat() if query["until"] else None,
            "procedures": rows,
        }
    )
