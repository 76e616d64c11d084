"""The fee quote and when it is due (docs/payments.md).

One quote rule, applied identically by the PWA (pwa/app/conditions.js `quoteFee`; a browser
test pins them equal): the first exemption/reduction rule whose condition holds sets the
amount, else the base amount; filed online, a rule's or the base's `online_amount` (a
lower fee for online filing) replaces it when set and lower; a `per_item` surcharge (e.g.
5 000 đ per certificate from the third) is added to an amount that is owed. An amount the
catalog gives as null is unknown (a province's own rate): quoted as None, never collected.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from app.services.forms import evaluate

# When the fee is due: at filing (processing waits for it), after the decision (the
# result is released when paid), or never.
DUE_AT_FILING, DUE_AFTER_DECISION, DUE_NEVER = "filing", "decision", "never"
DUE_WHEN = (DUE_AT_FILING, DUE_AFTER_DECISION, DUE_NEVER)

# Dossier payment status: nothing owed, owed and unpaid, paid.
FEE_NONE, FEE_UNPAID, FEE_PAID = "none", "unpaid", "paid"

# Actions that wait for the fee, per due moment.
GATED_ACTIONS = {
    DUE_AT_FILING: frozenset({"accept", "start", "complete", "return_result", "confirm_fee"}),
    DUE_AFTER_DECISION: frozenset({"return_result", "confirm_fee"}),
    DUE_NEVER: frozenset({"confirm_fee"}),
}


def due_when(fees: dict[str, Any]) -> str:
    """A catalog without `due` owes at filing when it charges anything."""
    due = fees.get("due")
    if due in DUE_WHEN:
        return due
    return DUE_AT_FILING if int(fees.get("amount", 0) or 0) > 0 or fees.get("rules") else DUE_NEVER


def quote(fees: dict[str, Any], values: dict[str, Any], today: date | None = None,
          online: bool = True) -> dict[str, Any]:
    """{amount, currency, due, rule, label}: what is owed and the rule that set it."""
    today = today or date.today()
    chosen: dict[str, Any] = fees
    rule_code = "base"
    for rule in fees.get("rules", []) or []:
        if evaluate(rule.get("when"), values, today):
            chosen, rule_code = rule, str(rule.get("code") or "rule")
            break
    raw = chosen.get("amount", 0)
    amount = None if raw is None else int(raw or 0)
    label = chosen.get("label") if chosen is not fees else None
    if amount is None:
        label = label or fees.get("note")
    online_amount = chosen.get("online_amount")
    if online and amount is not None and online_amount is not None and int(online_amount) < amount:
        amount = int(online_amount)
        label = chosen.get("online_label") or label
        rule_code = f"{rule_code}:online"
    extra = per_item_extra(fees.get("per_item"), values) if amount else 0
    result: dict[str, Any] = {
        "amount": None if amount is None else amount + extra,
        "currency": fees.get("currency") or "VND",
        "due": DUE_NEVER if amount == 0 else due_when(fees), "rule": rule_code, "label": label}
    if extra:
        result["extra"] = extra
    return result


def per_item_extra(spec: dict[str, Any] | None, values: dict[str, Any]) -> int:
    """`{"field": "copies", "from": 3, "amount": 5000}`: the amount for each item counted in
    `field` from the `from`-th on; 0 while the count is not a whole number."""
    if not spec:
        return 0
    count = values.get(spec.get("field"))
    if isinstance(count, bool) or not isinstance(count, int | float):
        return 0
    if isinstance(count, float) and not count.is_integer():
        return 0
    return max(0, int(count) - int(spec.get("from") or 1) + 1) * int(spec.get("amount") or 0)


def blocking_reason(dossier: Any, action: str) -> str | None:
    """Why an unpaid fee holds this action back, or None when it may go ahead."""
    if dossier.fee_status != FEE_UNPAID:
        return None
    return "fee_unpaid" if action in GATED_ACTIONS[dossier_due(dossier)] else None


def dossier_due(dossier: Any) -> str:
    due = (dossier.fee_quote or {}).get("due")
    return due if due in DUE_WHEN else DUE_NEVER


def apply_quote(dossier: Any, fees: dict[str, Any], today: date) -> dict[str, Any]:
    """Decide the fee once, at submission, and store it with the rule that set it."""
    result = quote(fees, dossier.fields, today)
    dossier.fee_amount = result["amount"]
    dossier.fee_quote = result
    dossier.fee_status = FEE_UNPAID if result["amount"] else FEE_NONE
    return result
