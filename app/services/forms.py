"""Form schema rules: conditions, validation and fees (see docs/form-schema.md).

The PWA's pwa/app/forms.js applies the same rules, so the phone shows the message
the server would send.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterator
from datetime import date, timedelta
from typing import Any

from app.errors import NotFound
from app.services import code_tables
from app.services.form_dates import display_date, parse_date, resolve_date
from app.services.i18n import localise, message

FIELD_TYPES = {
    "text", "textarea", "number", "date", "select", "radio", "checkbox",
    "phone", "email", "national_id", "address", "group",
}
STRING_TYPES = {"text", "textarea", "phone", "email", "national_id", "select", "radio"}
FORMATS = {
    "phone": re.compile(r"^(0|\+84)(3|5|7|8|9)[0-9]{8}$"),
    "email": re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
    "national_id": re.compile(r"^[0-9]{12}$"),
}
ADDRESS_KEYS = ("line", "ward", "province")
ADMIN_UNITS = "admin_units"  # the code table an address's ward and province codes come from
# Every citizen-typed string is bounded, also where a form sets no `max_length`: what the
# desk shows and a note there may hold (api/office/schemas.py: 4000), less for one line.
DEFAULT_MAX_LENGTH = {"textarea": 4000}
LINE_MAX_LENGTH = 500


def max_length(field: dict[str, Any]) -> int:
    return int(field.get("max_length", DEFAULT_MAX_LENGTH.get(field["type"], LINE_MAX_LENGTH)))


def _empty_of_its_type(field: dict[str, Any], value: Any) -> bool:
    """An unfilled value of the field's own type: no value, blank text, an unticked box, no
    entries, a blank address. Anything else (`{}`, `[]` or `{"__proto__": …}` in a text
    field) is refused like any other value of the wrong type, empty-looking or not."""
    ftype = field["type"]
    if value is None:
        return True
    if ftype in STRING_TYPES or ftype in ("number", "date"):
        return isinstance(value, str)
    if ftype == "checkbox":
        return value is False or (bool(field.get("options")) and value == [])
    if ftype == "group":
        return value == []
    if ftype == "address":
        return isinstance(value, dict) and all(
            k in ADDRESS_KEYS and isinstance(v, str) for k, v in value.items())
    return False


def _type_message(field: dict[str, Any], lang: str) -> list[str]:
    ftype = field["type"]
    key = {"number": "type_number", "date": "date", "address": "type_object",
           "group": "type_list"}.get(ftype, "type_string")
    if ftype == "checkbox":
        key = "type_list" if field.get("options") else "type_boolean"
    return [message(key, lang)]


def iter_fields(form: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every top-level field of a form, in order, across sections."""
    for section in form.get("sections", []):
        yield from section.get("fields", [])


def field_map(form: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in iter_fields(form)}


def _filled(value: Any) -> bool:
    if value is None or value is False:
        return False
    if isinstance(value, str):
        return value.strip() != ""
    if isinstance(value, (list, dict)):
        return len(value) > 0 and (
            not isinstance(value, dict) or any(_filled(v) for v in value.values())
        )
    return True


def _value_of(name: Any, values: dict[str, Any], scope: dict[str, Any] | None) -> Any:
    """A field's value as a condition sees it: a sibling in a group entry first, then top-level."""
    if scope is not None and name in scope:
        return scope.get(name)
    return values.get(name)


def evaluate(cond: dict[str, Any] | None, values: dict[str, Any], today: date,
             scope: dict[str, Any] | None = None) -> bool:
    """Evaluate a condition; inside a group `scope` holds the sibling values."""
    if not cond:
        return True
    if "all" in cond:
        return all(evaluate(c, values, today, scope) for c in cond["all"])
    if "any" in cond:
        return any(evaluate(c, values, today, scope) for c in cond["any"])
    value = _value_of(cond.get("field"), values, scope)
    if "equals" in cond:
        return value == cond["equals"]
    if "not_equals" in cond:
        return value != cond["not_equals"]
    if "in" in cond:
        return value in cond["in"]
    if "filled" in cond:
        return _filled(value) == bool(cond["filled"])
    if "within_days" in cond:
        d = parse_date(value)
        return d is not None and today - timedelta(days=int(cond["within_days"])) <= d <= today
    if "after" in cond or "before" in cond:
        d, bound = parse_date(value), resolve_date(cond.get("after", cond.get("before")), today)
        if d is None or bound is None:
            return False
        return d > bound if "after" in cond else d < bound
    return False


def _table_item(table: str, code: str) -> dict[str, Any] | None:
    try:
        return code_tables.item(table, code)
    except NotFound:  # a form naming a table there is not: no code fits
        return None


def _code_errors(field: dict[str, Any], code: str, lang: str, parent: Any) -> list[str]:
    """A select's or radio's code from its `options_from` table (of its `level`; for a
    `parent_field`, inside the province chosen there, once a valid one is)."""
    found = _table_item(field["options_from"], code)
    if found is None or ("level" in field and found.get("level") != field["level"]):
        return [message("option", lang)]
    if "parent_field" in field:
        if found.get("parent") is None:
            return [message("option", lang)]
        chosen = _table_item(field["options_from"], parent) if isinstance(parent, str) else None
        if chosen is not None and chosen.get("level") == "province" and found["parent"] != parent:
            return [message("ward_province", lang)]
    return []


def _address_code_errors(value: dict[str, str], lang: str, complete: bool) -> list[str]:
    """A coded address: a province and a commune of the administrative units, the commune in
    that province; a dossier being submitted needs both and the line."""
    errs: list[str] = []
    province, ward = value.get("province", ""), value.get("ward", "")
    unit = _table_item(ADMIN_UNITS, province) if province else None
    if province and (unit is None or unit.get("level") != "province"):
        errs.append(message("province_unknown", lang))
        unit = None
    commune = _table_item(ADMIN_UNITS, ward) if ward else None
    if ward and (commune is None or commune.get("level") != "commune"):
        errs.append(message("ward_unknown", lang))
    elif commune is not None and unit is not None and commune.get("parent") != province:
        errs.append(message("ward_province", lang))
    if complete and not all(_filled(value.get(k)) for k in ADDRESS_KEYS):
        errs.append(message("address_incomplete", lang))
    return errs


def _check_value(field: dict[str, Any], value: Any, lang: str, today: date,
                 values: dict[str, Any], scope: dict[str, Any] | None, complete: bool) -> list[str]:
    """Messages for one present value of one (non-group) field; `values` and `scope` (a group
    entry) hold the others, for a select whose units depend on another's."""
    ftype = field["type"]
    errs: list[str] = []
    if ftype in STRING_TYPES:
        if not isinstance(value, str):
            return [message("type_string", lang)]
        if "\x00" in value:  # never typed by a person, and PostgreSQL cannot store it
            return [message("nul", lang)]
        if "min_length" in field and len(value) < field["min_length"]:
            errs.append(message("min_length", lang, min_length=field["min_length"]))
        if len(value) > max_length(field):
            errs.append(message("max_length", lang, max_length=max_length(field)))
        if ftype in FORMATS and not FORMATS[ftype].match(value):
            errs.append(message(ftype, lang))
        if field.get("pattern") and not re.fullmatch(field["pattern"], value):
            errs.append(message("pattern", lang))
        if ftype in ("select", "radio") and field.get("options"):
            if value not in {o["value"] for o in field["options"]}:
                errs.append(message("option", lang))
        elif ftype in ("select", "radio") and field.get("options_from"):
            parent = _value_of(field.get("parent_field"), values, scope)
            errs += _code_errors(field, value, lang, parent)
    elif ftype == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return [message("type_number", lang)]
        if "min" in field and value < field["min"]:
            errs.append(message("min", lang, min=field["min"]))
        if "max" in field and value > field["max"]:
            errs.append(message("max", lang, max=field["max"]))
    elif ftype == "date":
        d = parse_date(value)
        if d is None:
            return [message("date", lang)]
        lo, hi = resolve_date(field.get("min"), today), resolve_date(field.get("max"), today)
        if lo and d < lo:
            errs.append(message("date_min", lang, min=display_date(lo)))
        if hi and d > hi:
            errs.append(message("date_max", lang, max=display_date(hi)))
    elif ftype == "checkbox":
        if field.get("options"):
            if not isinstance(value, list):
                return [message("type_list", lang)]
            allowed = {o["value"] for o in field["options"]}
            if any(v not in allowed for v in value):
                errs.append(message("option", lang))
        elif not isinstance(value, bool):
            errs.append(message("type_boolean", lang))
    elif ftype == "address":
        if not isinstance(value, dict) or any(
            k not in ADDRESS_KEYS or not isinstance(v, str) for k, v in value.items()
        ):
            return [message("type_object", lang)]
        if any("\x00" in v for v in value.values()):
            return [message("nul", lang)]
        if any(len(v) > max_length(field) for v in value.values()):
            errs.append(message("max_length", lang, max_length=max_length(field)))
        if field.get("options_from") == ADMIN_UNITS:
            errs += _address_code_errors(value, lang, complete)
    return errs


def validate(form: dict[str, Any], values: Any, lang: str = "vi", *, complete: bool = True,
             today: date | None = None, only: Collection[str] | None = None,
             fields: dict[str, dict[str, Any]] | None = None) -> dict[str, list[str]]:
    """Per-field messages for a set of values; `complete=False` skips required checks (drafts).

    `only`: check just these (top-level) fields, their visibility still judged on all of
    `values` — what a draft save needs, since it answers for the fields it changed.
    `fields`: the form's `field_map`, when the caller keeps it."""
    today = today or date.today()
    if not isinstance(values, dict):
        return {"fields": [message("type_object", lang)]}
    errors: dict[str, list[str]] = {}
    fields = fields if fields is not None else field_map(form)
    for name in values if only is None else [n for n in only if n in values]:
        if name not in fields:
            errors[name] = [message("unknown_field", lang)]
    checked = fields.items() if only is None else [(n, fields[n]) for n in only if n in fields]
    for name, field in checked:
        if not evaluate(field.get("visible_if"), values, today):
            continue
        value = values.get(name)
        if not _filled(value):
            if not _empty_of_its_type(field, value):
                errors[name] = _type_message(field, lang)
            elif complete and field.get("required"):
                errors[name] = [message("required", lang)]
            continue
        if field["type"] == "group":
            errors.update(_validate_group(field, value, values, lang, complete, today))
            continue
        errs = _check_value(field, value, lang, today, values, None, complete)
        if errs:
            errors[name] = errs
    if complete:
        for name, msgs in rule_errors(form, values, lang, today, fields).items():
            if only is None or name in only:
                errors.setdefault(name, []).extend(msgs)
    return errors


def rule_errors(form: dict[str, Any], values: dict[str, Any], lang: str, today: date,
                fields: dict[str, dict[str, Any]] | None = None) -> dict[str, list[str]]:
    """The form's cross-field `rules`: when one's `refuse_if` holds, each of its listed fields
    that is shown gets its message. Judged on the shown fields' values only: a hidden field's
    leftover refuses nothing. `validate` applies them to a complete dossier, not to drafts."""
    fields = fields if fields is not None else field_map(form)
    shown = {k: v for k, v in values.items()
             if k in fields and evaluate(fields[k].get("visible_if"), values, today)}
    errors: dict[str, list[str]] = {}
    for rule in form.get("rules") or []:
        if not evaluate(rule["refuse_if"], shown, today):
            continue
        for name in rule["fields"]:
            if name in fields and evaluate(fields[name].get("visible_if"), values, today):
                errors.setdefault(name, []).append(localise(rule["message"], lang))
    return errors


def _validate_group(field: dict[str, Any], items: Any, values: dict[str, Any], lang: str,
                    complete: bool, today: date) -> dict[str, list[str]]:
    name = field["name"]
    if not isinstance(items, list) or any(not isinstance(i, dict) for i in items):
        return {name: [message("type_list", lang)]}
    errors: dict[str, list[str]] = {}
    if complete and len(items) < field.get("min_items", 0):
        errors[name] = [message("min_items", lang, min_items=field["min_items"])]
    if "max_items" in field and len(items) > field["max_items"]:
        errors[name] = [message("max_items", lang, max_items=field["max_items"])]
    subs = {f["name"]: f for f in field.get("fields", [])}
    for i, item in enumerate(items):
        for key in item:
            if key not in subs:
                errors[f"{name}.{i}.{key}"] = [message("unknown_field", lang)]
        for sub_name, sub in subs.items():
            if not evaluate(sub.get("visible_if"), values, today, scope=item):
                continue
            value = item.get(sub_name)
            if not _filled(value):
                if not _empty_of_its_type(sub, value):
                    errors[f"{name}.{i}.{sub_name}"] = _type_message(sub, lang)
                elif complete and sub.get("required"):
                    errors[f"{name}.{i}.{sub_name}"] = [message("required", lang)]
                continue
            errs = _check_value(sub, value, lang, today, values, item, complete)
            if errs:
                errors[f"{name}.{i}.{sub_name}"] = errs
    return errors


def visible_values(form: dict[str, Any], values: dict[str, Any], today: date | None = None
                   ) -> dict[str, Any]:
    """The values an official, an export or a result should see: hidden fields' leftovers
    (top-level, and inside each entry of a group) are dropped."""
    today = today or date.today()
    fields = field_map(form)
    shown: dict[str, Any] = {}
    for k, v in values.items():
        field = fields.get(k)
        if field is None or not evaluate(field.get("visible_if"), values, today):
            continue
        if field["type"] == "group" and isinstance(v, list):
            subs = {f["name"]: f for f in field.get("fields", [])}
            v = [{sk: sv for sk, sv in item.items()
                  if sk in subs and evaluate(subs[sk].get("visible_if"), values, today, scope=item)}
                 if isinstance(item, dict) else item for item in v]
        shown[k] = v
    return shown


def _item_name(table: str, code: Any, lang: str) -> Any:
    found = _table_item(table, code) if isinstance(code, str) and code else None
    return localise(found["name"], lang) if found else code


def shown_value(field: dict[str, Any], value: Any, lang: str = "vi") -> Any:
    """A value as a reader of a receipt or a result reads it: an option's label and a code
    table item's name instead of their codes, in the same shape (the dossier keeps the codes)."""
    ftype = field.get("type")
    if ftype == "group" and isinstance(value, list):
        subs = {f["name"]: f for f in field.get("fields", [])}
        return [{k: shown_value(subs[k], v, lang) if k in subs else v for k, v in item.items()}
                if isinstance(item, dict) else item for item in value]
    if ftype == "address" and field.get("options_from") == ADMIN_UNITS and isinstance(value, dict):
        return {k: _item_name(ADMIN_UNITS, v, lang) if k in ("ward", "province") else v
                for k, v in value.items()}
    if field.get("options_from"):
        return _item_name(field["options_from"], value, lang)
    labels = {o["value"]: localise(o.get("label"), lang) for o in field.get("options") or []
              if isinstance(o.get("value"), str)}
    if isinstance(value, list):
        return [labels.get(v, v) if isinstance(v, str) else v for v in value]
    return labels.get(value, value) if isinstance(value, str) else value


def required_documents(form: dict[str, Any], values: dict[str, Any], today: date | None = None
                       ) -> list[dict[str, Any]]:
    today = today or date.today()
    return [
        d for d in form.get("documents", [])
        if d.get("required") or ("required_if" in d and evaluate(d["required_if"], values, today))
    ]
