"""The form schema's newer constructs on the server: dates relative to today, `after`/`before`
conditions, cross-field rules, documents required by a rule over several fields, and the
check that refuses a malformed procedure file at catalog load."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.services import form_schema, forms
from app.services.form_dates import display_date, is_date_spec, resolve_date
from tests.form_constructs import FORM, procedure

TODAY = date(2026, 11, 29)
GOOD = {"child_birth_date": "2024-05-01", "married": "no", "purpose": "marriage", "ethnicity": "01",
        "residence": {"line": "1 Hàng Bạc", "ward": "00070", "province": "01"}}


@pytest.mark.parametrize(("spec", "today", "expected"), [
    ("today", TODAY, date(2026, 11, 29)),
    ("today-6y", TODAY, date(2020, 11, 29)),
    ("today+30d", TODAY, date(2026, 12, 29)),
    ("today-3m", TODAY, date(2026, 8, 29)),
    ("today-3m", date(2026, 5, 31), date(2026, 2, 28)),     # a shorter month: its last day
    ("today-6y", date(2024, 2, 29), date(2018, 2, 28)),     # 29 February, six years before
    ("today+1y", date(2027, 2, 28), date(2028, 2, 28)),
    ("today-0d", TODAY, TODAY),
    ("today+13m", TODAY, date(2027, 12, 29)),
    ("2020-01-31", TODAY, date(2020, 1, 31)),
    ("today-9999y", TODAY, None),                           # before year 1: no bound
    ("today+9999d", date(9999, 12, 1), None),
    ("today - 6y", TODAY, None), ("today-6", TODAY, None), ("today-6w", TODAY, None),
    ("TODAY", TODAY, None), ("today\n", TODAY, None), ("today-６y", TODAY, None),
    (None, TODAY, None), (6, TODAY, None), (["today"], TODAY, None),
])
def test_relative_bounds_resolve_against_today(spec: Any, today: date, expected: date | None) -> None:
    assert resolve_date(spec, today) == expected
    assert is_date_spec(spec) == (spec in ("today-9999y", "today+9999d") or expected is not None)


def test_date_bounds_relative_to_today_say_the_date_in_the_apps_format() -> None:
    old = {**GOOD, "child_birth_date": "2020-11-28"}
    assert forms.validate(FORM, old, "en", today=TODAY) == {
        "child_birth_date": ["Must not be before 29/11/2020."]}
    assert forms.validate(FORM, old, "vi", today=TODAY) == {
        "child_birth_date": ["Ngày không được trước 29/11/2020."]}
    assert forms.validate(FORM, {**GOOD, "child_birth_date": "2020-11-29"}, today=TODAY) == {}
    soon = {**GOOD, "appointment": "2026-11-29"}
    assert forms.validate(FORM, soon, "en", today=TODAY, complete=False) == {
        "appointment": ["Must not be before 30/11/2026."]}
    late = {**GOOD, "appointment": "2027-03-01"}
    assert forms.validate(FORM, late, "en", today=TODAY, complete=False) == {
        "appointment": ["Must not be after 28/02/2027."]}
    assert display_date(date(33, 1, 2)) == "02/01/0033"


def test_after_and_before_compare_strictly_and_hold_only_for_dates() -> None:
    cond_after = {"field": "d", "after": "today-6y"}
    cond_before = {"field": "d", "before": "1987-01-03"}
    assert forms.evaluate(cond_after, {"d": "2020-11-30"}, TODAY)
    assert not forms.evaluate(cond_after, {"d": "2020-11-29"}, TODAY)   # six today: not under 6
    assert forms.evaluate(cond_before, {"d": "1987-01-02"}, TODAY)
    assert not forms.evaluate(cond_before, {"d": "1987-01-03"}, TODAY)
    for hostile in (None, "", 20201130, "30/11/2020", ["2020-11-30"], {"d": 1}, True):
        assert not forms.evaluate(cond_after, {"d": hostile}, TODAY)
        assert not forms.evaluate(cond_before, {"d": hostile}, TODAY)
    assert not forms.evaluate({"field": "d", "after": "soon"}, {"d": "2020-11-30"}, TODAY)


def test_visibility_follows_a_before_condition() -> None:
    values = {**GOOD, "married": "yes", "purpose": "other", "marriage_date": "1986-05-01",
              "cohabitation_note": "1 2 3"}
    assert forms.visible_values(FORM, values, TODAY)["cohabitation_note"] == "1 2 3"
    later = {**values, "marriage_date": "1990-05-01"}
    assert "cohabitation_note" not in forms.visible_values(FORM, later, TODAY)


def test_a_rule_refuses_the_combination_on_each_listed_field() -> None:
    married = {**GOOD, "married": "yes", "marriage_date": "2010-01-01"}
    errors = forms.validate(FORM, married, "en", today=TODAY)
    text = "A person who is married cannot get this confirmation to register a marriage."
    assert errors == {"married": [text], "purpose": [text]}
    assert forms.validate(FORM, married, "vi", today=TODAY)["purpose"] == [
        "Người đang có vợ/chồng không được xác nhận để đăng ký kết hôn."]
    assert forms.validate(FORM, {**married, "purpose": "other"}, today=TODAY) == {}


def test_rules_refuse_a_dossier_not_a_draft() -> None:
    married = {**GOOD, "married": "yes"}
    assert forms.validate(FORM, married, "en", complete=False, today=TODAY) == {}
    assert forms.validate(FORM, married, "en", today=TODAY, only=["purpose"]) == {
        "purpose": ["A person who is married cannot get this confirmation to register a marriage."]}


def test_a_rule_message_goes_after_the_fields_own_and_not_on_hidden_fields() -> None:
    # marriage_date is listed by the appointment rule but hidden while not married.
    soon = "To register a marriage, the appointment must be at least 7 days from today."
    values = {**GOOD, "appointment": "2026-11-29"}
    errors = forms.validate(FORM, values, "en", today=TODAY)
    assert errors == {"appointment": ["Must not be before 30/11/2026.", soon], "purpose": [soon]}
    married = "A person who is married cannot get this confirmation to register a marriage."
    shown = {**values, "married": "yes"}
    assert forms.validate(FORM, shown, "en", today=TODAY) == {
        "appointment": ["Must not be before 30/11/2026.", soon], "married": [married],
        "purpose": [married, soon], "marriage_date": [soon]}
    assert forms.validate(FORM, {**shown, "appointment": "2026-12-05"}, "en", today=TODAY,
                          only=["appointment"]) == {"appointment": [soon]}


def test_a_hidden_fields_leftover_refuses_nothing() -> None:
    form = copy.deepcopy(FORM)
    form["rules"][0]["refuse_if"] = {"field": "cohabitation_note", "filled": True}
    leftover = {**GOOD, "cohabitation_note": "kept from before"}   # hidden: not married
    assert forms.validate(form, leftover, "en", today=TODAY) == {}


def test_documents_required_by_a_rule_over_several_fields() -> None:
    def needed(values: dict[str, Any]) -> list[str]:
        return [d["code"] for d in forms.required_documents(FORM, values, TODAY)]

    assert needed(GOOD) == ["child_card"]
    assert needed({**GOOD, "married": "yes"}) == []
    assert needed({**GOOD, "child_birth_date": "2020-11-29"}) == []
    assert needed({"married": "yes", "marriage_date": "2025-11-28"}) == ["old_marriage"]
    assert needed({"married": "yes", "marriage_date": "2025-11-29"}) == []
    assert needed({"married": "yes", "cohabitation_note": "x"}) == ["old_marriage"]


def test_the_constructs_form_loads() -> None:
    assert form_schema.check_form(FORM) == []
    form_schema.check_procedure(procedure())


def _broken(change: Any) -> list[str]:
    form = copy.deepcopy(FORM)
    change(form)
    return form_schema.check_form(form)


def _field(form: dict[str, Any], name: str) -> dict[str, Any]:
    return next(f for f in forms.iter_fields(form) if f["name"] == name)


@pytest.mark.parametrize(("change", "where"), [
    (lambda f: _field(f, "child_birth_date").update(min="today-6q"), "fields[0].min"),
    (lambda f: _field(f, "child_birth_date").update(max="today -1d"), "fields[0].max"),
    (lambda f: _field(f, "appointment").update(min=20261129), "fields[1].min"),
    (lambda f: _field(f, "appointment").update(max="2026-02-30"), "fields[1].max"),
    (lambda f: _field(f, "cohabitation_note").update(
        visible_if={"field": "marriage_date", "before": "yesterday"}), "visible_if.before"),
    (lambda f: f["documents"][0]["required_if"]["all"][0].update(after="today-6"), "all[0].after"),
    (lambda f: f["documents"][0].update(required_if={"field": "married", "equal": "no"}), "required_if"),
    (lambda f: f["documents"][0].update(required_if={"all": []}), "required_if.all"),
    (lambda f: f["documents"][0].update(required_if={"field": "married", "in": "no"}), "required_if.in"),
    (lambda f: f["rules"][0].update(refuse_if={}), "rules[0].refuse_if"),
    (lambda f: f["rules"][0].update(fields=["married", "nobody"]), "rules[0].fields"),
    (lambda f: f["rules"][0].update(fields=[]), "rules[0].fields"),
    (lambda f: f["rules"][0].update(fields=[["married"]]), "rules[0].fields"),
    (lambda f: f["rules"][0].update(message={"vi": "Chỉ tiếng Việt"}), "rules[0].message"),
    (lambda f: f["rules"][1].update(id="married_cannot_marry"), "rules[1].id"),
    (lambda f: f.update(rules={"id": "x"}), "form.rules"),
    (lambda f: f["rules"][1]["refuse_if"]["all"][0].update(before="next week"),
     "rules[1].refuse_if.all[0].before"),
    (lambda f: f["rules"][1]["refuse_if"].update(field="x"), "rules[1].refuse_if.all"),
])
def test_a_malformed_form_is_refused_with_where(change: Any, where: str) -> None:
    problems = _broken(change)
    assert problems and where in problems[0], problems


def test_catalog_load_refuses_a_malformed_bound(db: Any) -> None:
    from app.services import catalog

    spec = procedure("schema-broken")
    spec["versions"][0]["form"] = copy.deepcopy(FORM)
    _field(spec["versions"][0]["form"], "child_birth_date")["min"] = "today-6 years"
    with pytest.raises(form_schema.FormSchemaError, match=r"schema-broken: .*fields\[0\]\.min"):
        catalog.load_procedure(db.session, spec)
    spec["fees"] = {"amount": 1, "rules": [{"code": "x", "amount": 0, "when": {"field": "a", "after": "x"}}]}
    with pytest.raises(form_schema.FormSchemaError, match=r"fees\.rules\[0\]\.when\.after"):
        catalog.load_procedure(db.session, spec)


VALUES = [None, "", "yes", "no", "marriage", "other", "2026-11-29", "2020-11-29", "1986-05-01",
          "01", "79", "00070", "26743", "08", "VN", 7, ["01"],
          {"line": "1", "ward": "26743", "province": "01"}, {"line": "", "ward": "", "province": "79"},
          [{"province": "79", "commune": "00070"}]]


@given(values=st.dictionaries(st.sampled_from([*forms.field_map(FORM), "stray"]), st.sampled_from(VALUES),
                              max_size=10),
       only=st.sets(st.sampled_from([*forms.field_map(FORM), "stray"]), max_size=4),
       complete=st.booleans())
def test_validating_only_some_fields_keeps_their_rule_and_code_messages(
        values: dict[str, Any], only: set[str], complete: bool) -> None:
    whole = forms.validate(FORM, values, complete=complete, today=TODAY)
    some = forms.validate(FORM, values, complete=complete, today=TODAY, only=only)
    assert some == {k: v for k, v in whole.items() if k.split(".")[0] in only}
