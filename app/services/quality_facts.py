"""The quality facts of a dossier, projected from its event log (docs/quality.md).

`facts_of` is a pure function of the dossier and its events. A session hook recomputes a
dossier's row whenever one of its events is about to be written (a transition, a fee paid,
a rating), in the same flush, so the row can never lag the log; `rebuild` recomputes every
row from the log (the operator command `flask quality rebuild`, and the test pinning the two
equal).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, event, select
from sqlalchemy.orm import Session

from app.models.dossiers import Dossier, DossierEvent
from app.models.quality import QualityFact
from app.models.warehouse import SubmissionStats
from app.services import clock, lifecycle, quality_rollup

REUSED_SOURCES = ("warehouse", "dossier")
DIGITAL_SOURCES = ("upload", *REUSED_SOURCES)
OUTCOMES = {lifecycle.RESULT_READY: "result", lifecycle.RETURNED: "result",
            lifecycle.WITHDRAWN: "withdrawn", lifecycle.STOPPED: "stopped",
            lifecycle.REFUSED: "refused"}
FACT_COLUMNS = tuple(c.name for c in QualityFact.__table__.columns if c.name != "dossier_id")


def facts_of(dossier: Dossier, events: Iterable[DossierEvent],
             stats: SubmissionStats | None) -> dict[str, Any] | None:
    """The row of one dossier, or None while it was never submitted (a draft)."""
    if getattr(getattr(dossier, "procedure", None), "members", None):
        return None  # a bundle's own dossier: its members are the dossiers received
    row: dict[str, Any] = {
        "agency_code": dossier.agency_code, "procedure_code": dossier.procedure_code,
        "submitted_on": None, "filed_online": False, "received_on": None, "refused_on": None,
        "due_on": dossier.appointment_date, "paused_on": dossier.paused_on,
        "finished_on": None, "outcome": None, "result_on": None, "result_electronic": None,
        "returned_on": None, "supplements": 0, "fee_due": False, "paid_online": False,
        "digitised": False, "reused": False, "rating": None, "rated_on": None,
        "rolled_up": False,
    }
    for ev in sorted(events, key=lambda e: (e.at, e.id or 0)):
        day, data = clock.local_date(ev.at), ev.data or {}
        if ev.action == "submit":
            row["submitted_on"] = day
            row["filed_online"] = ev.actor_kind == lifecycle.CITIZEN
            row["fee_due"] = bool((data.get("fee") or {}).get("amount"))
        elif ev.action == "accept":
            row["received_on"] = day
        elif ev.action == "refuse":
            row["refused_on"] = day
        elif ev.action == "request_supplement":
            row["supplements"] += 1
        elif ev.action == "complete":
            row["result_on"] = day
        elif ev.action == "return_result":
            row["returned_on"] = day
        elif ev.action == "fee_paid" and data.get("method") == "online":
            row["paid_online"] = True
        elif ev.action == "rate":
            row["rating"], row["rated_on"] = data.get("rating"), day
        if isinstance(data.get("result"), dict):
            row["result_electronic"] = data["result"].get("method") == "electronic"
        if ev.action == "resume":
            row["finished_on"] = row["outcome"] = None
        elif ev.to_status in OUTCOMES and ev.from_status not in OUTCOMES:
            row["finished_on"], row["outcome"] = day, OUTCOMES[ev.to_status]
    if row["submitted_on"] is None:
        return None
    documents = dossier.documents or {}
    sources = [(item or {}).get("source") for item in documents.values()]
    row["digitised"] = all(s in DIGITAL_SOURCES for s in sources)
    row["reused"] = any(s in REUSED_SOURCES for s in sources) or bool(
        stats is not None and stats.fields_prefilled)
    row["rolled_up"] = not quality_rollup.is_live(row)
    return row


def _store(session: Session, dossier: Dossier, row: dict[str, Any] | None) -> None:
    """Write the dossier's row, and move its sums in the monthly roll-up from what the row
    was (as the database holds it: the dossier is locked by the writer) to what it is."""
    fact = session.get(QualityFact, dossier.id, populate_existing=True)
    before = None if fact is None else {c: getattr(fact, c) for c in FACT_COLUMNS}
    quality_rollup.apply(session, before, row)
    if row is None:
        if fact is not None:
            session.delete(fact)
        return
    if fact is None:
        fact = QualityFact(dossier_id=dossier.id)
        session.add(fact)
    for key, value in row.items():
        setattr(fact, key, value)


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    """Recompute the row of every dossier that gains an event in this flush."""
    new_events: dict[Any, list[DossierEvent]] = {}
    for obj in session.new:
        if isinstance(obj, DossierEvent) and obj.action != "create":
            new_events.setdefault(obj.dossier_id or obj.dossier.id, []).append(obj)
    if not new_events:
        return
    with session.no_autoflush:
        for dossier_id, pending in new_events.items():
            dossier = session.get(Dossier, dossier_id)
            if dossier is None:
                continue
            events = {id(e): e for e in (*dossier.events, *pending)}.values()
            stats = session.get(SubmissionStats, dossier_id)
            _store(session, dossier, facts_of(dossier, events, stats))


def rebuild(session: Session, chunk: int = 2000) -> int:
    """Recompute every row from the event log, then the monthly roll-up from the rows (only
    flushes; the caller commits)."""
    session.execute(delete(QualityFact))
    count, last = 0, None
    while True:
        stmt = (select(Dossier).where(Dossier.status != lifecycle.DRAFT)
                .order_by(Dossier.id).limit(chunk))
        if last is not None:
            stmt = stmt.where(Dossier.id > last)
        batch = list(session.scalars(stmt))
        if not batch:
            quality_rollup.rebuild(session)
            return count
        ids = [d.id for d in batch]
        events: dict[Any, list[DossierEvent]] = {}
        for ev in session.scalars(select(DossierEvent).where(DossierEvent.dossier_id.in_(ids))):
            events.setdefault(ev.dossier_id, []).append(ev)
        stats = {s.dossier_id: s for s in session.scalars(
            select(SubmissionStats).where(SubmissionStats.dossier_id.in_(ids)))}
        rows = []
        for dossier in batch:
            row = facts_of(dossier, events.get(dossier.id, []), stats.get(dossier.id))
            if row is not None:
                rows.append({"dossier_id": dossier.id, **row})
        if rows:
            session.execute(QualityFact.__table__.insert(), rows)
        count += len(rows)
        last = batch[-1].id
        session.expunge_all()


if not event.contains(Session, "before_flush", _before_flush):
    event.listen(Session, "before_flush", _before_flush)
