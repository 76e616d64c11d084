"""Fee quotes the catalog's 2026 fees need: an amount the sources do not give is unknown,
never free; a surcharge per certificate from the third (docs/payments.md)."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from app.services import fees

TODAY = date(2026, 12, 1)
CHARGE = {"kind": "phi", "amount": 200000, "due": "filing",
          "per_item": {"field": "copies", "from": 3, "amount": 5000},
          "rules": [{"code": "exempt", "amount": 0, "when": {"field": "who", "equals": "child"}},
                    {"code": "reduced", "amount": 100000, "when": {"field": "who", "equals": "student"}}]}
PROVINCE = {"amount": None, "due": "decision", "note": {"vi": "Theo mức của tỉnh", "en": "Province rate"},
            "rules": [{"code": "on_time", "amount": 0, "when": {"field": "born", "within_days": 60}}]}


def test_a_surcharge_per_certificate_from_the_third_on_what_is_owed():
    amounts = {n: fees.quote(CHARGE, {"copies": n}, TODAY)["amount"] for n in (1, 2, 3, 5)}
    assert amounts == {1: 200000, 2: 200000, 3: 205000, 5: 215000}
    assert fees.quote(CHARGE, {"copies": 4, "who": "student"}, TODAY) == {
        "amount": 110000, "currency": "VND", "due": "filing", "rule": "reduced", "label": None,
        "extra": 10000}
    exempt = fees.quote(CHARGE, {"copies": 9, "who": "child"}, TODAY)
    assert (exempt["amount"], exempt["due"], "extra" in exempt) == (0, "never", False)
    for odd in ("3", 2.5, True, None):  # not a whole count: no surcharge
        assert fees.quote(CHARGE, {"copies": odd}, TODAY)["amount"] == 200000


def test_an_unknown_amount_is_quoted_as_unknown_and_never_collected():
    late = fees.quote(PROVINCE, {"born": "2020-01-01"}, TODAY)
    assert late == {"amount": None, "currency": "VND", "due": "decision", "rule": "base",
                    "label": PROVINCE["note"]}
    assert fees.quote(PROVINCE, {"born": "2026-11-20"}, TODAY)["amount"] == 0
    dossier = SimpleNamespace(fields={"born": "2020-01-01"})
    fees.apply_quote(dossier, PROVINCE, TODAY)
    assert (dossier.fee_amount, dossier.fee_status) == (None, fees.FEE_NONE)
    assert fees.blocking_reason(dossier, "return_result") is None
