"""The phone validates exactly like the server: pwa/app/rules.js (in Chromium) and
app/services/forms.py give the same error keys and the same messages on the demo forms."""

from __future__ import annotations

import copy
import json
from datetime import date, timedelta
from typing import Any

from app.services import forms
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
    cases.append({k: (TODAY - timedelta(days=3)).isoformat() for k in good})
    return cases


def test_phone_and_server_give_the_same_errors(page: Any, live_server: Any, app: Any) -> None:
    from app.models.catalog import FormVersion

    with app.app_context():
        from app.extensions import db

        versions = [(fv.procedure_code, fv.version, fv.form) for fv in db.session.query(FormVersion)]
        db.session.rollback()
    assert len(versions) >= 5
    page.goto("/#/")
    page.locator("main h1").wait_for()
    batch = []
    for code, version, form in versions:
        for i, values in enumerate(_cases(form)):
            for lang in ("vi", "en"):
                for complete in (True, False):
                    batch.append({"id": f"{code}/{version}#{i}/{lang}/{complete}", "form": form,
                                  "values": values, "lang": lang, "complete": complete})
    phone = page.evaluate("""async ({batch, today}) => {
        const rules = await import('/app/rules.js');
        const i18n = await import('/app/i18n.js');
        i18n.setMessages(await (await fetch('/i18n/messages.json')).json());
        const day = rules.parseDate(today);
        const out = {};
        for (const c of batch) {
          out[c.id] = rules.validate(c.form, c.values, c.lang, {complete: c.complete, today: day});
        }
        return out;
    }""", {"batch": batch, "today": TODAY.isoformat()})
    mismatches = []
    for c in batch:
        server = forms.validate(c["form"], c["values"], c["lang"], complete=c["complete"], today=TODAY)
        if json.dumps(server, sort_keys=True) != json.dumps(phone[c["id"]], sort_keys=True):
            mismatches.append((c["id"], c["values"], server, phone[c["id"]]))
    assert not mismatches, f"{len(mismatches)} of {len(batch)} differ; first: {mismatches[:2]}"
    assert any(phone.values()), "some cases must be invalid"
    assert sum(1 for v in phone.values() if not v) > 10, "some cases must be valid"
