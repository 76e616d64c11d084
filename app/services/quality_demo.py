"""A plausible history of dossiers, for the demo dashboard and the 1,000,000-dossier
benchmark: each dossier's events drawn at random in the state machine's order, its facts
projected by `quality_facts.facts_of` like any other (docs/quality.md).

`plan` is the one generator; `seed_demo` writes a few months of it for the demo agencies
(with ratings and the phones' telemetry), once.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.models.accounts import User
from app.models.catalog import Procedure
from app.models.dossiers import Dossier, DossierEvent
from app.models.quality import QualityFact, Rating, TelemetryEvent
from app.services import accounts, directory, forms, quality_facts, quality_rollup, satisfaction
from app.services.desk_search import fold
from app.services.dossiers import form_version
from app.services.receipts import next_receipt_code

DEMO_NAME = "Công dân mẫu"
DEMO_PHONE = "0900000766"  # the demo history's citizen: its dossiers mark the history as made


@dataclass(frozen=True)
class Kind:
    code: str
    days: int  # processing days (counted as calendar days here, weekends included)
    fee: int


def moment(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 2, tzinfo=UTC)  # 09:00 in Hà Nội


def plan(kind: Kind, agency: str, owner: int, official: int | None, first: date,
         last: date, rng: random.Random) -> tuple[dict[str, Any], list[tuple]]:
    """One dossier (column values) and its events `(day, actor, actor_kind, action, from,
    to, data)`, filed between `first` and `last`, decided no later than `last`."""
    submitted = first + timedelta(days=rng.randrange((last - first).days + 1))
    events: list[tuple] = [(submitted, owner, "citizen", "create", None, "draft", {})]
    fee_due = bool(kind.fee) and rng.random() < 0.6
    events.append((submitted, owner, "citizen", "submit", "draft", "submitted",
                   {"fee": {"amount": kind.fee}} if fee_due else {}))
    d: dict[str, Any] = {
        "id": uuid.UUID(int=rng.getrandbits(128)), "owner_id": owner, "procedure_code": kind.code,
        "agency_code": agency, "status": "submitted", "appointment_date": None, "paused_on": None,
        "documents": {"giay_to": {"source": "warehouse" if rng.random() < 0.3 else "upload",
                                  "status": "ready"}},
        "submitted_at": moment(submitted), "accepted_at": None, "finished_on": None,
        "rating": None, "fee_status": "unpaid" if fee_due else "none", "result": None}
    roll = rng.random()
    if roll < 0.04:
        refused = min(submitted + timedelta(days=1), last)
        events.append((refused, official, "official", "refuse", "submitted", "refused", {}))
        d.update(status="refused", finished_on=refused)
        return d, events
    if roll < 0.06 or submitted >= last:
        return d, events  # not yet accepted
    accepted = submitted + timedelta(days=rng.randrange(2))
    due = accepted + timedelta(days=kind.days + 2 * (kind.days // 5) + (1 if kind.days < 5 else 0))
    events.append((accepted, official, "official", "accept", "submitted", "accepted",
                   {"appointment_date": due.isoformat()}))
    if fee_due and rng.random() < 0.9:
        method = "online" if rng.random() < 0.55 else "cash"
        events.append((accepted, None if method == "online" else official, "system", "fee_paid",
                       "accepted", "accepted", {"method": method}))
        d["fee_status"] = "paid"
    events.append((accepted, official, "official", "start", "accepted", "in_progress", {}))
    d.update(status="in_progress", accepted_at=moment(accepted), appointment_date=due)
    cursor, status = accepted, "in_progress"
    if rng.random() < 0.12:  # a supplement asked two days in
        asked = accepted + timedelta(days=2)
        events.append((asked, official, "official", "request_supplement", status,
                       "supplement_requested", {}))
        waited = rng.randrange(1, 8)
        if asked + timedelta(days=waited) > last or rng.random() < 0.1:
            d.update(status="supplement_requested", paused_on=asked)
            return d, events
        cursor = asked + timedelta(days=waited)
        due = due + timedelta(days=waited)
        events.append((cursor, owner, "citizen", "supplement", "supplement_requested",
                       "in_progress", {}))
        d["appointment_date"] = due
    roll = rng.random()
    span = (due - accepted).days
    if roll < 0.04:
        out = min(cursor + timedelta(days=1), last)
        events.append((out, owner, "citizen", "withdraw", status, "withdrawn", {}))
        d.update(status="withdrawn", finished_on=out)
        return d, events
    if roll < 0.07:
        out = min(cursor + timedelta(days=span), last)
        events.append((out, official, "official", "stop", status, "stopped", {}))
        d.update(status="stopped", finished_on=out)
        return d, events
    decided = cursor + timedelta(days=rng.randrange(max(1, int(span * 1.3)) + 1))
    if decided > last:
        return d, events  # still in progress
    events.append((decided, official, "official", "complete", status, "result_ready", {}))
    d.update(status="result_ready", finished_on=decided)
    returned = decided + timedelta(days=1)
    if returned <= last and rng.random() < 0.85:
        result = {"number": f"{rng.randrange(1, 9999)}/KQ",
                  "method": "electronic" if rng.random() < 0.6 else "desk",
                  "issued_on": decided.isoformat()}
        events.append((returned, official, "official", "return_result", "result_ready",
                       "returned", {"result": result}))
        d.update(status="returned", result=result)
        rated = returned + timedelta(days=1)
        if rated <= last and rng.random() < 0.45:
            level = rng.choice((1, 2, 3, 4, 4, 5, 5, 5))
            events.append((rated, owner, "citizen", "rate", "returned", "returned",
                           {"rating": level}))
            d["rating"] = level
    return d, events


def facts_row(d: dict[str, Any], events: list[tuple], first_id: int) -> dict[str, Any] | None:
    """The facts of a planned dossier, by the product's own projection."""
    objs = [SimpleNamespace(id=first_id + n, at=moment(day), actor_kind=kind, action=action,
                            from_status=before, to_status=after, data=data)
            for n, (day, _actor, kind, action, before, after, data) in enumerate(events)]
    row = quality_facts.facts_of(SimpleNamespace(**d), objs, None)
    return None if row is None else {"dossier_id": d["id"], **row}


def seed_demo(session: Session, today: date, per_procedure: int = 60, seed: int = 766) -> int:
    """Six months of dossiers for every agency and procedure it handles, ratings with
    criteria, and the phones' telemetry; nothing if made before (only flushes)."""
    if session.scalars(select(User).where(User.phone == DEMO_PHONE)).first() is not None:
        return 0
    rng = random.Random(seed)
    citizen = accounts.register(session, password=f"Demo-{uuid.uuid4().hex}", full_name=DEMO_NAME,
                                phone=DEMO_PHONE)
    leaders = {u.agency_code: u.id for u in session.scalars(
        select(User).where(User.role == "leader").order_by(User.id))}
    procedures = {p.code: p for p in session.scalars(select(Procedure))}
    first, last = today - timedelta(days=182), today - timedelta(days=1)
    made = 0
    for agency, codes in sorted(directory.handled_procedures(session).items()):
        for code in sorted(codes):
            proc = procedures[code]
            kind = Kind(code, proc.processing_days, int((proc.fees or {}).get("amount") or 0))
            rows = []
            for _ in range(per_procedure):
                d, events = plan(kind, agency, citizen.id, leaders.get(agency), first, last, rng)
                rows.append(_write(session, d, events, proc.current_version, rng))
                made += 1
            # Written without the session hook: their sums join the monthly roll-up here.
            quality_rollup.add_rows(session, [r for r in rows if r is not None])
        session.flush()
    _telemetry(session, procedures.values(), first, last, rng)
    session.flush()
    return made


def _write(session: Session, d: dict[str, Any], events: list[tuple], version: int,
           rng: random.Random) -> dict[str, Any] | None:
    # An accepted dossier has its receipt code, from the agency's own daily counter (so the
    # desk's next real acceptance that day takes the next number), and the desk finds it.
    accepted = d["accepted_at"]
    code = next_receipt_code(session, d["agency_code"], accepted.date()) if accepted else None
    session.execute(insert(Dossier), [{
        "receipt_code": code, "search_text": fold(" | ".join(p for p in (DEMO_NAME, DEMO_PHONE, code) if p)),
        **{k: d[k] for k in ("id", "owner_id", "procedure_code", "agency_code", "status",
                             "appointment_date", "paused_on", "documents", "submitted_at",
                             "accepted_at", "finished_on", "rating", "fee_status", "result")},
        "form_version": version, "version": len(events), "fields": {}, "field_stamps": {},
        "finished_at": moment(d["finished_on"]) if d["finished_on"] else None,
        "created_at": d["submitted_at"], "updated_at": moment(events[-1][0])}])
    session.execute(insert(DossierEvent), [
        {"dossier_id": d["id"], "at": moment(day), "actor_id": actor, "actor_kind": kind,
         "action": action, "from_status": before, "to_status": after, "data": data}
        for day, actor, kind, action, before, after, data in events])
    row = facts_row(d, events, 0)
    if row is not None:
        session.execute(insert(QualityFact), [row])
    if d["rating"] is not None:
        rated = events[-1][0]
        criteria = {c: max(1, min(5, d["rating"] + rng.choice((-1, 0, 0, 1))))
                    for c in satisfaction.CRITERIA if rng.random() < 0.6}
        good, bad = satisfaction.REASONS[:5], satisfaction.REASONS[5:12]
        reasons = rng.sample(good if d["rating"] >= 4 else bad, k=rng.choice((0, 1, 2)))
        comment = {1: "Phải đi lại nhiều lần, hướng dẫn chưa rõ.", 2: "Chậm hơn hẹn.",
                   3: None, 4: "Nhanh.", 5: "Rất nhanh, không phải đến cơ quan."}[d["rating"]]
        session.add(Rating(dossier_id=d["id"], owner_id=d["owner_id"], agency_code=d["agency_code"],
                           procedure_code=d["procedure_code"], level=d["rating"],
                           criteria=criteria, reasons=reasons, comment=comment,
                           rated_at=moment(rated)))
    return row


# The rules a field of each type most often breaks (what the phones would say).
RULES = {"text": ("required", "required", "pattern", "min_length"), "date": ("required", "date", "date_max"),
         "national_id": ("required", "national_id"), "phone": ("required", "phone"),
         "number": ("required", "min", "max"), "address": ("required", "address_incomplete")}
NETWORKS = (("4g", 0.55, 0.03), ("3g", 0.25, 0.12), ("2g", 0.12, 0.3), ("slow-2g", 0.08, 0.45))


def _telemetry(session: Session, procedures: Any, first: date, last: date,
               rng: random.Random) -> None:
    """What the phones would have sent: opened and started forms, the fields that failed
    most, sections left, times, and sync failures worse on slower networks."""
    rows: list[dict[str, Any]] = []
    days = (last - first).days

    def add(kind: str, **values: Any) -> None:
        day = first + timedelta(days=rng.randrange(days + 1))
        rows.append({"day": day, "kind": kind, "procedure_code": None, "form_version": None,
                     "section": None, "field": None, "rule": None, "network": None,
                     "reason": None, "value": None, "count": None, **values})

    for proc in procedures:
        form = form_version(session, proc.code, proc.current_version).form
        fields = [f for f in forms.iter_fields(form) if f.get("required")][:12] or \
            list(forms.iter_fields(form))[:12]
        sections = [s["id"] for s in form.get("sections", []) if isinstance(s.get("id"), str)]
        base = {"procedure_code": proc.code, "form_version": proc.current_version}
        for _ in range(rng.randrange(150, 260)):
            add("form_opened", **base, network=rng.choice(NETWORKS)[0])
        for _ in range(rng.randrange(100, 140)):
            add("draft_started", **base)
        for n, field in enumerate(fields):
            rules = RULES.get(field["type"], ("required",))
            for _ in range(max(1, int(40 / (n + 1) ** 1.2))):
                add("validation_failed", **base, field=field["name"], rule=rng.choice(rules))
        for n, section in enumerate(sections):
            for _ in range(max(1, 20 - 4 * n)):
                add("draft_left", **base, section=section)
            for _ in range(30):
                add("section_time", **base, section=section, value=rng.randrange(20_000, 240_000))
        for _ in range(60):
            add("submitted", **base, value=rng.randrange(180_000, 1_500_000))
    for network, share, failing in NETWORKS:
        for _ in range(int(200 * share)):
            attempts = rng.randrange(5, 40)
            add("sync_summary", network=network, value=attempts,
                count=sum(rng.random() < failing for _ in range(attempts)))
        for _ in range(int(40 * failing)):
            add("upload_retry", network=network, reason="server")
            add("payment_failed", network=network, reason="network")
    session.execute(insert(TelemetryEvent), rows)
