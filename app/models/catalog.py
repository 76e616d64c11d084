"""Catalog: procedures and their immutable, versioned forms."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.accounts import Agency
from app.models.base import Base, JsonType


class Procedure(Base):
    __tablename__ = "procedures"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The agency that takes a dossier without a coded address (forms before the directory).
    agency_code: Mapped[str] = mapped_column(ForeignKey("agencies.code"))
    # Which agency is competent: {"level", "kind", "by": [address fields]} (services/directory.py).
    competent: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict,
                                                      server_default="{}")
    # A bundle (liên thông): the procedures one filing makes dossiers of, each with the
    # fields it takes ([] for a single procedure; services/bundles.py).
    members: Mapped[list[dict[str, Any]]] = mapped_column(JsonType, default=list,
                                                          server_default="[]")
    name: Mapped[dict[str, Any]] = mapped_column(JsonType)
    summary: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    category: Mapped[str] = mapped_column(String(32), default="")
    processing_days: Mapped[int]
    fees: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    result: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    # The law, decrees, circulars and forms it rests on, and the day they were checked.
    legal_basis: Mapped[list[dict[str, Any]] | None] = mapped_column(JsonType)
    checked_on: Mapped[date | None]
    current_version: Mapped[int]

    agency: Mapped[Agency] = relationship(lazy="joined")
    versions: Mapped[list[FormVersion]] = relationship(
        back_populates="procedure", order_by="FormVersion.version"
    )


class FormVersion(Base):
    """A published form; its body never changes once stored."""

    __tablename__ = "form_versions"

    procedure_code: Mapped[str] = mapped_column(ForeignKey("procedures.code"), primary_key=True)
    version: Mapped[int] = mapped_column(primary_key=True)
    form: Mapped[dict[str, Any]] = mapped_column(JsonType)
    published_at: Mapped[date]
    accepted_until: Mapped[date | None]
    etag: Mapped[str] = mapped_column(String(64))

    procedure: Mapped[Procedure] = relationship(back_populates="versions")


class Holiday(Base):
    __tablename__ = "holidays"

    day: Mapped[date] = mapped_column(primary_key=True)
    name: Mapped[dict[str, Any]] = mapped_column(JsonType)
