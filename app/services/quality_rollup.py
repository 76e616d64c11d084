"""The monthly roll-up of the quality facts, so that a long period reads months, not dossiers
(docs/quality.md, "The monthly roll-up").

Every facts row whose counts for a period depend only on which months the period covers is
summed per (agency, procedure, month) in `quality_rollup`:
- what happened in the month, by the day of the step: filed (online, with a fee, paid
  online), refused, results (electronic), ratings (by level), received (digitised, reusing
  data), and finished, for a received dossier: early, on time, late, stopped, withdrawn,
  rated 1 or 2 (that month);
- where a dossier received by the month's last day and finished later stood on that day:
  open, open on time, open late, paused.

A period [from, to] then counts such a dossier as received when it was open the day before
`from` (carried over) or received in the period, classifies it by its finish if it finished
by `to`, else by where it stood on `to`: the index's definitions (app/services/quality_index.py),
taken apart by month.

The rest stays live, read from the facts by the index itself (`is_live`; the row's
`rolled_up` column stores the answer, `LIVE_FACTS` selects the others): a dossier not
finished (its class moves with the day the period ends), one rated 1 or 2 in a later month
than its finish (it is unsatisfied only in periods ending on or after the rating), and one
received after it finished (no such history is made by the state machine; it would be
counted wrong by months).

`apply` moves one row's sums from what it was to what it is, in the flush that rewrites the
facts row (quality_facts' session hook): a rating arriving after the return, a resume, a
dossier that moves to another agency all move them, and each (agency, procedure, month) is added to in one
statement (`n = n + delta`), so concurrent writers do not lose updates. `rebuild` recomputes
the table from the facts (`flask quality rebuild`).

A period of whole months reads the months' rows; one that starts or ends inside a month
reads the facts of those partial edges: the steps taken on its days, and how the dossiers that
changed between the month's start and the period's end moved.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Date, and_, case, delete, func, literal, or_, select, text
from sqlalchemy.orm import Session

from app.models.quality import LIVE_FACTS, QualityFact, QualityRollup

UNSATISFIED_LEVELS = (1, 2)
KEYS = ("agency_code", "procedure_code", "month")
IN_MONTH = ("filed", "filed_online", "fee_filed", "fee_paid_online", "refused", "results",
            "results_electronic", "ratings", "rating_sum", "rated_1", "rated_2", "rated_3",
            "rated_4", "rated_5", "new", "new_digitised", "new_reused", "early",
            "finished_on_time", "finished_late", "stopped", "withdrawn", "finished_unsatisfied",
            "finished_on_time_unsatisfied")
AT_MONTH_END = ("open", "open_on_time", "open_late", "paused", "open_unsatisfied",
                "open_on_time_unsatisfied")
COLUMNS = (*IN_MONTH, *AT_MONTH_END)

Row = Mapping[str, Any]
Key = tuple[str, str, date]


# -- months ---------------------------------------------------------------------------

def month_of(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_end(day: date) -> date:
    return next_month(day) - timedelta(days=1)


# -- which rows, and what each adds ----------------------------------------------------

def is_live(row: Row) -> bool:
    """The row is read from the facts, not the roll-up: not finished, received after its
    finish, or rated 1 or 2 in another month than its finish (or on no day)."""
    received, finished, rating = row["received_on"], row["finished_on"], row["rating"]
    if finished is None or (received is not None and received > finished):
        return True
    rated_on = row["rated_on"]
    return rating in UNSATISFIED_LEVELS and (
        rated_on is None or month_of(rated_on) != month_of(finished))


def rolled_clause() -> Any:
    return QualityFact.rolled_up.is_(True)


def live_rows_clause() -> Any:
    """The live rows, in the words of the partial index `ix_quality_facts_live` (so that
    PostgreSQL sees the query's rows are the index's)."""
    return text(f"({LIVE_FACTS})")


def standing(row: Row, day: date) -> dict[str, int] | None:
    """Where a rolled dossier stood at the end of `day`, if it was received and not finished:
    the index's clock (the day a supplement pause began, else the day) against its
    appointment; with no appointment it is neither on time nor late, as in SQL."""
    received, finished = row["received_on"], row["finished_on"]
    if received is None or not received <= day < finished:
        return None
    paused_on, due = row["paused_on"], row["due_on"]
    paused = paused_on is not None and paused_on <= day
    unsatisfied = int(_unsatisfied_by(row, day))
    out = {"open": 1, "paused": int(paused), "open_unsatisfied": unsatisfied}
    if due is not None:
        if (paused_on if paused else day) <= due:
            out["open_on_time"], out["open_on_time_unsatisfied"] = 1, unsatisfied
        else:
            out["open_late"] = 1
    return out


def _unsatisfied_by(row: Row, day: date) -> bool:
    rated_on = row["rated_on"]
    return row["rating"] in UNSATISFIED_LEVELS and rated_on is not None and rated_on <= day


def contributions(row: Row | None) -> dict[date, Counter[str]]:
    """{month: {column: n}} this facts row adds to its agency and procedure's roll-up
    (nothing for a row not rolled up: as stored, `rolled_up` says; `facts_of` sets it to
    `not is_live(row)`)."""
    out: dict[date, Counter[str]] = {}
    if row is None or not row["rolled_up"]:
        return out

    def add(day: date | None, **values: int) -> None:
        if day is not None:
            into = out.setdefault(month_of(day), Counter())
            for name, value in values.items():
                if value:
                    into[name] += value

    fee = bool(row["fee_due"])
    add(row["submitted_on"], filed=1, filed_online=int(bool(row["filed_online"])),
        fee_filed=int(fee), fee_paid_online=int(fee and bool(row["paid_online"])))
    add(row["refused_on"], refused=1)
    add(row["result_on"], results=1, results_electronic=int(row["result_electronic"] is True))
    rating = row["rating"]
    add(row["rated_on"], ratings=1, rating_sum=rating or 0,
        **({f"rated_{rating}": 1} if rating in (1, 2, 3, 4, 5) else {}))
    received, finished, due = row["received_on"], row["finished_on"], row["due_on"]
    if received is None:
        return out
    add(received, new=1, new_digitised=int(bool(row["digitised"])),
        new_reused=int(bool(row["reused"])))
    # Rated 1 or 2 in the month of its finish (a later month keeps the row live): by the end
    # of any period of whole months that holds its finish.
    unsatisfied = int(_unsatisfied_by(row, month_end(finished)))
    add(finished, early=int(due is not None and finished < due),
        finished_on_time=int(due is not None and finished == due),
        finished_late=int(due is not None and finished > due),
        stopped=int(row["outcome"] == "stopped"), withdrawn=int(row["outcome"] == "withdrawn"),
        finished_unsatisfied=unsatisfied,
        finished_on_time_unsatisfied=int(unsatisfied and due is not None and finished <= due))
    last = month_end(received)
    while last < finished:
        add(last, **(standing(row, last) or {}))
        last = month_end(last + timedelta(days=1))
    return out


def _accumulate(into: dict[Key, Counter[str]], row: Row | None, sign: int) -> None:
    if row is None:
        return
    for month, values in contributions(row).items():
        found = into.setdefault((row["agency_code"], row["procedure_code"], month), Counter())
        for name, value in values.items():
            found[name] += sign * value


# -- keeping it current ----------------------------------------------------------------

def apply(session: Session, before: Row | None, after: Row | None) -> None:
    """Move one facts row's sums from `before` to `after` (either may be None)."""
    deltas: dict[Key, Counter[str]] = {}
    _accumulate(deltas, before, -1)
    _accumulate(deltas, after, 1)
    add(session, deltas)


def add_rows(session: Session, rows: Iterable[Row]) -> None:
    """Add the sums of new facts rows (written without the session hook)."""
    deltas: dict[Key, Counter[str]] = {}
    for row in rows:
        _accumulate(deltas, row, 1)
    add(session, deltas)


def add(session: Session, deltas: dict[Key, Counter[str]]) -> None:
    """`n = n + delta` per (agency, procedure, month), in key order (so two writers lock the
    rows they share in the same order)."""
    params = [{**dict(zip(KEYS, key, strict=True)), **{c: values.get(c, 0) for c in COLUMNS}}
              for key, values in sorted(deltas.items()) if any(values.values())]
    if not params:
        return
    conn = session.connection()
    dialect = conn.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the two databases Hoso runs on
        raise RuntimeError(f"no roll-up upsert for {dialect}")
    table = QualityRollup.__table__
    stmt = insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(KEYS), set_={c: table.c[c] + stmt.excluded[c] for c in COLUMNS})
    conn.execute(stmt, params)


def rebuild(session: Session, chunk: int = 10000) -> int:
    """Recompute the roll-up from the facts (only flushes; the caller commits). Returns the
    number of (agency, procedure, month) rows."""
    session.flush()
    session.execute(delete(QualityRollup))
    sums: dict[Key, Counter[str]] = {}
    names = ["agency_code", "procedure_code", *(c.name for c in QualityFact.__table__.columns
                                                if c.name not in ("agency_code", "procedure_code"))]
    stmt = select(*(QualityFact.__table__.c[n] for n in names)).where(rolled_clause())
    for row in session.execute(stmt.execution_options(yield_per=chunk)).mappings():
        _accumulate(sums, row, 1)
    add(session, sums)
    return len(sums)


# -- reading a period ------------------------------------------------------------------

def _day(value: date) -> Any:
    return literal(value, Date())


def _standing_at(day: date) -> dict[str, Any]:
    """SQL: where each rolled row stood at the end of `day` (`standing`)."""
    f = QualityFact
    d = _day(day)
    opened = and_(f.received_on.is_not(None), f.received_on <= d, f.finished_on > d)
    paused = and_(f.paused_on.is_not(None), f.paused_on <= d)
    on_time = case((paused, f.paused_on), else_=d) <= f.due_on
    unsatisfied = and_(f.rating.in_(UNSATISFIED_LEVELS), f.rated_on <= d)
    return {"open": opened, "open_on_time": and_(opened, on_time),
            "open_late": and_(opened, ~on_time), "paused": and_(opened, paused),
            "open_unsatisfied": and_(opened, unsatisfied),
            "open_on_time_unsatisfied": and_(opened, on_time, unsatisfied)}


def _point(day: date) -> tuple[date, tuple[date, date] | None]:
    """The roll-up month whose last day stands for `day`, and the days (after, until] whose
    changes the facts must add when `day` is not a month's last day."""
    if day == month_end(day):
        return month_of(day), None
    before = month_of(day) - timedelta(days=1)
    return month_of(before), (before, day)


def plan(start: date, end: date) -> dict[str, Any]:
    """How a period is read: its whole months from the roll-up, its partial edges from facts."""
    first = start if start.day == 1 else next_month(start)
    last = end if end == month_end(end) else month_of(end) - timedelta(days=1)
    months = (first, month_of(last)) if first <= last else None
    edges = [(start, end)] if months is None else [
        r for r in ((start, first - timedelta(days=1)), (last + timedelta(days=1), end))
        if r[0] <= r[1]]
    return {"months": months, "edges": edges, "carried": _point(start - timedelta(days=1)),
            "end": _point(end)}


def _n(*cond: Any) -> Any:
    return func.coalesce(func.sum(case((and_(*cond), 1), else_=0)), 0)


def rolled_counts(session: Session, start: date, end: date, *, agency: str | None = None,
                  procedure: str | None = None) -> dict[tuple[str, str], dict[str, int]]:
    """{(agency, procedure): the index's counts} of the rows the roll-up holds, for the period
    [start, end]: the same numbers the index's one aggregate gives over those rows."""
    how = plan(start, end)
    (carried_month, carried_diff), (end_month, end_diff) = how["carried"], how["end"]
    got: dict[tuple[str, str], Counter[str]] = {}

    r = QualityRollup
    columns: list[Any] = []
    if how["months"] is not None:
        inside = r.month.between(_day(how["months"][0]), _day(how["months"][1]))
        columns += [func.coalesce(func.sum(case((inside, r.__table__.c[c]), else_=0)), 0).label(c)
                    for c in IN_MONTH]
    else:
        inside = literal(False)
    columns.append(func.coalesce(func.sum(case((r.month == _day(carried_month), r.open),
                                               else_=0)), 0).label("carried"))
    columns += [func.coalesce(func.sum(case((r.month == _day(end_month), r.__table__.c[c]),
                                            else_=0)), 0).label(f"end_{c}")
                for c in AT_MONTH_END]
    stmt = (select(r.agency_code, r.procedure_code, *columns)
            .where(or_(inside, r.month.in_([_day(carried_month), _day(end_month)])))
            .group_by(r.agency_code, r.procedure_code))
    _sum_into(got, session, stmt, r, agency, procedure)
    edge = _edge_statement(how["edges"], carried_diff, end_diff, end)
    if edge is not None:
        _sum_into(got, session, edge, QualityFact, agency, procedure)

    out: dict[tuple[str, str], dict[str, int]] = {}
    for key, c in got.items():
        on_time = c["early"] + c["finished_on_time"] + c["end_open_on_time"]
        satisfied = (on_time - c["finished_on_time_unsatisfied"]
                     - c["end_open_on_time_unsatisfied"])
        out[key] = {
            "received": c["carried"] + c["new"], "new": c["new"], "carried_over": c["carried"],
            "early": c["early"], "finished_on_time": c["finished_on_time"],
            "finished_late": c["finished_late"], "open_on_time": c["end_open_on_time"],
            "open_late": c["end_open_late"], "on_time": on_time, "paused": c["end_paused"],
            "stopped": c["stopped"], "withdrawn": c["withdrawn"], "satisfied": satisfied,
            "rated_unsatisfied": c["finished_unsatisfied"] + c["end_open_unsatisfied"],
            "new_digitised": c["new_digitised"],
            "new_reused": c["new_reused"], "filed": c["filed"],
            "filed_online": c["filed_online"], "refused": c["refused"],
            "fee_filed": c["fee_filed"], "fee_paid_online": c["fee_paid_online"],
            "results": c["results"], "results_electronic": c["results_electronic"],
            "ratings": c["ratings"], "rating_sum": c["rating_sum"],
            **{f"rated_{lv}": c[f"rated_{lv}"] for lv in range(1, 6)},
        }
    return out


def _sum_into(got: dict[tuple[str, str], Counter[str]], session: Session, stmt: Any, model: Any,
              agency: str | None, procedure: str | None) -> None:
    """Run a per-(agency, procedure) statement over `model`, narrowed to the scope asked, and
    add its counts into `got`."""
    if agency is not None:
        stmt = stmt.where(model.agency_code == agency)
    if procedure is not None:
        stmt = stmt.where(model.procedure_code == procedure)
    for row in session.execute(stmt).mappings():
        into = got.setdefault((row["agency_code"], row["procedure_code"]), Counter())
        for name, value in row.items():
            if name not in ("agency_code", "procedure_code"):
                into[name] += int(value or 0)


def _edge_statement(edges: list[tuple[date, date]], carried: tuple[date, date] | None,
                    end: tuple[date, date] | None, last: date) -> Any:
    """SQL over the rolled facts rows: the steps taken on the partial edges' days, and how the
    rows moved between a month's start and a day inside it (None: nothing to read)."""
    if not edges and carried is None and end is None:
        return None
    f = QualityFact

    def within(column: Any) -> Any:
        return or_(*(column.between(_day(a), _day(b)) for a, b in edges)) if edges \
            else literal(False)

    filed, received, finished = within(f.submitted_on), within(f.received_on), within(f.finished_on)
    rated, resulted = within(f.rated_on), within(f.result_on)
    known = and_(finished, f.received_on.is_not(None))
    unsatisfied = and_(f.rating.in_(UNSATISFIED_LEVELS), f.rated_on <= _day(last))
    columns: dict[str, Any] = {
        "filed": _n(filed), "filed_online": _n(filed, f.filed_online),
        "fee_filed": _n(filed, f.fee_due), "fee_paid_online": _n(filed, f.fee_due, f.paid_online),
        "refused": _n(within(f.refused_on)),
        "results": _n(resulted), "results_electronic": _n(resulted, f.result_electronic),
        "ratings": _n(rated),
        "rating_sum": func.coalesce(func.sum(case((rated, f.rating), else_=0)), 0),
        **{f"rated_{lv}": _n(rated, f.rating == lv) for lv in range(1, 6)},
        "new": _n(received), "new_digitised": _n(received, f.digitised),
        "new_reused": _n(received, f.reused),
        "early": _n(known, f.finished_on < f.due_on),
        "finished_on_time": _n(known, f.finished_on == f.due_on),
        "finished_late": _n(known, f.finished_on > f.due_on),
        "stopped": _n(known, f.outcome == "stopped"),
        "withdrawn": _n(known, f.outcome == "withdrawn"),
        "finished_unsatisfied": _n(known, unsatisfied),
        "finished_on_time_unsatisfied": _n(known, unsatisfied, f.finished_on <= f.due_on),
    }
    touched = [within(c) for c in (f.submitted_on, f.refused_on, f.result_on, f.rated_on,
                                   f.received_on, f.finished_on)] if edges else []
    for name, moved in (("carried", carried), ("end", end)):
        if moved is None:
            continue
        before, until = moved
        now, then = _standing_at(until), _standing_at(before)
        wanted = ("open",) if name == "carried" else AT_MONTH_END
        for c in wanted:
            columns[name if name == "carried" else f"end_{c}"] = _n(now[c]) - _n(then[c])
        # A row stands differently on `until` than on `before` only if it was received,
        # finished, paused or rated in between, or its appointment passed.
        lo, hi = _day(before), _day(until)
        touched += [and_(c > lo, c <= hi)
                    for c in (f.received_on, f.finished_on, f.paused_on, f.rated_on)]
        touched.append(f.due_on.between(lo, hi))
    return (select(f.agency_code, f.procedure_code, *(v.label(k) for k, v in columns.items()))
            .where(rolled_clause(), or_(*touched))
            .group_by(f.agency_code, f.procedure_code))

