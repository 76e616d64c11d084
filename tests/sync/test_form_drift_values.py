"""Which values of a draft fit a new form version (sync/form_drift.py `map_values`)."""

from __future__ import annotations

from datetime import date

from sync.form_drift import map_values

TODAY = date(2026, 12, 1)
FORM = {"sections": [{"id": "s", "title": {"vi": "S", "en": "S"}, "fields": [
    {"name": "married", "type": "checkbox", "label": {"vi": "Đã kết hôn", "en": "Married"}},
    {"name": "since", "type": "date", "label": {"vi": "Từ ngày", "en": "Since"}, "max": "today",
     "visible_if": {"field": "married", "equals": True}},
    {"name": "copies", "type": "number", "label": {"vi": "Số bản", "en": "Copies"}, "min": 1},
]}], "documents": []}


def test_a_value_fits_only_if_its_field_would_take_it_when_shown():
    """A value of a field hidden at the moment is judged as if shown: a date in the future
    does not fit even while "married" is unticked, so it is kept aside, not carried over."""
    values = {"since": "2099-01-01", "copies": 2, "gone": "x"}
    assert map_values(FORM, values, "vi", TODAY) == (
        {"copies": 2}, {"since": "2099-01-01", "gone": "x"})
    assert map_values(FORM, {"since": "2020-01-01"}, "vi", TODAY) == ({"since": "2020-01-01"}, {})


def test_values_are_judged_beside_the_drafts_other_values():
    assert map_values(FORM, {"copies": 0}, "vi", TODAY, context={"married": True}) == (
        {}, {"copies": 0})
    assert map_values(FORM, {"married": True}, "vi", TODAY, context={"since": "2099-01-01"}) == (
        {"married": True}, {})
