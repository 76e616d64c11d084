"""The agency directory and routing: which agency is competent for a dossier.

A procedure names the competent level and kind of agency and the address fields that
decide (`competent.by`); the first of them that is filled routes the dossier, at
submission, to the agency of that kind and level serving the address's ward. A form
version without coded addresses (free-text residence) goes to the procedure's default
agency, as before the directory.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.errors import ValidationFailed
from app.models.accounts import Agency, AgencyServes
from app.models.catalog import Procedure
from app.services import code_tables, forms, held
from app.services.i18n import message

KINDS = ("people_committee", "police", "social_insurance")
LEVELS = ("commune", "province")
# What the catalog says of the agency that will handle a dossier, before an address is known.
COMPETENT_LABELS = {
    ("people_committee", "commune"): {"vi": "UBND xã, phường nơi cư trú",
                                      "en": "People's Committee of the commune or ward of residence"},
    ("police", "commune"): {"vi": "Công an xã, phường nơi cư trú",
                            "en": "Police of the commune or ward of residence"},
    ("police", "province"): {"vi": "Công an tỉnh, thành phố nơi cư trú",
                             "en": "Police of the province or city of residence"},
    ("social_insurance", "province"): {"vi": "Bảo hiểm xã hội tỉnh, thành phố nơi cư trú",
                                       "en": "Social security office of the province or city of residence"},
}


def agency_dict(agency: Agency) -> dict[str, Any]:
    return {"code": agency.code, "electronic_id": agency.electronic_id, "name": agency.name,
            "kind": agency.kind, "level": agency.level, "unit": agency.unit_code,
            "serves": list(agency.serves or [])}


def competent_dict(procedure: Procedure) -> dict[str, Any]:
    """The procedure's competent level and kind, with a label a citizen can read."""
    competent = dict(procedure.competent or {})
    key = (competent.get("kind"), competent.get("level"))
    competent["label"] = COMPETENT_LABELS.get(key) or procedure.agency.name
    return competent


def list_agencies(session: Session) -> list[Agency]:
    """The directory's agencies (those made before it, without a kind, are not listed)."""
    return list(session.scalars(select(Agency).where(Agency.kind != "").order_by(Agency.code)))


def load_agencies(session: Session, spec: dict[str, Any]) -> list[str]:
    """Insert or update the directory's agencies (idempotent); their units must exist."""
    codes = []
    for entry in spec["agencies"]:
        unit = code_tables.item("admin_units", entry["unit"])
        if unit is None or unit.get("level") != entry["level"]:
            raise ValueError(f"agency {entry['code']}: no {entry['level']} {entry['unit']!r}")
        if (entry["kind"], entry["level"]) not in COMPETENT_LABELS:
            raise ValueError(f"agency {entry['code']}: no {entry['kind']} at {entry['level']} level")
        agency = session.get(Agency, entry["code"]) or Agency(code=entry["code"])
        agency.name, agency.level, agency.kind = entry["name"], entry["level"], entry["kind"]
        agency.electronic_id, agency.unit_code = entry["electronic_id"], entry["unit"]
        session.add(agency)
        set_serves(session, agency, entry.get("serves", []))
        codes.append(agency.code)
    session.flush()
    return codes


def set_serves(session: Session, agency: Agency, units: list[str]) -> None:
    """The units an agency serves beyond its own: its `serves` and the rows routing looks
    them up by (agency_serves), written together."""
    agency.serves = list(dict.fromkeys(units))
    held.forget(session, SERVING)
    session.flush()
    session.execute(delete(AgencyServes).where(AgencyServes.agency_code == agency.code))
    session.add_all(AgencyServes(unit_code=unit, agency_code=agency.code) for unit in agency.serves)
    session.flush()


def check_competent(session: Session, code: str, competent: dict[str, Any]) -> dict[str, Any]:
    """A procedure's `competent` entry, checked against the directory."""
    if (competent.get("kind"), competent.get("level")) not in COMPETENT_LABELS:
        raise ValueError(f"{code}: competent needs a kind and level of {list(COMPETENT_LABELS)}")
    if not isinstance(competent.get("by"), list):
        raise ValueError(f"{code}: competent.by must list the address fields that route")
    default = session.get(Agency, competent.get("default_agency"))
    if default is None or (default.kind, default.level) != (competent["kind"], competent["level"]):
        raise ValueError(f"{code}: default_agency must be a {competent['level']} "
                         f"{competent['kind']} of the directory")
    return {"level": competent["level"], "kind": competent["kind"],
            "by": list(competent["by"]), "default_agency": default.code}


def routing_address(procedure: Procedure, form: dict[str, Any], fields: dict[str, Any]
                    ) -> tuple[str, dict[str, Any]] | None:
    """The first filled routing field of the dossier, when the form codes it (an address
    with `options_from: admin_units`), and its value; None when there is none to route by."""
    defined = forms.field_map(form)
    for name in (procedure.competent or {}).get("by", []):
        value = fields.get(name)
        if value in (None, "", {}, []):
            continue
        coded = defined.get(name, {}).get("options_from") == "admin_units"
        return (name, value) if coded and isinstance(value, dict) else None
    return None


def route(session: Session, procedure: Procedure, form: dict[str, Any], fields: dict[str, Any],
          lang: str = "vi") -> str:
    """The code of the agency competent for a dossier of this form with these values: the
    one serving the first filled routing address; the procedure's default agency when the
    form version has no coded address."""
    found = routing_address(procedure, form, fields)
    if found is None:
        return procedure.agency_code
    name, address = found
    ward = code_tables.item("admin_units", str(address.get("ward")))
    if ward is None or ward.get("level") != "commune":
        raise ValidationFailed("The address has no known ward.",
                               errors={name: [message("option", lang)]})
    competent = procedure.competent
    agency = serving(session, competent["kind"], competent["level"], ward["code"], ward["parent"])
    if agency is None:
        raise ValidationFailed("No agency in the directory serves this address.",
                               errors={name: [message("no_agency", lang)]})
    return agency.code


SERVING = "directory.serving"  # what `held` keeps the answers of `serving` under


def serving(session: Session, kind: str, level: str, ward: str, province: str
            ) -> Agency | None:
    """The agency of a kind and level serving a ward: one that lists the ward (or its
    province) in `serves` first, else the one whose own unit it is. Two indexed lookups
    (agency_serves by unit, agencies by kind, level and unit), whatever the directory's size,
    once per session (a request) for each question: a parent submitting a family's dossiers
    in one push asks the same one for each. Changing the directory (`set_serves`) forgets."""
    return held.remembered(session, SERVING, (kind, level, ward, province),
                           lambda: _serving(session, kind, level, ward, province))


def _serving(session: Session, kind: str, level: str, ward: str, province: str) -> Agency | None:
    listed = session.scalars(
        select(Agency).join(AgencyServes, AgencyServes.agency_code == Agency.code)
        .where(AgencyServes.unit_code.in_([ward, province]), Agency.kind == kind,
               Agency.level == level)
        .order_by(Agency.code).limit(1)).first()
    if listed is not None:
        return listed
    own_unit = ward if level == "commune" else province
    return session.scalars(
        select(Agency).where(Agency.kind == kind, Agency.level == level,
                             Agency.unit_code == own_unit)
        .order_by(Agency.code).limit(1)).first()


def handled_procedures(session: Session) -> dict[str, set[str]]:
    """The procedures each agency handles: those whose competent kind and level are the
    agency's, and each procedure's default agency's. A bundle is handled by no agency (its
    members are)."""
    procedures = [p for p in session.scalars(select(Procedure)) if not p.members]
    out: dict[str, set[str]] = {}
    for proc in procedures:
        out.setdefault(proc.agency_code, set()).add(proc.code)
    for agency in list_agencies(session):
        for proc in procedures:
            competent = proc.competent or {}
            if (competent.get("kind"), competent.get("level")) == (agency.kind, agency.level):
                out.setdefault(agency.code, set()).add(proc.code)
    return out
