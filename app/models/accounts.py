"""Accounts: citizens and officials, agencies, refresh-token families."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, JsonType, UtcDateTime, utcnow

CITIZEN = "citizen"
OFFICIAL = "official"
ROLES = ("reception", "specialist", "leader")


class Agency(Base):
    """An agency of the directory: what kind it is, at which level, in which administrative
    unit (a code of the admin_units table), and the units it serves beyond its own."""

    __tablename__ = "agencies"
    __table_args__ = (Index("ix_agencies_electronic_id", "electronic_id", unique=True),
                      # Routing looks an agency up by kind, level and unit (services/directory.py).
                      Index("ix_agencies_kind_level_unit", "kind", "level", "unit_code"))

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[dict[str, Any]] = mapped_column(JsonType)
    level: Mapped[str] = mapped_column(String(16))
    # Electronic identifier code (mã định danh, Decision 20/2020/QĐ-TTg): receipt codes
    # start with it. Agencies made before the directory have none.
    electronic_id: Mapped[str | None] = mapped_column(String(32))
    # people_committee | police | social_insurance ("" before the directory).
    kind: Mapped[str] = mapped_column(String(32), default="", server_default="")
    unit_code: Mapped[str | None] = mapped_column(String(16), index=True)
    serves: Mapped[list[str]] = mapped_column(JsonType, default=list, server_default="[]")


class AgencyServes(Base):
    """`Agency.serves` as rows, for routing's indexed lookup by unit (services/directory.py
    writes both)."""

    __tablename__ = "agency_serves"

    unit_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    agency_code: Mapped[str] = mapped_column(ForeignKey("agencies.code", ondelete="CASCADE"),
                                             primary_key=True)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default=CITIZEN)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(5), default="vi")
    agency_code: Mapped[str | None] = mapped_column(ForeignKey("agencies.code"))
    role: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # When a one-time code proved the person holds this phone (email: development only).
    phone_verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    email_verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Signed up but the code never came back: cannot sign in, and the next sign-up with the
    # same number takes it over (app/services/verification.py).
    signup_pending: Mapped[bool] = mapped_column(default=False)
    # Per-user change feed: the last sequence number handed out, and the oldest one
    # still kept (cursors below it get 410). The row is locked to allocate a number.
    change_seq: Mapped[int] = mapped_column(default=0)
    change_floor: Mapped[int] = mapped_column(default=0)

    agency: Mapped[Agency | None] = relationship()

    @property
    def is_official(self) -> bool:
        return self.kind == OFFICIAL


@dataclass(frozen=True, slots=True)
class TokenUser:
    """The account a verified access token names, known without reading its row (the
    token carries `sub` and `kind`): for requests whose own first query checks the row."""

    id: int
    kind: str

    @property
    def is_official(self) -> bool:
        return self.kind == OFFICIAL


class RefreshToken(Base):
    """One issued refresh token; tokens of one login share a family."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (Index("ix_refresh_tokens_family", "family_id"),
                      Index("ix_refresh_tokens_revoked_at", "revoked_at"))

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
