"""Form validation: types, formats, conditions, groups, fees, messages in vi and en."""

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from app.services import forms
from app.services.fees import quote as fees_quote

TODAY = date(2026, 11, 29)
FORM = {
    "sections": [{"id": "a", "title": {"vi": "A", "en": "A"}, "fields": [
        {"name": "full_name", "type": "text", "required": True, "max_length": 10,
         "label": {"vi": "Họ tên", "en": "Name"}},
        {"name": "phone", "type": "phone", "label": {"vi": "SĐT", "en": "Phone"}},
        {"name": "id_number", "type": "national_id", "label": {"vi": "CCCD", "en": "ID"}},
        {"name": "birth", "type": "date", "max": "today", "label": {"vi": "Ngày", "en": "Date"}},
        {"name": "copies", "type": "number", "min": 1, "max": 10,
         "label": {"vi": "Số bản", "en": "Copies"}},
        {"name": "kind", "type": "radio", "required": True, "label": {"vi": "Loại", "en": "Kind"},
         "options": [{"value": "student", "label": {"vi": "SV", "en": "Student"}},
                     {"value": "other", "label": {"vi": "Khác", "en": "Other"}}]},
        {"name": "school", "type": "text", "required": True,
         "visible_if": {"field": "kind", "equals": "student"},
         "label": {"vi": "Trường", "en": "School"}},
        {"name": "history", "type": "group", "min_items": 1, "max_items": 2, "required": True,
         "label": {"vi": "Nơi cư trú", "en": "Residence"}, "fields": [
             {"name": "from", "type": "date", "required": True, "label": {"vi": "Từ", "en": "From"}},
             {"name": "address", "type": "address", "required": True,
              "label": {"vi": "Địa chỉ", "en": "Address"}},
         ]},
    ]}],
    "documents": [{"code": "card", "required_if": {"field": "kind", "equals": "student"},
                   "label": {"vi": "Thẻ", "en": "Card"}}],
}
GOOD = {"full_name": "An", "kind": "other",
        "history": [{"from": "2010-01-01", "address": {"line": "1 Hàng Bạc", "ward": "Hoàn Kiếm",
                                                       "province": "Hà Nội"}}]}


def test_valid_values_pass():
    assert forms.validate(FORM, GOOD, today=TODAY) == {}


def test_required_in_vietnamese_by_default_and_english_on_request():
    errors = forms.validate(FORM, {}, today=TODAY)
    assert errors["full_name"] == ["Trường này là bắt buộc."]
    assert forms.validate(FORM, {}, "en", today=TODAY)["kind"] == ["This field is required."]


def test_drafts_skip_required_but_not_types():
    errors = forms.validate(FORM, {"copies": "two"}, "en", complete=False, today=TODAY)
    assert errors == {"copies": ["Must be a number."]}


def test_formats_bounds_and_options():
    bad = {**GOOD, "phone": "0123", "id_number": "12345", "birth": "2030-01-01", "copies": 11,
           "kind": "robot", "full_name": "x" * 11}
    errors = forms.validate(FORM, bad, "en", today=TODAY)
    assert errors["phone"] == ["Not a valid Vietnamese mobile number."]
    assert errors["id_number"] == ["A personal ID number has exactly 12 digits."]
    assert errors["birth"] == ["Must not be after 29/11/2026."]
    assert errors["copies"] == ["Must be at most 10."]
    assert errors["kind"] == ["Not one of the choices."]
    assert errors["full_name"] == ["Must have at most 10 characters."]


def test_hidden_field_is_not_required_and_visible_one_is():
    assert "school" not in forms.validate(FORM, GOOD, today=TODAY)
    errors = forms.validate(FORM, {**GOOD, "kind": "student"}, "en", today=TODAY)
    assert errors == {"school": ["This field is required."]}


def test_group_items_are_checked_with_paths():
    values = {**GOOD, "history": [{"from": "nope"}, {}, {}]}
    errors = forms.validate(FORM, values, "en", today=TODAY)
    assert errors["history"] == ["At most 2 entries."]
    assert errors["history.0.from"] == ["Not a valid date: type day/month/year, for example 17/05/1990."]
    assert errors["history.0.address"] == ["This field is required."]


def test_unknown_fields_are_reported():
    assert forms.validate(FORM, {**GOOD, "hack": 1}, "en", today=TODAY) == {
        "hack": ["The form has no such field."]}


def test_conditional_document_and_fee_rules():
    assert forms.required_documents(FORM, GOOD, TODAY) == []
    assert [d["code"] for d in forms.required_documents(FORM, {"kind": "student"}, TODAY)] == [
        "card"]
    fees = {"amount": 8000, "rules": [{"code": "new", "amount": 0,
                                       "when": {"field": "birth", "within_days": 60}}]}
    assert fees_quote(fees, {"birth": "2026-11-01"}, TODAY)["amount"] == 0
    assert fees_quote(fees, {"birth": "2026-01-01"}, TODAY)["amount"] == 8000


BAD_VALUES = [None, "", "x" * 11, 42, -1, 0.5, True, "2999-01-01", "0123", "student", "other",
              [], [{"from": "nope"}], {"line": 3}, ["student"]]


@given(values=st.dictionaries(st.sampled_from([*forms.field_map(FORM), "stray"]),
                              st.sampled_from(BAD_VALUES), max_size=8),
       only=st.sets(st.sampled_from([*forms.field_map(FORM), "stray", "absent"]), max_size=4),
       complete=st.booleans())
def test_validating_only_some_fields_gives_exactly_their_messages(values, only, complete):
    """A draft save checks just the fields it changed: the same messages a whole-form check
    gives for those fields, judged with every other value (visibility) in view."""
    whole = forms.validate(FORM, values, complete=complete, today=TODAY)
    some = forms.validate(FORM, values, complete=complete, today=TODAY, only=only)
    assert some == {k: v for k, v in whole.items() if k.split(".")[0] in only}
