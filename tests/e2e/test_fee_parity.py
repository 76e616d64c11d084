"""The phone quotes fees exactly like the server: pwa/app/rules.js `quoteFee` (in Chromium)
and app/services/fees.py `quote` give the same amount, rule, label and due moment."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from app.services import fees, forms
from tests.factories import sample_values

TODAY = date(2026, 11, 29)
EXTRA_FEES: list[dict[str, Any]] = [
    {},
    {"amount": 5000},
    {"amount": 5000, "due": "never"},
    {"amount": 5000, "online_amount": 7000},  # a higher "online" amount is not taken
    {"amount": 5000, "online_amount": 0, "online_label": {"vi": "Miễn", "en": "Free"}},
    {"currency": "USD", "amount": 10, "due": "decision",
     "rules": [{"code": "r", "amount": 3, "online_amount": 1, "when": {"field": "x", "equals": 1}}]},
    # Unknown (a province's own rate): quoted as null with the note, never as free.
    {"amount": None, "due": "decision", "note": {"vi": "Theo mức của tỉnh", "en": "Province rate"},
     "rules": [{"code": "free", "amount": 0, "when": {"field": "copies", "equals": 0}}]},
    {"amount": None, "online_amount": 1000},
    # A surcharge per item from the third, on what is owed only.
    {"amount": 200000, "per_item": {"field": "copies", "from": 3, "amount": 5000},
     "rules": [{"code": "free", "amount": 0, "when": {"field": "copies", "equals": 7}},
               {"code": "half", "amount": 100000, "when": {"field": "copies", "in": [4, 5]}}]},
    {"amount": 20000, "online_amount": 10000, "per_item": {"field": "copies", "amount": 1}},
]
COUNTS: list[Any] = [0, 1, 2, 3, 4, 5, 7, 10, 2.5, 3.0, True, "3", None, -1]


def _cases(form: dict[str, Any]) -> list[dict[str, Any]]:
    good = sample_values(form, TODAY)
    cases = [{}, good]
    for field in forms.iter_fields(form):
        for option in field.get("options", []):
            cases.append({**good, field["name"]: option["value"]})
        if field["type"] == "number":
            cases += [{**good, field["name"]: n} for n in COUNTS]
        if field["type"] == "date":
            for days in (0, 30, 59, 60, 61, 400):
                cases.append({**good, field["name"]: (TODAY - timedelta(days=days)).isoformat()})
    return cases


def test_phone_and_server_quote_the_same_fee(page: Any, live_server: Any, app: Any) -> None:
    from app.models.catalog import FormVersion, Procedure

    with app.app_context():
        from app.extensions import db

        rows = [(p.fees, fv.form) for p in db.session.query(Procedure)
                for fv in db.session.query(FormVersion).filter_by(procedure_code=p.code)]
        db.session.rollback()
    batch = []
    for i, (procedure_fees, form) in enumerate(rows):
        for j, values in enumerate(_cases(form)):
            for k, spec in enumerate([procedure_fees, *EXTRA_FEES]):
                batch.append({"id": f"{i}/{j}/{k}", "fees": spec, "values": values})
    assert len(batch) > 200
    quotes = [fees.quote(c["fees"], c["values"], TODAY) for c in batch]
    assert any(q["amount"] is None for q in quotes) and any(q.get("extra") for q in quotes)
    page.goto("/#/")
    page.locator("main h1").wait_for()
    phone = page.evaluate("""async ({batch, today}) => {
        const rules = await import('/app/rules.js');
        const day = rules.parseDate(today);
        const out = {};
        for (const c of batch) out[c.id] = rules.quoteFee(c.fees, c.values, day);
        return out;
    }""", {"batch": batch, "today": TODAY.isoformat()})
    for case in batch:
        server = fees.quote(case["fees"], case["values"], TODAY)
        assert phone[case["id"]] == server, (case, phone[case["id"]], server)
