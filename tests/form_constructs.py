"""A form using every construct of docs/form-schema.md, for the schema's own tests: they do
not depend on the demo catalog's procedures, which change with the law."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from app.services.catalog import DEMO_DIR


def _l(vi: str, en: str) -> dict[str, str]:
    return {"vi": vi, "en": en}


YES_NO = [{"value": "yes", "label": _l("Có", "Yes")}, {"value": "no", "label": _l("Không", "No")}]

FORM: dict[str, Any] = {
    "sections": [
        {"id": "child", "title": _l("Trẻ em", "Child"), "fields": [
            {"name": "child_birth_date", "type": "date", "required": True, "min": "today-6y",
             "max": "today", "label": _l("Ngày sinh của trẻ", "Child's date of birth")},
            {"name": "appointment", "type": "date", "min": "today+1d", "max": "today+3m",
             "label": _l("Ngày hẹn", "Appointment")},
            {"name": "ethnicity", "type": "select", "required": True, "options_from": "ethnic_groups",
             "label": _l("Dân tộc", "Ethnic group")},
            {"name": "nationality", "type": "select", "options_from": "nationalities",
             "label": _l("Quốc tịch", "Nationality")},
            {"name": "residence", "type": "address", "required": True, "options_from": "admin_units",
             "label": _l("Nơi cư trú", "Residence")},
            {"name": "old_address", "type": "address", "label": _l("Địa chỉ cũ", "Old address")},
            {"name": "birth_province", "type": "radio", "options_from": "admin_units",
             "level": "province", "label": _l("Tỉnh nơi sinh", "Province of birth")},
            {"name": "registration_province", "type": "select", "options_from": "admin_units",
             "level": "province", "label": _l("Tỉnh đăng ký", "Province of registration")},
            {"name": "registration_commune", "type": "select", "options_from": "admin_units",
             "parent_field": "registration_province",
             "label": _l("Xã/phường đăng ký", "Commune of registration")},
            {"name": "moves", "type": "group", "max_items": 3, "label": _l("Nơi ở trước", "Earlier homes"),
             "fields": [
                 {"name": "province", "type": "select", "options_from": "admin_units", "level": "province",
                  "label": _l("Tỉnh", "Province")},
                 {"name": "commune", "type": "select", "options_from": "admin_units",
                  "parent_field": "province", "label": _l("Xã/phường", "Commune")},
                 {"name": "address", "type": "address", "options_from": "admin_units",
                  "label": _l("Địa chỉ", "Address")},
             ]},
        ]},
        {"id": "marriage", "title": _l("Hôn nhân", "Marriage"), "fields": [
            {"name": "married", "type": "radio", "required": True, "options": YES_NO,
             "label": _l("Hiện đang có vợ/chồng", "Currently married")},
            {"name": "marriage_date", "type": "date", "max": "today",
             "visible_if": {"field": "married", "equals": "yes"},
             "label": _l("Ngày đăng ký kết hôn", "Date of marriage")},
            {"name": "cohabitation_note", "type": "text",
             "visible_if": {"field": "marriage_date", "before": "1987-01-03"},
             "label": _l("Chung sống trước 03/01/1987", "Living together before 03/01/1987")},
            {"name": "purpose", "type": "select", "required": True,
             "options": [{"value": "marriage", "label": _l("Để đăng ký kết hôn", "To register a marriage")},
                         {"value": "other", "label": _l("Mục đích khác", "Another purpose")}],
             "label": _l("Mục đích sử dụng", "Purpose")},
        ]},
    ],
    "rules": [
        {"id": "married_cannot_marry",
         "refuse_if": {"all": [{"field": "married", "equals": "yes"},
                               {"field": "purpose", "equals": "marriage"}]},
         "fields": ["married", "purpose"],
         "message": _l("Người đang có vợ/chồng không được xác nhận để đăng ký kết hôn.",
                       "A person who is married cannot get this confirmation to register a marriage.")},
        {"id": "appointment_too_soon",
         "refuse_if": {"all": [{"field": "appointment", "before": "today+7d"},
                               {"field": "purpose", "equals": "marriage"}]},
         "fields": ["appointment", "purpose", "marriage_date"],
         "message": _l("Để đăng ký kết hôn, ngày hẹn phải cách hôm nay ít nhất 7 ngày.",
                       "To register a marriage, the appointment must be at least 7 days from today.")},
    ],
    "documents": [
        {"code": "child_card", "label": _l("Thẻ của trẻ", "Child's card"),
         "required_if": {"all": [{"field": "child_birth_date", "after": "today-6y"},
                                 {"field": "married", "equals": "no"}]}},
        {"code": "ethnic_minority_card", "label": _l("Giấy tờ dân tộc", "Ethnicity paper"),
         "required_if": {"all": [{"field": "ethnicity", "not_equals": "01"},
                                 {"field": "nationality", "in": ["VN"]},
                                 {"field": "child_birth_date", "after": "today-6y"}]}},
        {"code": "old_marriage", "label": _l("Giấy tờ kết hôn cũ", "Old marriage paper"),
         "required_if": {"any": [{"field": "marriage_date", "before": "today-1y"},
                                 {"field": "cohabitation_note", "filled": True}]}},
    ],
}


def procedure(code: str = "schema-constructs") -> dict[str, Any]:
    """FORM as a procedure file, for tests that load it into the catalog; it goes to the
    agency that handles birth registration (its routing keys are borrowed from that file)."""
    birth = json.loads((DEMO_DIR / "catalog" / "birth-registration.json").read_text())
    return {"code": code, **{k: birth[k] for k in ("agency", "competent") if k in birth},
            "name": _l("Biểu mẫu thử mọi cấu trúc", "A form with every construct"),
            "summary": _l("Chỉ dùng trong kiểm thử.", "For tests only."), "processing_days": 1,
            "versions": [{"version": 1, "published_at": "2026-01-01", "accepted_until": None,
                          "form": FORM}]}


@contextmanager
def loaded(app: Any, code: str = "schema-constructs") -> Iterator[str]:
    """The procedure in the catalog while the block runs (the catalog's tables are not wiped
    between tests: its dossiers are wiped, then it is removed)."""
    from app.extensions import db
    from app.models.catalog import FormVersion, Procedure
    from app.services import catalog
    from tests.conftest import wipe

    with app.app_context():
        catalog.load_procedure(db.session, procedure(code))
        db.session.commit()
    try:
        yield code
    finally:
        wipe(app)
        with app.app_context():
            db.session.query(FormVersion).filter_by(procedure_code=code).delete()
            db.session.query(Procedure).filter_by(code=code).delete()
            db.session.commit()
