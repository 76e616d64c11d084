"""The citizen's data warehouse: identity profile, results and documents, prefill, access log.

Results enter when an official returns them and documents when a dossier is accepted
(both through `dossiers.transition_listeners`); each submission's reuse is measured for
the agency's statistics. Every read of a citizen's data is logged for them to see.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.errors import NotFound, ValidationFailed
from app.models.accounts import User
from app.models.dossiers import Dossier, DossierEvent
from app.models.uploads import COMPLETE, DocumentLink, Upload
from app.models.warehouse import (
    DOCUMENT,
    RESULT,
    AccessLogEntry,
    ProfileField,
    SubmissionStats,
    WarehouseRecord,
)
from app.services import clock, forms
from app.services import dossiers as dossier_svc
from app.services import lifecycle as lc
from sync import feed

SIGNUP, POPULATION_DB = "signup", "national_population_db"
SOURCE_LABELS = {
    SIGNUP: {"vi": "Thông tin đăng ký tài khoản", "en": "Account sign-up"},
    POPULATION_DB: {"vi": "Cơ sở dữ liệu quốc gia về dân cư",
                    "en": "National population database"},
}
PROFILE_KEYS = ("full_name", "date_of_birth", "sex", "national_id", "phone", "email",
                "residence_address", "ethnicity", "nationality", "home_town")
VIEW_COALESCE = timedelta(minutes=10)


# ---- Profile -----------------------------------------------------------------------------

def _upsert_ignore(session: Session, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(ProfileField).values(rows).on_conflict_do_nothing(
        index_elements=["user_id", "key"]))


def ensure_profile(session: Session, user: User) -> dict[str, ProfileField]:
    """The citizen's profile; what sign-up told us is filled in the first time it is needed.

    Phone and email count as verified by sign-up (the account signs in with them); the
    name is as the citizen typed it, so it is not verified.
    """
    found = {p.key: p for p in session.scalars(select(ProfileField)
                                                .where(ProfileField.user_id == user.id))}
    known = {"full_name": (user.full_name, False), "phone": (user.phone, True),
             "email": (user.email, True)}
    rows = [{"user_id": user.id, "key": k, "value": v, "source": SIGNUP, "verified": ok,
             "updated_at": clock.now()} for k, (v, ok) in known.items() if v and k not in found]
    if rows:
        _upsert_ignore(session, rows)
        found = {p.key: p for p in session.scalars(select(ProfileField)
                                                    .where(ProfileField.user_id == user.id)
                                                    .execution_options(populate_existing=True))}
    return found


def set_profile(session: Session, user: User, values: dict[str, Any], source: str,
                verified: bool) -> None:
    """Store fields fetched from an authoritative source (e.g. the population database)."""
    unknown = [k for k in values if k not in PROFILE_KEYS]
    if unknown:
        raise ValidationFailed("Unknown profile fields.", errors={k: ["Unknown."] for k in unknown})
    current = ensure_profile(session, user)
    for key, value in values.items():
        row = current.get(key) or ProfileField(user_id=user.id, key=key)
        row.value, row.source, row.verified, row.updated_at = value, source, verified, clock.now()
        session.add(row)
    session.flush()


def profile_dict(fields: dict[str, ProfileField]) -> dict[str, Any]:
    return {k: {"value": p.value, "source": p.source, "source_label": SOURCE_LABELS.get(p.source),
                "verified": p.verified, "updated_at": p.updated_at.isoformat()}
            for k, p in sorted(fields.items())}


# ---- Records -----------------------------------------------------------------------------

def record_label(record: WarehouseRecord) -> dict[str, str]:
    base = record.label or {}
    if not record.number:
        return dict(base)
    return {"vi": f"{base.get('vi', record.kind)} số {record.number}",
            "en": f"{base.get('en', record.kind)} No. {record.number}"}


def record_dict(record: WarehouseRecord) -> dict[str, Any]:
    return {
        "id": str(record.id), "origin": record.origin, "kind": record.kind,
        "label": record_label(record), "number": record.number,
        "issued_on": record.issued_on.isoformat() if record.issued_on else None,
        "data": record.data, "dossier_id": str(record.dossier_id) if record.dossier_id else None,
        "agency_code": record.agency_code, "has_file": record.sha256 is not None,
        "sha256": record.sha256, "size": record.size, "content_type": record.content_type,
        "filename": record.filename, "created_at": record.created_at.isoformat(),
    }


def get_record_owned(session: Session, user: User, record_id: Any) -> WarehouseRecord:
    key = _uuid(record_id)
    record = session.get(WarehouseRecord, key) if key else None
    if record is None or record.owner_id != user.id:
        raise NotFound("No such record.")
    return record


def get_record_for(session: Session, user: User, record_id: Any
                   ) -> tuple[WarehouseRecord, uuid.UUID | None]:
    """A record its owner may read, or an official whose agency handles a dossier using it."""
    key = _uuid(record_id)
    record = session.get(WarehouseRecord, key) if key else None
    if record is None:
        raise NotFound("No such record.")
    if not user.is_official:
        if record.owner_id != user.id:
            raise NotFound("No such record.")
        return record, None
    dossier_id = session.scalars(
        select(Dossier.id).join(DocumentLink, DocumentLink.dossier_id == Dossier.id)
        .where(DocumentLink.record_id == record.id, Dossier.agency_code == user.agency_code,
               Dossier.status != lc.DRAFT)).first()
    if dossier_id is None:
        raise NotFound("No such record in a dossier of your agency.")
    return record, dossier_id


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


def add_record(session: Session, record: WarehouseRecord) -> WarehouseRecord:
    session.add(record)
    session.flush()
    feed.record(session, record.owner_id, "record", record.id)
    return record


def records_of(session: Session, user: User, kinds: list[str] | None = None
               ) -> list[WarehouseRecord]:
    """Newest first: the latest issued result of a kind is the one prefill uses."""
    stmt = select(WarehouseRecord).where(WarehouseRecord.owner_id == user.id)
    if kinds is not None:
        stmt = stmt.where(WarehouseRecord.kind.in_(kinds))
    return list(session.scalars(stmt.order_by(WarehouseRecord.issued_on.desc().nulls_last(),
                                              WarehouseRecord.created_at.desc())))


# ---- Access log --------------------------------------------------------------------------

def log_read(session: Session, owner_id: int, actor: User, purpose: str, *,
             record: WarehouseRecord | None = None, keys: list[str] | None = None,
             dossier_id: uuid.UUID | None = None, subject: str | None = None) -> None:
    now = clock.now()
    if not actor.is_official and purpose == "view":
        # The citizen re-opening their own page is one read, not one per refresh.
        same_subject = (AccessLogEntry.record_id == record.id if record is not None
                        else AccessLogEntry.record_id.is_(None))
        recent = session.scalars(select(AccessLogEntry.id).where(
            AccessLogEntry.owner_id == owner_id, AccessLogEntry.actor_id == actor.id,
            AccessLogEntry.purpose == purpose, AccessLogEntry.at > now - VIEW_COALESCE,
            same_subject)).first()
        if recent is not None:
            return
    session.add(AccessLogEntry(
        owner_id=owner_id, subject=subject or ("record" if record else "profile"),
        record_id=record.id if record else None, actor_id=actor.id,
        actor_kind="official" if actor.is_official else "citizen",
        agency_code=actor.agency_code, purpose=purpose, keys=sorted(keys or []),
        dossier_id=dossier_id, at=now))
    session.flush()


def log_upload_read(session: Session, upload: Upload, actor: User, *, dossier_id: uuid.UUID,
                    document_code: str) -> None:
    """An official downloading a citizen's uploaded file (`/uploads/<id>/content`): logged
    like a record read; subject `document` (keys: the document code) until the file has
    become a warehouse record, then that record."""
    record = session.scalars(select(WarehouseRecord).where(
        WarehouseRecord.upload_id == upload.id, WarehouseRecord.owner_id == upload.owner_id)).first()
    log_read(session, upload.owner_id, actor, "download", record=record, keys=[document_code],
             dossier_id=dossier_id, subject=None if record is not None else "document")


def access_log(session: Session, user: User, limit: int = 100) -> list[dict[str, Any]]:
    rows = session.execute(
        select(AccessLogEntry, WarehouseRecord, User)
        .outerjoin(WarehouseRecord, WarehouseRecord.id == AccessLogEntry.record_id)
        .outerjoin(User, User.id == AccessLogEntry.actor_id)
        .where(AccessLogEntry.owner_id == user.id)
        .order_by(AccessLogEntry.at.desc(), AccessLogEntry.id.desc()).limit(limit)).all()
    return [{
        "at": e.at.isoformat(), "subject": e.subject,
        "record_id": str(e.record_id) if e.record_id else None,
        "record_label": record_label(r) if r is not None else None,
        "actor_kind": e.actor_kind,
        "actor": ("you" if e.actor_id == user.id else (a.full_name if a is not None else None)),
        "agency_code": e.agency_code, "purpose": e.purpose, "keys": e.keys,
        "dossier_id": str(e.dossier_id) if e.dossier_id else None,
    } for e, r, a in rows]


def overview(session: Session, user: User) -> dict[str, Any]:
    """What the citizen sees of their warehouse; reading it is logged like any other read."""
    profile = ensure_profile(session, user)
    records = records_of(session, user)
    log_read(session, user.id, user, "view", keys=list(profile))
    for r in records:
        log_read(session, user.id, user, "view", record=r)
    return {"profile": profile_dict(profile),
            "records": [record_dict(r) for r in records if r.origin == RESULT],
            "documents": [record_dict(r) for r in records if r.origin == DOCUMENT],
            "access_log": access_log(session, user)}


# ---- Prefill -----------------------------------------------------------------------------

def _record_value(record: WarehouseRecord, key: str) -> Any:
    if key == "number":
        return record.number
    if key == "issued_on":
        return record.issued_on.isoformat() if record.issued_on else None
    return (record.data or {}).get(key)


def prefill(session: Session, user: User, procedure_code: str, version: int, *,
            log: bool = True) -> dict[str, Any]:
    """Values the warehouse already holds for a form's `prefill` fields, with their source,
    and the records that can stand for its documents (`reuse`)."""
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
            fields[field["name"]] = {"value": p.value, "source": {
                "kind": "profile", "label": SOURCE_LABELS.get(p.source, {"vi": p.source,
                                                                         "en": p.source}),
                "verified": p.verified}}
            profile_keys.append(path)
        elif where == "record" and "." in path:
            kind, key = path.split(".", 1)
            if kind not in latest:
                found = records_of(session, user, [kind])
                latest[kind] = found[0] if found else None
            record = latest[kind]
            value = _record_value(record, key) if record is not None else None
            if record is not None and value not in (None, ""):
                fields[field["name"]] = {"value": value, "source": {
                    "kind": "record", "label": record_label(record), "record_id": str(record.id),
                    "verified": True}}
                used.setdefault(record.id, (record, []))[1].append(key)
    documents: dict[str, list[dict[str, Any]]] = {}
    for doc in form.get("documents", []):
        if doc.get("reuse"):
            offered = records_of(session, user, list(doc["reuse"]))
            documents[doc["code"]] = [{"record_id": str(r.id), "kind": r.kind,
                                       "label": record_label(r)} for r in offered]
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
    if event.action == "submit":
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
    return add_record(session, WarehouseRecord(
        owner_id=dossier.owner_id, origin=RESULT, kind=kind,
        label=(dossier.procedure.result or {}).get("label") or {"vi": kind, "en": kind},
        number=str(result.get("number") or "") or None, issued_on=issued, data=data,
        dossier_id=dossier.id, agency_code=dossier.agency_code))


def keep_documents(session: Session, dossier: Dossier) -> None:
    """An accepted dossier's uploaded documents become reusable (kind = document code)."""
    form = dossier_svc.form_version(session, dossier.procedure_code, dossier.form_version).form
    labels = {d["code"]: d.get("label") or {} for d in form.get("documents", [])}
    for code, item in (dossier.documents or {}).items():
        key = _uuid(item.get("upload_id")) if item.get("source") == "upload" else None
        upload = session.get(Upload, key) if key else None
        if upload is None or upload.status != COMPLETE or upload.owner_id != dossier.owner_id:
            continue
        exists = session.scalars(select(WarehouseRecord.id).where(
            WarehouseRecord.owner_id == dossier.owner_id, WarehouseRecord.kind == code,
            WarehouseRecord.sha256 == upload.sha256)).first()
        if exists is None:
            add_record(session, WarehouseRecord(
                owner_id=dossier.owner_id, origin=DOCUMENT, kind=code, label=labels.get(code, {}),
                dossier_id=dossier.id, agency_code=dossier.agency_code, upload_id=upload.id,
                sha256=upload.sha256, size=upload.length, content_type=upload.content_type,
                filename=upload.filename, issued_on=clock.local_date(upload.completed_at
                                                                     or clock.now())))


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
                      log=False)["fields"]
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


def reuse_stats(session: Session, agency_code: str, since: date | None = None,
                until: date | None = None) -> list[dict[str, Any]]:
    """Per procedure of one agency: shares of prefilled fields and reused documents."""
    s = SubmissionStats
    stmt = (select(s.procedure_code, func.count(), func.sum(s.fields_filled),
                   func.sum(s.fields_prefillable), func.sum(s.fields_prefilled),
                   func.sum(s.documents_total), func.sum(s.documents_reused),
                   func.sum(case((s.fields_prefilled + s.documents_reused > 0, 1), else_=0)))
            .where(s.agency_code == agency_code).group_by(s.procedure_code)
            .order_by(s.procedure_code))
    if since:
        stmt = stmt.where(s.submitted_at >= datetime.combine(since, datetime.min.time(), clock.TZ))
    if until:
        stmt = stmt.where(s.submitted_at < datetime.combine(until + timedelta(days=1),
                                                            datetime.min.time(), clock.TZ))
    out = []
    for code, n, filled, able, pre, docs, reused, reusing in session.execute(stmt):
        out.append({
            "procedure_code": code, "dossiers": n, "fields_filled": int(filled or 0),
            "fields_prefillable": int(able or 0), "fields_prefilled": int(pre or 0),
            "prefilled_share": _share(pre, filled), "documents": int(docs or 0),
            "documents_reused": int(reused or 0), "reused_share": _share(reused, docs),
            "dossiers_reusing_data": int(reusing or 0),
            "dossiers_reusing_share": _share(reusing, n)})
    return out


def _share(part: Any, whole: Any) -> float | None:
    return round(int(part or 0) / int(whole), 4) if whole else None


if on_transition not in dossier_svc.transition_listeners:
    dossier_svc.transition_listeners.append(on_transition)


DEMO_PROFILE = {
    "full_name": "Trần Thị Bình", "date_of_birth": "1992-05-14", "sex": "female",
    "national_id": "001192012345", "ethnicity": "kinh", "nationality": "VN",
    "home_town": "Xã Phú Xuyên, Hà Nội",
    "residence_address": {"line": "18 Hàng Bạc", "ward": "Phường Hoàn Kiếm",
                          "province": "Thành phố Hà Nội"},
}


def seed_demo_citizen(session: Session, phone: str, password: str) -> User:
    """A citizen whose profile came from the population database, as if fetched at sign-in,
    with their national ID card on file (so forms asking for it need no upload)."""
    from app.services import accounts

    phone = accounts.normalise_phone(phone)
    user = session.scalars(select(User).where(User.phone == phone)).first()
    if user is None:
        user = accounts.register(session, password=password, full_name=DEMO_PROFILE["full_name"],
                                 phone=phone)
    else:
        user.password_hash = accounts.hasher.hash(password)
        user.full_name = DEMO_PROFILE["full_name"]
    set_profile(session, user, {**DEMO_PROFILE, "phone": phone}, POPULATION_DB, True)
    has_card = session.scalars(select(WarehouseRecord.id).where(
        WarehouseRecord.owner_id == user.id, WarehouseRecord.kind == "national_id_card")).first()
    if has_card is None:
        add_record(session, WarehouseRecord(
            owner_id=user.id, origin=RESULT, kind="national_id_card",
            label={"vi": "Thẻ căn cước", "en": "Citizen identity card"},
            number=DEMO_PROFILE["national_id"], issued_on=date(2024, 7, 1),
            data={k: DEMO_PROFILE[k] for k in ("full_name", "date_of_birth", "sex", "national_id",
                                               "residence_address")},
            agency_code="C06-BCA"))
    return user


def _record_entity(session: Session, entity_id: str) -> dict[str, Any] | None:
    key = _uuid(entity_id)
    found = session.get(WarehouseRecord, key) if key else None
    return record_dict(found) if found is not None else None


def _snapshot(session: Session, user: User) -> list[tuple[str, str, dict[str, Any]]]:
    return [("record", str(r.id), record_dict(r)) for r in records_of(session, user)]


def register_pull() -> None:
    from sync import pull

    pull.entity_serialisers.setdefault("record", _record_entity)
    if _snapshot not in pull.snapshot_providers:
        pull.snapshot_providers.append(_snapshot)


register_pull()
