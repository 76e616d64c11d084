"""Options from the shared code tables (app/services/code_tables.py): selects and radios of
ethnic groups, nationalities and administrative units, and the coded address (province,
then one of its communes, then the line), against hostile values; and the load-time check."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from app.services import form_schema, forms
from tests.factories import sample_values
from tests.form_constructs import FORM

TODAY = date(2026, 11, 29)
HANOI, HCMC = "01", "79"
HOAN_KIEM, BEN_THANH = "00070", "26743"  # a ward of Hà Nội, one of Hồ Chí Minh City


@pytest.fixture()
def good() -> dict[str, Any]:
    return sample_values(FORM, TODAY)


def check(values: dict[str, Any], lang: str = "en", complete: bool = True) -> dict[str, list[str]]:
    return forms.validate(FORM, values, lang, complete=complete, today=TODAY)


def test_codes_of_the_tables_pass(good: dict[str, Any]) -> None:
    values = {**good, "ethnicity": "04", "nationality": "FR", "birth_province": HCMC,
              "registration_province": HCMC, "registration_commune": BEN_THANH,
              "residence": {"line": "5 Lê Lợi", "ward": BEN_THANH, "province": HCMC}}
    assert check(values) == {}


@pytest.mark.parametrize(("name", "value"), [
    ("ethnicity", "H'Mông"), ("ethnicity", "99"), ("ethnicity", "Kinh"), ("ethnicity", "01 "),
    ("nationality", "vn"), ("nationality", "VNM"), ("nationality", "__proto__"),
    ("birth_province", HOAN_KIEM),            # a ward where a province is asked
    ("registration_province", HOAN_KIEM),
    ("registration_commune", HANOI),          # a province where a commune is asked
    ("registration_commune", "00000"),
])
def test_a_code_not_in_the_table_or_of_the_wrong_level_is_not_a_choice(
        good: dict[str, Any], name: str, value: str) -> None:
    assert check({**good, name: value}) == {name: ["Not one of the choices."]}
    assert check({**good, name: value}, "vi", complete=False) == {name: ["Lựa chọn không hợp lệ."]}


@pytest.mark.parametrize("value", [1, 1.5, True, ["01"], {"code": "01"}])
def test_a_code_of_the_wrong_type_is_refused(good: dict[str, Any], value: Any) -> None:
    assert check({**good, "ethnicity": value}) == {"ethnicity": ["Must be text."]}


def test_a_commune_select_follows_its_province(good: dict[str, Any]) -> None:
    elsewhere = {**good, "registration_province": HCMC, "registration_commune": HOAN_KIEM}
    assert check(elsewhere) == {
        "registration_commune": ["This commune or ward is not in the province chosen."]}
    assert check(elsewhere, "vi")["registration_commune"] == [
        "Xã/phường này không thuộc tỉnh/thành phố đã chọn."]
    # No province chosen yet: any commune of the list is a choice.
    assert check({**good, "registration_province": None, "registration_commune": BEN_THANH}) == {}


def test_inside_a_group_the_commune_follows_the_entrys_province(good: dict[str, Any]) -> None:
    entry = {"province": HANOI, "commune": BEN_THANH}
    values = {**good, "moves": [entry, {**entry, "province": HCMC}]}
    assert check(values) == {"moves.0.commune": ["This commune or ward is not in the province chosen."]}
    # A top-level field of the same name does not stand in for the entry's own province.
    assert check({**good, "province": HCMC, "moves": [{"commune": BEN_THANH}]}) == {
        "province": ["The form has no such field."]}


@pytest.mark.parametrize(("address", "message"), [
    ({"line": "1", "ward": BEN_THANH, "province": HANOI},
     "This commune or ward is not in the province chosen."),
    ({"line": "1", "ward": "Hoàn Kiếm", "province": HANOI},
     "This commune or ward is not in the list of administrative units."),
    ({"line": "1", "ward": HANOI, "province": HANOI},
     "This commune or ward is not in the list of administrative units."),
    ({"line": "1", "ward": HOAN_KIEM, "province": "Hà Nội"},
     "This province is not in the list of administrative units."),
    ({"line": "1", "ward": HOAN_KIEM, "province": HOAN_KIEM},
     "This province is not in the list of administrative units."),
    ({"line": "", "ward": HOAN_KIEM, "province": HANOI},
     "Choose the province and the commune or ward, and write the street address."),
    ({"line": "1", "province": HANOI},
     "Choose the province and the commune or ward, and write the street address."),
    ({"line": "1", "ward": HOAN_KIEM},
     "Choose the province and the commune or ward, and write the street address."),
])
def test_a_coded_address(good: dict[str, Any], address: dict[str, str], message: str) -> None:
    assert check({**good, "residence": address}) == {"residence": [message]}


def test_a_half_chosen_address_is_a_draft_not_a_dossier(good: dict[str, Any]) -> None:
    half = {**good, "residence": {"line": "", "ward": "", "province": HANOI}}
    assert check(half, complete=False) == {}
    assert check(half)["residence"] == [
        "Choose the province and the commune or ward, and write the street address."]
    both = {**good, "residence": {"line": "", "ward": "Hoàn Kiếm", "province": "Hà Nội"}}
    assert check(both, "vi", complete=False) == {"residence": [
        "Tỉnh/thành phố không có trong danh mục đơn vị hành chính.",
        "Xã/phường không có trong danh mục đơn vị hành chính."]}


@pytest.mark.parametrize("address", [
    {"line": "1", "ward": 70, "province": HANOI}, {"line": "1", "ward": None, "province": HANOI},
    {"line": "1", "ward": [HOAN_KIEM], "province": HANOI}, {"district": "x"}, HOAN_KIEM, [HANOI],
])
def test_a_coded_address_of_the_wrong_shape(good: dict[str, Any], address: Any) -> None:
    assert check({**good, "residence": address}) == {"residence": ["Has the wrong shape."]}


def test_an_address_without_options_from_keeps_free_text(good: dict[str, Any]) -> None:
    """Old form versions stay valid: their addresses are typed, not chosen."""
    assert check({**good, "old_address": {"line": "1", "ward": "Hoàn Kiếm", "province": "Hà Nội"}}) == {}


def test_a_document_required_by_a_rule_over_coded_and_date_fields(good: dict[str, Any]) -> None:
    def needed(values: dict[str, Any]) -> bool:
        return "ethnic_minority_card" in [d["code"] for d in forms.required_documents(FORM, values, TODAY)]

    minority = {**good, "ethnicity": "04", "nationality": "VN"}
    assert needed(minority)
    assert not needed({**minority, "ethnicity": "01"})
    assert not needed({**minority, "nationality": "FR"})
    assert not needed({**minority, "child_birth_date": "2020-11-29"})


def _with(change: Any) -> list[str]:
    form = copy.deepcopy(FORM)
    change({f["name"]: f for f in forms.iter_fields(form)})
    return form_schema.check_form(form, ["admin_units", "ethnic_groups", "nationalities"])


@pytest.mark.parametrize(("change", "where"), [
    (lambda f: f["ethnicity"].update(options_from="ethnicities"), "options_from: 'ethnicities' is not"),
    (lambda f: f["ethnicity"].update(options_from=["ethnic_groups"]), "is not a code table"),
    (lambda f: f["child_birth_date"].update(options_from="ethnic_groups"), "options_from: only on"),
    (lambda f: f["ethnicity"].update(options=[{"value": "1", "label": {"vi": "a", "en": "a"}}]),
     "options and options_from together"),
    (lambda f: f["residence"].update(options_from="nationalities"), "an address takes its codes"),
    (lambda f: f["ethnicity"].update(level="province"), "only on a select or radio of admin_units"),
    (lambda f: f["registration_province"].update(level="district"), "'district' is not one of"),
    (lambda f: f["registration_commune"].update(parent_field="birth_date"), "is not a province select"),
    (lambda f: f["registration_commune"].update(parent_field="nationality"), "is not a province select"),
    (lambda f: f["registration_commune"].update(level="commune"), "level or parent_field, not both"),
    (lambda f: f["moves"]["fields"][1].update(parent_field="registration_province"),
     "is not a province select beside it"),
    (lambda f: f["registration_province"].pop("options_from"), "go with options_from"),
])
def test_a_malformed_options_from_is_refused(change: Any, where: str) -> None:
    problems = _with(change)
    assert any(where in p for p in problems), problems
    assert _with(lambda f: None) == []


def test_receipts_read_names_not_codes(good: dict[str, Any]) -> None:
    fields = forms.field_map(FORM)

    def shown(name: str, value: Any, lang: str = "vi") -> Any:
        return forms.shown_value(fields[name], value, lang)

    assert shown("ethnicity", "08") == "Mông"
    assert shown("nationality", "VN", "en") == "Vietnam"
    assert shown("residence", {"line": "5 Lê Lợi", "ward": BEN_THANH, "province": HCMC}) == {
        "line": "5 Lê Lợi", "ward": "Phường Bến Thành", "province": "Thành phố Hồ Chí Minh"}
    assert shown("married", "yes") == "Có" and shown("purpose", "other", "en") == "Another purpose"
    assert shown("moves", [{"province": HANOI, "commune": HOAN_KIEM}]) == [
        {"province": "Thành phố Hà Nội", "commune": "Phường Hoàn Kiếm"}]
    # What is not a code of the list is shown as it is, never refused here.
    assert shown("ethnicity", "H'Mông") == "H'Mông" and shown("ethnicity", 8) == 8
    assert shown("old_address", {"line": "1", "ward": "Hoàn Kiếm"}) == {"line": "1", "ward": "Hoàn Kiếm"}


def test_a_signed_receipt_prints_names(app: Any, db: Any, make_citizen: Any) -> None:
    from app.services.signed_documents import _field_rows
    from tests.factories import make_dossier
    from tests.form_constructs import loaded

    with loaded(app) as code:
        values = {**sample_values(FORM), "ethnicity": "08",
                  "residence": {"line": "5 Lê Lợi", "ward": BEN_THANH, "province": HCMC}}
        dossier = make_dossier(db.session, make_citizen().user, code, fields=values)
        rows = dict(_field_rows(db.session, dossier))
        db.session.rollback()
    assert rows["Dân tộc"] == "Mông"
    assert rows["Nơi cư trú"] == "5 Lê Lợi, Phường Bến Thành, Thành phố Hồ Chí Minh"
