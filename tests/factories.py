"""One-line builders for test data: valid form values, dossiers in any status."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from app.models.accounts import User
from app.models.catalog import Procedure
from app.models.dossiers import Dossier
from app.services import clock, code_tables, fees, forms, payments
from app.services import dossiers as svc
from app.services import lifecycle as lc
from app.services.catalog import get_form
from app.services.form_dates import resolve_date

# A path through the state machine to reach each status (actions after submit).
PATHS: dict[str, list[str]] = {
    lc.DRAFT: [],
    lc.SUBMITTED: ["submit"],
    lc.ACCEPTED: ["submit", "accept"],
    lc.REFUSED: ["submit", "refuse"],
    lc.IN_PROGRESS: ["submit", "accept", "start"],
    lc.SUPPLEMENT_REQUESTED: ["submit", "accept", "start", "request_supplement"],
    lc.AWAITING_FEE: ["submit", "accept", "start", "request_fee"],
    lc.WITHDRAWN: ["submit", "withdraw"],
    lc.STOPPED: ["submit", "accept", "start", "stop"],
    lc.RESULT_READY: ["submit", "accept", "start", "complete"],
    lc.RETURNED: ["submit", "accept", "start", "complete", "return_result"],
}


SAMPLE_WARD = "00070"


def _first_code(field: dict[str, Any]) -> str:
    """The first item of a field's code table that fits it (for a commune select, the first
    commune of the first province, which its province select samples)."""
    items = code_tables.table(field["options_from"])["items"]
    if "parent_field" in field:
        first_province = next(i for i in items if i.get("level") == "province")["code"]
        return next(i["code"] for i in items if i.get("parent") == first_province)
    return next(i["code"] for i in items if i.get("level") == field.get("level", i.get("level")))


def _sample(field: dict[str, Any], today: date) -> Any:
    t = field["type"]
    if field.get("options_from") and t == "address":
        # Phường Hoàn Kiếm, Hà Nội: the demo catalog's default agencies serve it, so a sample
        # dossier routes to the officials the tests make for its procedure.
        return {"line": "12 Hàng Bạc", "ward": SAMPLE_WARD,
                "province": code_tables.item("admin_units", SAMPLE_WARD)["parent"]}  # type: ignore[index]
    if field.get("options_from"):
        return _first_code(field)
    if field.get("options"):
        first = field["options"][0]["value"]
        return [first] if t == "checkbox" else first
    if t == "number":
        return max(1, field.get("min", 1))
    if t == "date":  # a month ago, or the nearest day its bounds allow
        lo, hi = resolve_date(field.get("min"), today), resolve_date(field.get("max"), today)
        day = today - timedelta(days=30)
        return min(max(day, lo or day), hi or day).isoformat()
    if t == "checkbox":
        return True
    if t == "phone":
        return "0912345678"
    if t == "email":
        return "an@example.vn"
    if t == "national_id":
        return "001099012345"
    if t == "address":
        return {"line": "12 Hàng Bạc", "ward": "Phường Hoàn Kiếm", "province": "Hà Nội"}
    if t == "group":
        return [{f["name"]: _sample(f, today) for f in field.get("fields", [])}
                for _ in range(max(1, field.get("min_items", 1)))]
    return "Nguyễn Văn An"[: field.get("max_length", 100)]


def sample_values(form: dict[str, Any], today: date | None = None) -> dict[str, Any]:
    """Values that pass validation for every field visible with them (fills all fields)."""
    today = today or clock.today()  # the day in Vietnam, as the server counts it
    values: dict[str, Any] = {}
    for field in forms.iter_fields(form):
        values[field["name"]] = _sample(field, today)
    # Drop what the sample answers hide; repeat as hiding can cascade.
    for _ in range(3):
        values = forms.visible_values(form, values, today)
    # A cross-field rule refusing the first choices: try the next choice of a field it names.
    fields = forms.field_map(form)
    for _ in range(10):
        refused = [n for n in forms.rule_errors(form, values, "en", today) if fields[n].get("options")]
        if not refused:
            break
        options = [o["value"] for o in fields[refused[0]]["options"]]
        values[refused[0]] = options[(options.index(values[refused[0]]) + 1) % len(options)]
        fresh = {f["name"]: _sample(f, today) for f in forms.iter_fields(form)}
        values = forms.visible_values(form, {**fresh, **values}, today)
    errors = forms.validate(form, values, "en", today=today)
    assert not errors, f"sample values do not validate: {errors}"
    return values


def ready_documents(form: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    return {d["code"]: {"source": "upload", "status": "ready", "upload_id": str(uuid.uuid4())}
            for d in forms.required_documents(form, values)}


def make_dossier(session: Any, owner: User, procedure_code: str = "birth-registration",
                 status: str = lc.DRAFT, official: User | None = None,
                 fields: dict[str, Any] | None = None, pay: bool = True) -> Dossier:
    """A dossier of `owner`, walked through the real state machine to `status`; a fee is
    paid at the desk when due (at filing, right after submit) unless `pay` is False."""
    proc = session.get(Procedure, procedure_code)
    form = get_form(session, proc.code, proc.current_version).form
    dossier = svc.create_draft(session, owner, uuid.uuid4(), proc, proc.current_version,
                               svc.clock.now())
    dossier.fields = fields if fields is not None else sample_values(form)
    dossier.documents = ready_documents(form, dossier.fields)
    for action in PATHS[status]:
        actor = owner if lc.ACTIONS[action].actor == lc.CITIZEN else official
        assert actor is not None, "an official is needed to reach this status"
        kwargs: dict[str, Any] = {}
        if lc.ACTIONS[action].note_required:
            kwargs["note"] = "Ghi chú"
        if action == "request_supplement":
            kwargs["fields"] = [next(iter(dossier.fields))]
        if action == "return_result":
            kwargs["result"] = {"number": "123/2026", "method": "electronic"}
        if pay and fees.blocking_reason(dossier, action):
            payments.record_desk_payment(session, official, dossier.id, "cash")
        svc.transition(session, dossier, actor, action, **kwargs)
        if (pay and action == "submit" and official is not None
                and fees.blocking_reason(dossier, "accept")):
            payments.record_desk_payment(session, official, dossier.id, "cash")
    session.commit()
    return dossier
