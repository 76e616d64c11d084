"""The citizen's data warehouse: their identity profile, and the results and documents kept.

Results and documents enter from dossiers (`warehouse_reuse`); every read of them is
logged for the citizen to see (`warehouse_access`).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.errors import NotFound, ValidationFailed
from app.models.accounts import User
from app.models.uploads import DocumentLink
from app.models.warehouse import RESULT, ProfileField, WarehouseRecord
from app.services import change_feed, clock
from app.services.ids import as_uuid
from app.services.owned import get_owned_row
from app.services.uploads import agency_link

SIGNUP, POPULATION_DB = "signup", "national_population_db"
SOURCE_LABELS = {
    SIGNUP: {"vi": "Thông tin đăng ký tài khoản", "en": "Account sign-up"},
    POPULATION_DB: {"vi": "Cơ sở dữ liệu quốc gia về dân cư", "en": "National population database"},
}
PROFILE_KEYS = (
    "full_name",
    "date_of_birth",
    "sex",
    "national_id",
    "phone",
    "email",
    "residence_address",
    "ethnicity",
    "nationality",
    "home_town",
)


# ---- Profile -----------------------------------------------------------------------------


def _upsert_ignore(session: Session, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(ProfileField).values(rows).on_conflict_do_nothing(index_elements=["user_id", "key"])
    )


def ensure_profile(session: Session, user: User) -> dict[str, ProfileField]:
    """The citizen's profile; what sign-up told us is filled in the first time it is needed.

    A phone or email counts as verified only once a one-time code proved it (sign-up);
    the name is as the citizen typed it, so it is not verified.
    """
    found = {p.key: p for p in session.scalars(select(ProfileField).where(ProfileField.user_id == user.id))}
    known = {"full_name": (user.full_name, False),
             "phone": (user.phone, user.phone_verified_at is not None),
             "email": (user.email, user.email_verified_at is not None)}
    rows = [
        {
            "user_id": user.id,
            "key": k,
            "value": v,
            "source": SIGNUP,
            "verified": ok,
            "updated_at": clock.now(),
        }
        for k, (v, ok) in known.items()
        if v and k not in found
    ]
    if rows:
        _upsert_ignore(session, rows)
        found = {
            p.key: p
            for p in session.scalars(
                select(ProfileField)
                .where(ProfileField.user_id == user.id)
                .execution_options(populate_existing=True)
            )
        }
    return found


def set_profile(session: Session, user: User, values: dict[str, Any], source: str, verified: bool) -> None:
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
    return {
        k: {
            "value": p.value,
            "source": p.source,
            "source_label": SOURCE_LABELS.get(p.source),
            "verified": p.verified,
            "updated_at": p.updated_at.isoformat(),
        }
        for k, p in sorted(fields.items())
    }


# ---- Records -----------------------------------------------------------------------------


def record_label(record: WarehouseRecord) -> dict[str, str]:
    base = record.label or {}
    if not record.number:
        return dict(base)
    return {
        "vi": f"{base.get('vi', record.kind)} số {record.number}",
        "en": f"{base.get('en', record.kind)} No. {record.number}",
    }


def record_dict(record: WarehouseRecord) -> dict[str, Any]:
    return {
        "id": str(record.id),
        "origin": record.origin,
        "kind": record.kind,
        "label": record_label(record),
        "number": record.number,
        "issued_on": record.issued_on.isoformat() if record.issued_on else None,
        "data": record.data,
        "dossier_id": str(record.dossier_id) if record.dossier_id else None,
        "agency_code": record.agency_code,
        "has_file": record.sha256 is not None,
        "sha256": record.sha256,
        "size": record.size,
        "content_type": record.content_type,
        "filename": record.filename,
        "created_at": record.created_at.isoformat(),
    }


def get_record_owned(session: Session, user: User, record_id: Any) -> WarehouseRecord:
    return get_owned_row(session, WarehouseRecord, user, record_id, "No such record.")


def get_record_for(session: Session, user: User, record_id: Any) -> tuple[WarehouseRecord, uuid.UUID | None]:
    """A record its owner may read, or an official whose agency handles a dossier using it."""
    key = as_uuid(record_id)
    record = session.get(WarehouseRecord, key) if key else None
    if record is None:
        raise NotFound("No such record.")
    if not user.is_official:
        if record.owner_id != user.id:
            raise NotFound("No such record.")
        return record, None
    link = agency_link(session, user, DocumentLink.record_id == record.id)
    if link is None:
        raise NotFound("No such record in a dossier of your agency.")
    return record, link[0]


def add_record(session: Session, record: WarehouseRecord) -> WarehouseRecord:
    session.add(record)
    session.flush()
    change_feed.record(session, record.owner_id, "record", record.id)
    return record


def records_of(session: Session, user: User, kinds: list[str] | None = None) -> list[WarehouseRecord]:
    """Newest first: the latest issued result of a kind is the one prefill uses."""
    stmt = select(WarehouseRecord).where(WarehouseRecord.owner_id == user.id)
    if kinds is not None:
        stmt = stmt.where(WarehouseRecord.kind.in_(kinds))
    return list(
        session.scalars(
            stmt.order_by(WarehouseRecord.issued_on.desc().nulls_last(), WarehouseRecord.created_at.desc())
        )
    )


# ---- Demo data ---------------------------------------------------------------------------

DEMO_PROFILE = {
    "full_name": "Trần Thị Bình",
    "date_of_birth": "1992-05-14",
    "sex": "female",
    "national_id": "001192012345",
    "ethnicity": "kinh",
    "nationality": "VN",
    "home_town": "Xã Phú Xuyên, Hà Nội",
    "residence_address": {"line": "18 Hàng Bạc", "ward": "Phường Hoàn Kiếm", "province": "Thành phố Hà Nội"},
}


def seed_demo_citizen(session: Session, phone: str, password: str) -> User:
    """A citizen whose profile came from the population database, as if fetched at sign-in,
    with their national ID card on file (so forms asking for it need no upload)."""
    from app.services import accounts

    phone = accounts.normalise_phone(phone)
    user = session.scalars(select(User).where(User.phone == phone)).first()
    if user is None:
        user = accounts.register(session, password=password, full_name=DEMO_PROFILE["full_name"], phone=phone)
    else:
        user.password_hash = accounts.hasher.hash(password)
        user.full_name = DEMO_PROFILE["full_name"]
    set_profile(session, user, {**DEMO_PROFILE, "phone": phone}, POPULATION_DB, True)
    has_card = session.scalars(
        select(WarehouseRecord.id).where(
            WarehouseRecord.owner_id == user.id, WarehouseRecord.kind == "national_id_card"
        )
    ).first()
    if has_card is None:
        add_record(
            session,
            WarehouseRecord(
                owner_id=user.id,
                origin=RESULT,
                kind="national_id_card",
                label={"vi": "Thẻ căn cước", "en": "Citizen identity card"},
                number=DEMO_PROFILE["national_id"],
                issued_on=date(2024, 7, 1),
                data={
                    k: DEMO_PROFILE[k]
                    for k in ("full_name", "date_of_birth", "sex", "national_id", "residence_address")
                },
                agency_code="C06-BCA",
            ),
        )
    return user
