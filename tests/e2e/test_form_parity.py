"""The phone validates exactly like the server: pwa/app/rules.js (in Chromium) and
app/services/forms.py give the same error keys and the same messages on the demo forms and
on tests/form_constructs.py (relative dates, after/before, cross-field rules), and require
the same documents."""

from __future__ import annotations

import copy
import json
from datetime import date, timedelta
from typing import Any

from app.services import code_tables, forms
from tests import form_constructs
from tests.factories import sample_values

TODAY = date(2026, 11, 29)
BAD_BY_TYPE: dict[str, list[Any]] = {
    "text": [123, "", "   ", "x" * 300, "7", "a@b", ["list"], "An\x00"],
    "textarea": [False, "y" * 5000],
    "number": ["12", True, -5, 0, 10**9, 2.5, None],
    "date": ["2026-02-30", "29/11/2026", "2027-01-01", "1899-12-31", "2026-W48-7", 20261129, ""],
    "select": ["nope", 1, ""],
    "radio": ["nope", ["male"], None],
    "checkbox": ["yes", ["nope"], 1, [], True, False],
    "phone": ["0123456789", "+84912345678", "0912345678\n", "091234567", 912345678, "\x00"],
    "email": ["a@b", "an@example.vn", "a b@c.d", "@x.vn"],
    "national_id": ["12345", "00119001234a", "001190012345", "００１１９００１２３４５"],
    "address": [{"line": "1"}, {"line": 1}, {"street": "x"}, "Hà Nội",
                {"line": "", "ward": "", "province": ""}, {"line": "z" * 300, "ward": "", "province": ""},
                {"line": "1 Hàng Bạc\x00", "ward": "Hoàn Kiếm", "province": "Hà Nội"}],
    "group": [[], {}, [1], [{}], [{"bogus": 1}]],
}


def _cases(form: dict[str, Any]) -> list[dict[str, Any]]:
    good = sample_values(form, TODAY)
    cases: list[dict[str, Any]] = [{}, good, {**good, "not_a_field": 1}, []]  # type: ignore[list-item]
    for field in forms.iter_fields(form):
        for bad in BAD_BY_TYPE.get(field["type"], []):
            cases.append({**good, field["name"]: bad})
        if field["type"] == "group" and good.get(field["name"]):
            item = good[field["name"]][0]
            for sub in field.get("fields", []):
                for bad in BAD_BY_TYPE.get(sub["type"], [])[:3]:
                    values = copy.deepcopy(good)
                    values[field["name"]] = [item, {**item, sub["name"]: bad}]
                    cases.append(values)
        for option in field.get("options", []):  # every branch of conditional visibility
            value = [option["value"]] if field["type"] == "checkbox" else option["value"]
            cases.append({**good, field["name"]: value})
        if field.get("options_from") and field["type"] != "address":  # a few codes of its table
            items = code_tables.table(field["options_from"])["items"]
            for item in [i for i in items if i.get("level") == field.get("level", i.get("level"))][:6]:
                cases.append({**good, field["name"]: item["code"]})
    cases.append({k: (TODAY - timedelta(days=3)).isoformat() for k in good})
    return cases


# Dates around each relative bound of the constructs form (today-6y, today+1d, today+3m,
# today+7d, today-1y, 1987-01-03), and across month ends and 29 February.
EDGE_DATES = ["2020-11-28", "2020-11-29", "2020-11-30", "2026-11-29", "2026-11-30", "2026-12-06",
              "2026-12-07", "2027-02-28", "2027-03-01", "2025-11-28", "2025-11-29", "1987-01-02",
              "1987-01-03", "2024-02-29", "0001-01-01", "9999-12-31"]


def _construct_cases() -> list[dict[str, Any]]:
    good = {"child_birth_date": "2024-05-01", "married": "no", "purpose": "other"}
    cases: list[dict[str, Any]] = []
    for d in EDGE_DATES:
        cases += [{**good, "child_birth_date": d}, {**good, "appointment": d},
                  {**good, "married": "yes", "marriage_date": d, "cohabitation_note": "x"}]
    for married in ("yes", "no", None, 1, ["yes"]):
        for purpose in ("marriage", "other", None, ""):
            cases.append({**good, "married": married, "purpose": purpose, "appointment": "2026-12-01"})
    cases.append({"cohabitation_note": "leftover", "married": "no"})
    # Codes: of the tables or not, of the wrong level, a commune outside the province chosen.
    codes = ["01", "79", "00070", "26743", "04", "VN", "FR", "99", "Hà Nội", "", "01 ", 1, None]
    for code in codes:
        cases += [{**good, "ethnicity": code}, {**good, "nationality": code},
                  {**good, "birth_province": code}, {**good, "registration_province": code},
                  {**good, "registration_province": "79", "registration_commune": code},
                  {**good, "registration_commune": code},
                  {**good, "moves": [{"province": code, "commune": "00070"}, {"commune": code}]}]
        for other in ("01", "79", "00070", "26743", "x", ""):
            for line in ("", "5 Lê Lợi"):
                cases.append({**good, "residence": {"line": line, "ward": code, "province": other}
                              if isinstance(code, str) else {"ward": other}})
    cases.append({**good, "residence": {"province": "01"}, "moves": [{"address": {"ward": "00070"}}]})
    return cases


def _required_documents_match(page: Any, form: dict[str, Any], cases: list[dict[str, Any]]) -> None:
    phone = page.evaluate("""async ({form, cases, today}) => {
        const rules = await import('/app/rules.js');
        const day = rules.parseDate(today);
        return cases.map((v) => rules.requiredDocuments(form, v, day).map((d) => d.code));
    }""", {"form": form, "cases": cases, "today": TODAY.isoformat()})
    server = [[d["code"] for d in forms.required_documents(form, v, TODAY)] for v in cases]
    assert phone == server
    assert any(server) and not all(server)


def _shown_values_match(page: Any, form: dict[str, Any], tables: dict[str, Any]) -> None:
    """Receipts (forms.shown_value) and the phone's conflict and desk views (shownValue) name
    the same options and codes."""
    cases = [(f["name"], v) for v in _construct_cases() for f in forms.iter_fields(form) if f["name"] in v]
    phone = page.evaluate("""async ({form, cases, tables}) => {
        const forms = await import('/app/forms.js');
        const i18n = await import('/app/i18n.js');
        await i18n.setLang('vi');
        const fields = forms.fieldMap(form);
        return cases.map(([name, values]) => forms.shownValue(fields.get(name), values[name], tables));
    }""", {"form": form, "cases": cases, "tables": tables})
    fields = forms.field_map(form)
    server = [forms.shown_value(fields[name], values[name], "vi") for name, values in cases]
    assert phone == server
    assert "Phường Bến Thành" in json.dumps(server, ensure_ascii=False)


def test_phone_and_server_give_the_same_errors(page: Any, live_server: Any, app: Any) -> None:
    from app.models.catalog import FormVersion

    with app.app_context():
        from app.extensions import db

        versions = [(fv.procedure_code, fv.version, fv.form) for fv in db.session.query(FormVersion)]
        db.session.rollback()
    assert len(versions) >= 5
    page.goto("/#/")
    page.locator("main h1").wait_for()
    constructs = form_constructs.FORM
    batch = []
    for code, version, form, cases in [(c, v, f, _cases(f)) for c, v, f in versions] + [
            ("constructs", 1, constructs, _cases(constructs) + _construct_cases())]:
        for i, values in enumerate(cases):
            for lang in ("vi", "en"):
                for complete in (True, False):
                    batch.append({"id": f"{code}/{version}#{i}/{lang}/{complete}", "form": form,
                                  "values": values, "lang": lang, "complete": complete})
    tables = {name: code_tables.table(name) for name in code_tables.names()}
    phone = page.evaluate("""async ({batch, today, tables}) => {
        const rules = await import('/app/rules.js');
        const i18n = await import('/app/i18n.js');
        i18n.setMessages(await (await fetch('/i18n/messages.json')).json());
        const day = rules.parseDate(today);
        const out = {};
        for (const c of batch) {
          out[c.id] = rules.validate(c.form, c.values, c.lang, {complete: c.complete, today: day, tables});
        }
        return out;
    }""", {"batch": batch, "today": TODAY.isoformat(), "tables": tables})
    mismatches = []
    for c in batch:
        server = forms.validate(c["form"], c["values"], c["lang"], complete=c["complete"], today=TODAY)
        if json.dumps(server, sort_keys=True) != json.dumps(phone[c["id"]], sort_keys=True):
            mismatches.append((c["id"], c["values"], server, phone[c["id"]]))
    assert not mismatches, f"{len(mismatches)} of {len(batch)} differ; first: {mismatches[:2]}"
    assert any(phone.values()), "some cases must be invalid"
    assert sum(1 for v in phone.values() if not v) > 10, "some cases must be valid"
    assert any("rules" in c["form"] and any(len(m) > 1 for m in phone[c["id"]].values()) for c in batch)
    seen = {m for c in batch for msgs in phone[c["id"]].values() for m in msgs}
    for key in ("ward_province", "ward_unknown", "province_unknown", "address_incomplete", "option"):
        assert forms.message(key, "en") in seen, key
    _required_documents_match(page, constructs, _construct_cases())
    _shown_values_match(page, constructs, tables)
