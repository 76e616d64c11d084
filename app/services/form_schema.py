"""The check a procedure file passes before it is loaded (docs/form-schema.md): a bound, a
condition, a rule or a code table the validators could not read is refused at catalog load,
never met later as a silent "no bound" or a condition that never holds."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any

from app.services import code_tables
from app.services.form_dates import is_date_spec
from app.services.forms import FIELD_TYPES

CONDITION_KINDS = ("equals", "not_equals", "in", "filled", "within_days", "after", "before")
CODED_TYPES = ("select", "radio", "address")
ADMIN_UNITS = "admin_units"
ADMIN_LEVELS = ("province", "commune")


class FormSchemaError(ValueError):
    """A procedure file that cannot be loaded. Raised while loading the catalog (a deploy or
    CLI step), never in answer to a request, so it is not a problem response."""

    def __init__(self, where: str, problems: list[str]) -> None:
        super().__init__(f"{where}: " + "; ".join(problems))
        self.problems = problems


def check_procedure(spec: dict[str, Any], tables: Collection[str] | None = None) -> None:
    """Refuse a procedure whose forms or fee conditions do not follow the schema. `tables`:
    the code tables there are (by default those app/services/code_tables.py serves)."""
    tables = code_tables.names() if tables is None else tables
    problems: list[str] = []
    for i, rule in enumerate((spec.get("fees") or {}).get("rules") or []):
        if "when" in rule:
            problems += _condition(rule["when"], f"fees.rules[{i}].when")
    for i, version in enumerate(spec.get("versions") or []):
        problems += check_form(version.get("form"), tables, f"versions[{i}].form")
    if problems:
        raise FormSchemaError(str(spec.get("code", "procedure")), problems)


def check_form(form: Any, tables: Collection[str] | None = None, at: str = "form") -> list[str]:
    """Every problem in one form, each with where it is; [] for a form that loads."""
    if not isinstance(form, dict):
        return [f"{at}: not an object"]
    problems: list[str] = []
    top: dict[str, dict[str, Any]] = {}
    for where, field in _fields(form, at):
        if not isinstance(field, dict) or not isinstance(field.get("name"), str):
            problems.append(f"{where}: a field needs a name")
            continue
        top[field["name"]] = field
        problems += _field(field, where, tables, top_level=form)
        subs = {s["name"]: s for s in field.get("fields") or [] if isinstance(s, dict) and "name" in s}
        for j, sub in enumerate(field.get("fields") or []):
            if isinstance(sub, dict):
                problems += _field(sub, f"{where}.fields[{j}]", tables, top_level=form, siblings=subs)
    for i, doc in enumerate(form.get("documents") or []):
        if isinstance(doc, dict) and "required_if" in doc:
            problems += _condition(doc["required_if"], f"{at}.documents[{i}].required_if")
    problems += _rules(form.get("rules"), top, f"{at}.rules")
    return problems


def _fields(form: dict[str, Any], at: str) -> Iterator[tuple[str, Any]]:
    for i, section in enumerate(form.get("sections") or []):
        for j, field in enumerate((section or {}).get("fields") or []):
            yield f"{at}.sections[{i}].fields[{j}]", field


def _top_fields(form: dict[str, Any]) -> dict[str, Any]:
    return {f["name"]: f for _, f in _fields(form, "") if isinstance(f, dict) and "name" in f}


def _field(field: dict[str, Any], at: str, tables: Collection[str] | None, *,
           top_level: dict[str, Any], siblings: dict[str, Any] | None = None) -> list[str]:
    problems: list[str] = []
    ftype = field.get("type")
    if ftype not in FIELD_TYPES:
        problems.append(f"{at}.type: {ftype!r} is not a field type")
    if ftype == "date":
        for key in ("min", "max"):
            if key in field and not is_date_spec(field[key]):
                problems.append(f"{at}.{key}: {field[key]!r} is neither YYYY-MM-DD nor today±N(d|m|y)")
    if "visible_if" in field:
        problems += _condition(field["visible_if"], f"{at}.visible_if")
    if "options_from" in field:
        problems += _options_from(field, at, tables, siblings or _top_fields(top_level))
    elif "level" in field or "parent_field" in field:
        problems.append(f"{at}: level and parent_field go with options_from")
    return problems


def _options_from(field: dict[str, Any], at: str, tables: Collection[str] | None,
                  scope: dict[str, Any]) -> list[str]:
    name, ftype = field["options_from"], field.get("type")
    problems: list[str] = []
    if ftype not in CODED_TYPES:
        problems.append(f"{at}.options_from: only on {', '.join(CODED_TYPES)}")
    if not isinstance(name, str) or (tables is not None and name not in tables):
        problems.append(f"{at}.options_from: {name!r} is not a code table")
    if field.get("options"):
        problems.append(f"{at}: options and options_from together")
    if ftype == "address" and name != ADMIN_UNITS:
        problems.append(f"{at}.options_from: an address takes its codes from {ADMIN_UNITS}")
    if ("level" in field or "parent_field" in field) and (name != ADMIN_UNITS or ftype == "address"):
        problems.append(f"{at}: level and parent_field only on a select or radio of {ADMIN_UNITS}")
    if "level" in field and "parent_field" in field:
        problems.append(f"{at}: level or parent_field, not both")
    if "level" in field and field["level"] not in ADMIN_LEVELS:
        problems.append(f"{at}.level: {field['level']!r} is not one of {', '.join(ADMIN_LEVELS)}")
    if "parent_field" in field:
        parent = scope.get(field["parent_field"]) if isinstance(field["parent_field"], str) else None
        if (not isinstance(parent, dict) or parent.get("options_from") != ADMIN_UNITS
                or parent.get("type") not in ("select", "radio") or parent.get("level") != "province"):
            problems.append(f"{at}.parent_field: {field['parent_field']!r} is not a province "
                            "select beside it")
    return problems


def _condition(cond: Any, at: str) -> list[str]:
    if not isinstance(cond, dict) or not cond:
        return [f"{at}: a condition is a non-empty object"]
    for joiner in ("all", "any"):
        if joiner in cond:
            if len(cond) != 1 or not isinstance(cond[joiner], list) or not cond[joiner]:
                return [f"{at}.{joiner}: a non-empty list, alone in its object"]
            return [p for i, c in enumerate(cond[joiner]) for p in _condition(c, f"{at}.{joiner}[{i}]")]
    kinds = [k for k in CONDITION_KINDS if k in cond]
    if not isinstance(cond.get("field"), str) or len(kinds) != 1 or len(cond) != 2:
        return [f"{at}: a field and one of {', '.join(CONDITION_KINDS)}, nothing else"]
    kind, arg = kinds[0], cond[kinds[0]]
    if kind in ("after", "before") and not is_date_spec(arg):
        return [f"{at}.{kind}: {arg!r} is neither YYYY-MM-DD nor today±N(d|m|y)"]
    if kind == "in" and not isinstance(arg, list):
        return [f"{at}.in: a list"]
    if kind == "within_days" and (isinstance(arg, bool) or not isinstance(arg, int)):
        return [f"{at}.within_days: a whole number of days"]
    return []


def _rules(rules: Any, top: dict[str, Any], at: str) -> list[str]:
    if rules is None:
        return []
    if not isinstance(rules, list):
        return [f"{at}: a list"]
    problems: list[str] = []
    seen: set[str] = set()
    for i, rule in enumerate(rules):
        where = f"{at}[{i}]"
        if not isinstance(rule, dict):
            problems.append(f"{where}: an object")
            continue
        if not isinstance(rule.get("id"), str) or rule["id"] in seen:
            problems.append(f"{where}.id: a name, unique among the rules")
        seen.add(str(rule.get("id")))
        problems += _condition(rule.get("refuse_if"), f"{where}.refuse_if")
        names = rule.get("fields")
        if not isinstance(names, list) or not names or any(
                not isinstance(n, str) or n not in top for n in names):
            problems.append(f"{where}.fields: a non-empty list of the form's top-level fields")
        text = rule.get("message")
        if not isinstance(text, dict) or not all(
                isinstance(text.get(k), str) and text[k] for k in ("vi", "en")):
            problems.append(f"{where}.message: a text in vi and en")
    return problems
