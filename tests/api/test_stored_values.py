"""Values that should never be stored or shown: objects and lists in scalar fields (empty
looking or not), strings past the bounds the desk shows, and the leftovers of fields the
answers hide, which officials must not see."""

from __future__ import annotations

import uuid

import pytest

from app.models.catalog import FormVersion
from app.services import forms
from tests.factories import make_dossier, sample_values
from tests.sync.helpers import Phone, current_version, save_args

EMPTY_LOOKING = [{"__proto__": {"polluted": False}}, [], {"\u0000": ""}, {"": None}, [None],
                 {"line": {"x": ""}}, 0.0]


@pytest.mark.parametrize("value", EMPTY_LOOKING)
@pytest.mark.parametrize("name", ["child_full_name", "child_birth_date", "child_ethnicity",
                                  "mother_residence", "copies", "father_known"])
def test_a_scalar_field_takes_only_its_own_type_even_when_empty(client, citizen, name, value):
    if name == "copies" and value == 0.0:
        pytest.skip("a number")
    phone = Phone(client, citizen)
    result = phone.one("dossier.save", save_args(uuid.uuid4(), {name: value}))
    assert result["status"] == "rejected", result
    assert name in result["error"]["errors"], result["error"]


def test_empty_values_of_the_right_type_are_still_accepted(client, citizen):
    phone = Phone(client, citizen)
    result = phone.one("dossier.save", save_args(uuid.uuid4(), {
        "child_full_name": "", "child_birth_date": "", "father_known": False,
        "mother_residence": {"line": "", "ward": "", "province": ""}, "copies": None}))
    assert result["status"] == "applied", result


@pytest.mark.parametrize("name,value", [
    ("mother_residence", {"line": "x" * 900_000, "ward": "", "province": ""}),
    ("mother_residence", {"line": "x" * 501, "ward": "", "province": ""}),
])
def test_every_citizen_typed_string_is_bounded(client, citizen, name, value):
    phone = Phone(client, citizen)
    result = phone.one("dossier.save", save_args(uuid.uuid4(), {name: value}))
    assert result["status"] == "rejected", result
    assert name in result["error"]["errors"]


def test_a_withdrawal_note_is_bounded_like_the_desk_note(client, db, citizen, official):
    dossier = make_dossier(db.session, citizen.user, status="submitted", official=official.user)
    phone = Phone(client, citizen)
    result = phone.one("dossier.withdraw", {"dossier_id": str(dossier.id), "note": "x" * 4001})
    assert result["status"] == "rejected", result
    assert "note" in result["error"]["errors"]
    result = phone.one("dossier.withdraw", {"dossier_id": str(dossier.id), "note": "x" * 4000})
    assert result["status"] != "rejected", result


def test_officials_see_only_the_values_the_answers_show(client, db, citizen, official):
    fv = db.session.get(FormVersion, ("birth-registration", current_version()))
    values = sample_values(fv.form)
    values.update({"mother_id_kind": "national_id", "mother_id_document": "Bí mật",
                   "father_known": False, "father_full_name": "Người bỏ tích",
                   "father_national_id": "001190012345"})
    dossier = make_dossier(db.session, citizen.user, status="submitted", official=official.user,
                           fields=values)
    one = client.get(f"/api/v1/office/dossiers/{dossier.id}", headers=official.headers).get_json()
    listed = client.get("/api/v1/office/dossiers", headers=official.headers).get_json()["items"]
    for shown in (one["fields"], listed[0]["fields"]):
        assert "mother_id_document" not in shown
        assert "father_full_name" not in shown and "father_national_id" not in shown
        assert shown["child_full_name"] == values["child_full_name"]
    assert "father_full_name" not in (one.get("field_stamps") or {})
    # The citizen's own copy keeps what they typed (they may tick the box again).
    own = client.get(f"/api/v1/dossiers/{dossier.id}", headers=citizen.headers).get_json()
    assert own["fields"]["father_full_name"] == "Người bỏ tích"


def test_receipts_and_results_show_only_the_visible_values(db, citizen, official):
    from app.services.signed_documents import _field_rows

    fv = db.session.get(FormVersion, ("birth-registration", current_version()))
    values = {**sample_values(fv.form), "mother_id_kind": "national_id",
              "mother_id_document": "Bí mật", "father_known": False,
              "father_full_name": "Người bỏ tích"}
    dossier = make_dossier(db.session, citizen.user, status="submitted", official=official.user,
                           fields=values)
    printed = " ".join(value for _label, value in _field_rows(db.session, dossier))
    assert "Bí mật" not in printed and "Người bỏ tích" not in printed
    assert values["child_full_name"] in printed


def test_visible_values_drops_hidden_group_entries():
    form = {"sections": [{"fields": [
        {"name": "kids", "type": "group", "fields": [
            {"name": "has_id", "type": "checkbox"},
            {"name": "id", "type": "text", "visible_if": {"field": "has_id", "equals": True}}]}]}]}
    got = forms.visible_values(form, {"kids": [{"has_id": False, "id": "x"},
                                               {"has_id": True, "id": "y"}]})
    assert got == {"kids": [{"has_id": False}, {"has_id": True, "id": "y"}]}
