"""What flows between dossiers and the warehouse: results and accepted documents kept,
forms prefilled from them, and how much of each submission came from it (agency statistics).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.models.accounts import User
from app.models.dossiers import Dossier, DossierEvent
from app.models.uploads import COMPLETE, Upload
from app.models.warehouse import DOCUMENT, RESULT, SubmissionStats, WarehouseRecord
from app.services import clock, forms
from app.services import dossiers as dossier_svc
from app.services.ids import as_uuid
from app.services.warehouse import (
    SOURCE_LABELS,
    add_record,
    ensure_profile,
    record_label,
    records_of,
)
from app.services.warehouse_access import log_read

# ---- Prefill -----------------------------------------------------------------------------


def _record_value(record: WarehouseRecord, key: str) -> Any:
    if key == "number":
        return record.number
    if key == "issued_on":
        return record.issued_on.isoformat() if record.issued_on else None
    return (record.data or {}).get(key)


def prefill(
    session: Session, user: User, procedure_code: str, version: int, *, log: bool = True,
    with_documents: bool = True,
) -> dict[str, Any]:
    """Values the warehouse already holds for a form's `prefill` fields, with their source,
    and the records that can stand for its documents (`reuse`; not looked up when
    `with_documents` is false: a submission's statistics need only the fields)."""
    form = dossier_svc.form_version(session, procedure_code, version).form
    profile = ensure_profile(session, user)
    latest: dict[str, WarehouseRecord | None] = {}
    fields: dict[str, Any] = {}
    profile_keys: list[str] = []
    used: dict[uuid.UUID, tuple[WarehouseRecord, list[str]]] = {}
    for field in forms.iter_fields(form):
        where, _, path = (field.get("prefill") or "").partition(".")
        if where == "profile" and path in profile and profile[path].value not in (None, ""):
            p = profile[path]
            fields[field["name"]] = {
                "value": p.value,
                "source": {
                    "kind": "profile",
                    "label": SOURCE_LABELS.get(p.source, {"vi": p.source, "en": p.source}),
                    "verified": p.verified,
                },
            }
            profile_keys.append(path)
        elif where == "record" and "." in path:
            kind, key = path.split(".", 1)
            if kind not in latest:
                found = records_of(session, user, [kind])
                latest[kind] = found[0] if found else None
            record = latest[kind]
            value = _record_value(record, key) if record is not None else None
            if record is not None and value not in (None, ""):
                fields[field["name"]] = {
                    "value": value,
                    "source": {
                        "kind": "record",
                        "label": record_label(record),
                        "record_id": str(record.id),
                        "verified": True,
                    },
                }
                used.setdefault(record.id, (record, []))[1].append(key)
    documents: dict[str, list[dict[str, Any]]] = {}
    for doc in form.get("documents", []) if with_documents else ():
        if doc.get("reuse"):
            offered = records_of(session, user, list(doc["reuse"]))
            documents[doc["code"]] = [
                {"record_id": str(r.id), "kind": r.kind, "label": record_label(r)} for r in offered
            ]
            for r in offered:
                used.setdefault(r.id, (r, []))
    if log:
        if profile_keys:
            log_read(session, user.id, user, "prefill", keys=profile_keys)
        for record, keys in used.values():
            log_read(session, user.id, user, "prefill", record=record, keys=keys)
    return {"fields": fields, "documents": documents}


# ---- Listeners: results in, documents in, reuse measured --------------------------------


def on_transition(session: Session, dossier: Dossier, event: DossierEvent) -> None:
    if event.action == "submit" and not dossier.procedure.members:  # a bundle: its members count
        measure_submission(session, dossier, event.at)
    elif event.action == "accept":
        keep_documents(session, dossier)
    elif event.action == "return_result":
        keep_result(session, dossier)


def keep_result(session: Session, dossier: Dossier) -> WarehouseRecord | None:
    """The returned result becomes a record: its number, date and the dossier's values."""
    result, kind = dossier.result or {}, (dossier.procedure.result or {}).get("kind")
    if not kind:
        return None
    form = dossier_svc.form_version(session, dossier.procedure_code, dossier.form_version).form
    data = forms.visible_values(form, dossier.fields or {}, clock.today())
    issued = forms.parse_date(result.get("issued_on")) or clock.today()
    extra = result.get("data") if isinstance(result.get("data"), dict) else {}
    data.update(extra)
    data.update(number=result.get("number"), issued_on=issued.isoformat())
    return add_record(
        session,
        WarehouseRecord(
            owner_id=dossier.owner_id,
            origin=RESULT,
            kind=kind,
            label=(dossier.procedure.result or {}).get("label") or {"vi": kind, "en": kind},
            number=str(result.get("number") or "") or None,
            issued_on=issued,
            data=data,
            dossier_id=dossier.id,
            agency_code=dossier.agency_code,
        ),
    )


def keep_documents(session: Session, dossier: Dossier) -> None:
    """An accepted dossier's uploaded documents become reusable (kind = document code)."""
    form = dossier_svc.form_version(session, dossier.procedure_code, dossier.form_version).form
    labels = {d["code"]: d.get("label") or {} for d in form.get("documents", [])}
    for code, item in (dossier.documents or {}).items():
        key = as_uuid(item.get("upload_id")) if item.get("source") == "upload" else None
        upload = session.get(Upload, key) if key else None
        if upload is None or upload.status != COMPLETE or upload.owner_id != dossier.owner_id:
            continue
        exists = session.scalars(
            select(WarehouseRecord.id).where(
                WarehouseRecord.owner_id == dossier.owner_id,
                WarehouseRecord.kind == code,
                WarehouseRecord.sha256 == upload.sha256,
            )
        ).first()
        if exists is None:
            add_record(
                session,
                WarehouseRecord(
                    owner_id=dossier.owner_id,
                    origin=DOCUMENT,
                    kind=code,
                    label=labels.get(code, {}),
                    dossier_id=dossier.id,
                    agency_code=dossier.agency_code,
                    upload_id=upload.id,
                    sha256=upload.sha256,
                    size=upload.length,
                    content_type=upload.content_type,
                    filename=upload.filename,
                    issued_on=clock.local_date(upload.completed_at or clock.now()),
                ),
            )


def _filled(value: Any) -> bool:
    return value not in (None, "", [], {}, False)


def measure_submission(session: Session, dossier: Dossier, moment: datetime) -> None:
    """How much came from the warehouse: a field counts as prefilled when its submitted value
    equals what the warehouse holds for it; a document counts as reused when it was attached
    from a record instead of uploaded."""
    form = dossier_svc.form_version(session, dossier.procedure_code, dossier.form_version).form
    values = forms.visible_values(form, dossier.fields or {}, clock.local_date(moment))
    filled = {k for k, v in values.items() if _filled(v)}
    offered = prefill(session, dossier.owner, dossier.procedure_code, dossier.form_version,
                      log=False, with_documents=False)["fields"]
    prefillable = filled & set(offered)
    prefilled = {k for k in prefillable if values[k] == offered[k]["value"]}
    docs = dossier.documents or {}
    reused = [c for c, item in docs.items() if item.get("source") in ("warehouse", "dossier")]
    row = session.get(SubmissionStats, dossier.id) or SubmissionStats(dossier_id=dossier.id)
    row.procedure_code, row.agency_code = dossier.procedure_code, dossier.agency_code
    row.form_version, row.submitted_at = dossier.form_version, moment
    row.fields_filled, row.fields_prefillable = len(filled), len(prefillable)
    row.fields_prefilled, row.documents_total = len(prefilled), len(docs)
    row.documents_reused = len(reused)
    session.add(row)
    session.flush()


def reuse_stats(
    session: Session, agency_code: str, since: date | None = None, until: date | None = None
) -> list[dict[str, Any]]:
    """Per procedure of one agency: shares of prefilled fields and reused documents."""
    s = SubmissionStats
    stmt = (
        select(
            s.procedure_code,
            func.count(),
            func.sum(s.fields_filled),
            func.sum(s.fields_prefillable),
            func.sum(s.fields_prefilled),
            func.sum(s.documents_total),
            func.sum(s.documents_reused),
            func.sum(case((s.fields_prefilled + s.documents_reused > 0, 1), else_=0)),
        )
        .where(s.agency_code == agency_code)
        .group_by(s.procedure_code)
        .order_by(s.procedure_code)
    )
    if since:
        stmt = stmt.where(s.submitted_at >= datetime.combine(since, datetime.min.time(), clock.TZ))
    if until:
        stmt = stmt.where(
            s.submitted_at < datetime.combine(until + timedelta(days=1), datetime.min.time(), clock.TZ)
        )
    out = []
    for code, n, filled, able, pre, docs, reused, reusing in session.execute(stmt):
        out.append(
            {
                "procedure_code": code,
                "dossiers": n,
                "fields_filled": int(filled or 0),
                "fields_prefillable": int(able or 0),
                "fields_prefilled": int(pre or 0),
                "prefilled_share": _share(pre, filled),
                "documents": int(docs or 0),
                "documents_reused": int(reused or 0),
                "reused_share": _share(reused, docs),
                "dossiers_reusing_data": int(reusing or 0),
                "dossiers_reusing_share": _share(reusing, n),
            }
        )
    return out


def _share(part: Any, whole: Any) -> float | None:
    return round(int(part or 0) / int(whole), 4) if whole else None


if on_transition not in dossier_svc.transition_listeners:
    dossier_svc.transition_listeners.append(on_transition)
