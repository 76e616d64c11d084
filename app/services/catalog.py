"""The procedure catalog: loading published definitions and answering reads."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.errors import Conflict, NotFound
from app.models.catalog import FormVersion, Holiday, Procedure
from app.services import bundles, directory, workdays
from app.services.etags import canonical_etag

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"


def load_procedure(session: Session, spec: dict[str, Any]) -> Procedure:
    """Insert or update a procedure; a published form version is never changed, and a form
    the validators could not read is refused (form_schema.FormSchemaError)."""
    # Imported here: the form rules read the code tables, whose ETags come from this module.
    from app.services.form_schema import check_procedure

    check_procedure(spec)
    competent = directory.check_competent(session, spec["code"], spec["competent"])
    members = bundles.check_members(session, spec["code"], spec.get("members", []))
    versions = spec["versions"]
    proc = session.get(Procedure, spec["code"])
    if proc is None:
        proc = Procedure(code=spec["code"])
        session.add(proc)
    proc.agency_code = competent["default_agency"]
    proc.competent = competent
    proc.members = members
    proc.name = spec["name"]
    proc.summary = spec.get("summary", {})
    proc.category = spec.get("category", "")
    proc.processing_days = int(spec["processing_days"])
    proc.fees = spec.get("fees", {})
    proc.result = spec.get("result", {})
    proc.legal_basis = spec.get("legal_basis") or []
    proc.checked_on = date.fromisoformat(spec["checked_on"]) if spec.get("checked_on") else None
    proc.current_version = max(v["version"] for v in versions)
    session.flush()
    for v in versions:
        etag = canonical_etag(v["form"])
        existing = session.get(FormVersion, (proc.code, v["version"]))
        accepted_until = date.fromisoformat(v["accepted_until"]) if v.get("accepted_until") else None
        if existing is None:
            session.add(FormVersion(procedure_code=proc.code, version=v["version"], form=v["form"],
                                    published_at=date.fromisoformat(v["published_at"]),
                                    accepted_until=accepted_until, etag=etag))
        elif existing.etag != etag:
            raise Conflict(f"{proc.code} form version {v['version']} is published and cannot "
                           "change; publish a new version instead.")
        else:
            existing.accepted_until = accepted_until
    session.flush()
    return proc


def load_holidays(session: Session, spec: dict[str, Any]) -> int:
    count = 0
    for h in spec["holidays"]:
        day = date.fromisoformat(h["date"])
        if session.get(Holiday, day) is None:
            session.add(Holiday(day=day, name=h["name"]))
            count += 1
    session.flush()
    workdays.forget(session)
    return count


def load_demo(session: Session) -> list[str]:
    """Load the demo directory, catalog and holiday table shipped in app/demo (idempotent)."""
    directory.load_agencies(session, json.loads((DEMO_DIR / "directory" / "agencies.json").read_text()))
    codes = []
    specs = [json.loads(path.read_text()) for path in sorted((DEMO_DIR / "catalog").glob("*.json"))]
    for spec in sorted(specs, key=lambda spec: bool(spec.get("members"))):  # bundles last
        codes.append(load_procedure(session, spec).code)
    load_holidays(session, json.loads((DEMO_DIR / "holidays.json").read_text()))
    return codes


def list_procedures(session: Session, q: str | None = None, category: str | None = None
                    ) -> list[Procedure]:
    # A bundle first: it is the default path for those it serves (e.g. a newborn).
    procs = sorted(session.scalars(select(Procedure).options(versions_listed())
                                   .order_by(Procedure.code)), key=lambda p: not p.members)
    if category:
        procs = [p for p in procs if p.category == category]
    if q:
        needle = q.strip().lower()
        procs = [p for p in procs if needle in " ".join(
            [p.code, *p.name.values(), *p.summary.values()]).lower()]
    return procs


def versions_listed() -> Any:
    """Load option: a procedure's form versions as its page lists them, for a whole list of
    procedures in one query (not one per procedure), without parsing their forms' bodies."""
    return selectinload(Procedure.versions).defer(FormVersion.form)


def get_procedure(session: Session, code: str) -> Procedure:
    proc = session.get(Procedure, code)
    if proc is None:
        raise NotFound(f"No procedure {code!r}.")
    return proc


def get_form(session: Session, code: str, version: int) -> FormVersion:
    found = session.get(FormVersion, (code, version))
    if found is None:
        raise NotFound(f"Procedure {code!r} has no form version {version}.")
    return found


def is_accepted(form_version: FormVersion, current: int, today: date) -> bool:
    """The current version always; an older one until its accepted_until date."""
    if form_version.version == current:
        return True
    return form_version.accepted_until is not None and today <= form_version.accepted_until
