"""Drafts in flight when the catalog was corrected (docs/catalog.md): a draft typed on any
earlier form version of any procedure moves to the corrected version at its next save; what
still fits is kept as typed, what does not is kept as a conflict record (never dropped), and
the newly required fields are listed."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from app.models.catalog import FormVersion
from app.services import catalog, clock, forms
from sync.form_drift import map_values
from tests.factories import sample_values
from tests.sync.helpers import Phone, current_version, full_values, save_args

# The five procedures corrected on 2026-12-01 (docs/catalog.md), and the newborn bundle
# whose form moved with its members.
CODES = ["birth-registration", "child-health-insurance", "criminal-record-certificate",
         "marital-status-confirmation", "permanent-residence-registration", "newborn-bundle"]
EARLIER = [(code, v["version"]) for code in CODES
           for v in json.loads((catalog.DEMO_DIR / "catalog" / f"{code}.json").read_text())["versions"]
           if v["version"] < current_version(code)]
# A value of the earlier forms that each corrected form must still take as typed.
NAMES = {"birth-registration": "child_full_name", "child-health-insurance": "child_full_name",
         "criminal-record-certificate": "applicant_full_name",
         "marital-status-confirmation": "applicant_full_name",
         "permanent-residence-registration": "applicant_full_name",
         "newborn-bundle": "child_full_name"}


def _form(db: Any, code: str, version: int) -> dict[str, Any]:
    form = db.session.get(FormVersion, (code, version)).form
    db.session.rollback()
    return form


def test_every_earlier_version_is_closed_and_every_procedure_has_one():
    assert {code for code, _ in EARLIER} == set(CODES)


@pytest.mark.parametrize(("code", "old"), EARLIER)
def test_a_draft_on_an_earlier_form_moves_keeping_everything_typed(client, db, citizen, code, old):
    today = clock.today()
    old_form, new = _form(db, code, old), current_version(code)
    new_form = _form(db, code, new)
    typed = {**sample_values(old_form, today), NAMES[code]: "Lê Thị Hồng Nhung"}
    phone, did = Phone(client, citizen), uuid.uuid4()

    r = phone.one("dossier.save", save_args(did, typed, procedure=code, form_version=old))

    assert (r["status"], r.get("reason")) == ("conflict", "form_outdated"), r.get("error", {}).get("errors")
    assert (r["from_form_version"], r["form_version"]) == (old, new)
    assert r["entity"]["status"] == "draft" and r["entity"]["form_version"] == new
    kept, dropped = r["entity"]["fields"], r["dropped"]
    assert not kept.keys() & dropped.keys() and {**kept, **dropped} == typed  # nothing lost
    assert kept[NAMES[code]] == "Lê Thị Hồng Nhung"
    assert kept == map_values(new_form, typed, "vi", today)[0]  # exactly what fits
    assert forms.validate(new_form, kept, "vi", complete=False, today=today) == {}
    records = {c["field"]: c["other"] for c in r["conflicts"] if c["reason"] == "form_outdated"}
    assert records == dropped  # every value that did not fit is kept for the citizen
    assert set(r["missing"]) <= {f["name"] for f in forms.iter_fields(new_form) if f.get("required")}

    # What the corrected form newly asks, typed on it, completes the draft on the new version.
    rest = {k: v for k, v in full_values(db.session, code).items() if k not in kept}
    db.session.rollback()
    again = phone.one("dossier.save", save_args(did, rest, r["entity"]["version"], procedure=code))
    assert again["status"] in ("applied", "merged"), again
    assert forms.validate(new_form, again["entity"]["fields"], "vi", today=today) == {}


def test_coded_answers_of_the_old_birth_form_are_kept_for_the_citizen(client, db, citizen):
    """The free-text residence and the old ethnicity code do not fit the coded fields: both
    come back as conflict records with the words the citizen typed."""
    old = current_version("birth-registration") - 1
    typed = {"child_full_name": "Hà An", "child_ethnicity": "hmong",
             "mother_residence": {"line": "5 Lý Thái Tổ", "ward": "Phường Hoàn Kiếm",
                                  "province": "Hà Nội"}}
    r = Phone(client, citizen).one("dossier.save", save_args(
        uuid.uuid4(), typed, procedure="birth-registration", form_version=old))
    assert r["entity"]["fields"] == {"child_full_name": "Hà An"}
    assert {c["field"]: c["other"] for c in r["conflicts"]} == {
        "child_ethnicity": "hmong", "mother_residence": typed["mother_residence"]}


def test_a_bundle_draft_on_its_first_form_keeps_what_fits_and_keeps_the_rest_for_the_citizen(
        client, db, citizen):
    """The bundle's first form asked the old ethnicity codes and let a newborn "rent"; its
    draft moves to the form written for the corrected member forms: the names, coded
    addresses and the other residence answers stay; the old ethnicity code and the basis a
    newborn cannot have come back as conflict records with what was typed."""
    address = {"line": "5 Lý Thái Tổ", "ward": "00073", "province": "01"}
    typed = {"child_full_name": "Hà An", "child_ethnicity": "kinh", "mother_residence": address,
             "child_residence": address, "register_residence": "yes",
             "residence_basis": "rented", "relationship_to_head": "child",
             "preferred_facility": "saint_paul_hospital"}
    r = Phone(client, citizen).one("dossier.save", save_args(
        uuid.uuid4(), typed, procedure="newborn-bundle", form_version=1))
    assert (r["status"], r["from_form_version"], r["form_version"]) == ("conflict", 1, 2)
    assert r["entity"]["fields"] == {k: v for k, v in typed.items()
                                     if k not in ("child_ethnicity", "residence_basis")}
    assert {c["field"]: c["other"] for c in r["conflicts"]} == {"child_ethnicity": "kinh",
                                                                "residence_basis": "rented"}
    assert {"parents_married", "birth_case", "guardian_full_name"} <= set(r["missing"])
