"""The monthly roll-up gives the index's numbers exactly: the same as the one aggregate over
every facts row (`counts(..., direct=True)`), for whole months and for periods with partial
months, as events arrive in any order (docs/quality.md, "The monthly roll-up")."""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from app.models.catalog import Procedure
from app.models.quality import QualityFact, QualityRollup
from app.services import code_tables, quality_facts, quality_index, quality_rollup
from app.services import dossiers as svc
from app.services.catalog import get_form
from tests.factories import ready_documents, sample_values
from tests.quality.hand_history import CHILD, DEC, NOV, at

MARITAL = "marital-status-confirmation"


def assert_same(session: Any, start: date, end: date, agency: str | None = None,
                procedure: str | None = None, ways: tuple[bool, ...] = (False, True)) -> None:
    """The roll-up path and the direct aggregate agree, per agency and per procedure."""
    for by_procedure in ways:
        scope = {"agency": agency, "procedure": procedure, "by_procedure": by_procedure}
        direct = quality_index.counts(session, start, end, direct=True, **scope)
        rolled = quality_index.counts(session, start, end, **scope)
        assert rolled == direct, (start, end, scope)


def rollup_rows(session: Any) -> dict[tuple, tuple]:
    """The roll-up's non-zero rows (an incremental update may leave a row of zeros)."""
    table = QualityRollup.__table__
    out = {}
    for row in session.execute(select(table)).mappings():
        values = tuple(row[c] for c in quality_rollup.COLUMNS)
        if any(values):
            out[(row["agency_code"], row["procedure_code"], row["month"])] = values
    return out


def assert_kept_equals_rebuilt(session: Any) -> None:
    """What the writes kept equals the roll-up rebuilt from the facts (then undone)."""
    session.flush()
    kept = rollup_rows(session)
    nested = session.begin_nested()
    quality_rollup.rebuild(session)
    rebuilt = rollup_rows(session)
    nested.rollback()
    assert kept == rebuilt


def month_periods(first: date, last: date) -> list[tuple[date, date]]:
    """Every month, quarter-like run and the whole span between two months."""
    months = []
    m = first
    while m <= last:
        months.append(m)
        m = quality_rollup.next_month(m)
    out = [(m, quality_rollup.month_end(m)) for m in months]
    out += [(months[i], quality_rollup.month_end(months[min(i + 2, len(months) - 1)]))
            for i in range(len(months))]
    out.append((months[0], quality_rollup.month_end(months[-1])))
    return out


# -- the hand-worked history (tests/quality/test_index.py) ----------------------------------

def test_the_hand_worked_history_through_the_rollup(db, history, app):
    session = db.session
    agency = history["agency"]
    # What the roll-up holds: the finished dossiers; E (paused) and J (in progress) stay live.
    live = {f.dossier_id for f in session.scalars(select(QualityFact)) if not f.rolled_up}
    assert live == {history["dossiers"][k].id for k in "EJ"}
    nov = session.get(QualityRollup, (agency, CHILD, date(2026, 11, 1)))
    # Received in November: A, B, C, D, F, H, K; finished: A, K early, B, D on time (B rated
    # 1 the next day), C, F, G late; on 30/11: H received, not finished, on time (due 3/12).
    assert (nov.new, nov.early, nov.finished_on_time, nov.finished_late, nov.stopped,
            nov.withdrawn, nov.refused) == (7, 2, 2, 3, 1, 1, 1)
    assert (nov.finished_unsatisfied, nov.finished_on_time_unsatisfied) == (1, 1)
    assert (nov.open, nov.open_on_time, nov.open_late, nov.paused) == (1, 1, 0, 0)
    oct_ = session.get(QualityRollup, (agency, CHILD, date(2026, 10, 1)))
    assert (oct_.new, oct_.early, oct_.open, oct_.open_on_time) == (2, 1, 1, 1)  # I; G carried
    assert_kept_equals_rebuilt(session)

    # The answers worked by hand come through the roll-up path (test_index.py asserts the
    # same figures through it) and equal the direct aggregate over every row.
    for start, end in [NOV, DEC, (date(2026, 10, 1), date(2026, 12, 31)),
                       (date(2026, 11, 3), date(2026, 11, 30)),  # partial first edge
                       (date(2026, 11, 1), date(2026, 11, 11)),  # partial last edge
                       (date(2026, 11, 10), date(2026, 11, 12)),  # inside one month
                       (date(2026, 10, 27), date(2026, 12, 2)), (date(2026, 11, 30), date(2026, 12, 1)),
                       (date(2026, 9, 1), date(2026, 9, 30)), (date(2027, 1, 1), date(2027, 3, 31))]:
        assert_same(session, start, end)
        assert_same(session, start, end, agency=agency)
        assert_same(session, start, end, agency=agency, procedure=CHILD)
    report = quality_index.agency_report(session, agency, *NOV)
    assert report["progress"]["received"] == 10 and report["points"] == 28.4

    # The roll-up is what the index reads: without it the finished dossiers are missing,
    # and `flask quality rebuild` brings them back.
    session.execute(delete(QualityRollup))
    session.commit()
    assert quality_index.counts(session, *NOV, agency=agency)[(agency,)]["received"] == 2
    result = app.test_cli_runner().invoke(args=["quality", "rebuild"])
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert quality_index.agency_report(session, agency, *NOV)["points"] == 28.4
    assert_same(session, *NOV)


def test_a_rating_after_the_return_and_a_resume_move_the_sums(db, history, make_official,
                                                               make_citizen):
    session = db.session
    agency = history["agency"]
    official = make_official(procedure=CHILD).user
    c = history["dossiers"]["C"]  # decided 12/11, not returned
    session.add(c)
    svc.transition(session, c, official, "return_result", moment=at("2026-12-20"),
                   result={"number": "1/2027", "method": "electronic"})
    session.commit()
    owner = session.get(type(official), c.owner_id)
    # Rated 2 in January: unsatisfied in periods ending from then on, not before; read live.
    svc.transition(session, c, owner, "rate", moment=at("2027-01-05"), rating=2)
    session.commit()
    assert not session.get(QualityFact, c.id).rolled_up
    nov_dec = (date(2026, 11, 1), date(2026, 12, 31))
    assert quality_index.counts(session, *nov_dec, agency=agency)[(agency,)]["rated_unsatisfied"] == 1
    assert quality_index.counts(session, *NOV, agency=agency)[(agency,)]["rated_unsatisfied"] == 1
    through_jan = (date(2026, 11, 1), date(2027, 1, 31))
    assert quality_index.counts(session, *through_jan, agency=agency)[(agency,)]["rated_unsatisfied"] == 2
    f = history["dossiers"]["F"]  # stopped 12/11, resumed in December, decided in January
    session.add(f)
    svc.transition(session, f, official, "resume", moment=at("2026-12-07"))
    session.commit()
    svc.transition(session, f, official, "complete", moment=at("2027-01-12"))
    session.commit()
    assert_kept_equals_rebuilt(session)
    for start, end in [NOV, DEC, nov_dec, through_jan, (date(2026, 12, 5), date(2027, 1, 10)),
                       (date(2027, 1, 1), date(2027, 1, 31)), (date(2027, 1, 6), date(2027, 1, 6))]:
        assert_same(session, start, end)


def test_a_dossier_transferred_to_another_ward_moves_its_sums(db, make_citizen, make_official):
    """A supplement moves the applicant's residence to another ward: the dossier goes to that
    ward's committee (a `transfer` step), and its sums, finished later, are that agency's."""
    session = db.session
    citizen = make_citizen().user
    old, new = (make_official(agency=a).user.id for a in ("UBP-HOANKIEM", "UBP-CUANAM"))
    dossier = _draft(session, citizen, MARITAL, "2026-10-28")
    session.commit()
    steps = [(citizen.id, "submit", "2026-10-28", {}), (old, "accept", "2026-10-28", {}),
             (old, "start", "2026-10-28", {}),
             (old, "request_supplement", "2026-10-29",
              {"fields": ["applicant_residence"], "note": "Nơi cư trú hiện nay"}),
             (citizen.id, "supplement", "2026-11-03", {"values": {"applicant_residence": {
                 "line": "1 Hàng Bông", "ward": "00073",
                 "province": code_tables.item("admin_units", "00073")["parent"]}}}),
             (new, "complete", "2026-11-20", {}),
             (new, "return_result", "2026-12-01", {"result": {"number": "3/2026",
                                                              "method": "electronic"}}),
             (citizen.id, "rate", "2026-12-02", {"rating": 4})]
    for who, action, day, kwargs in steps:
        session.add(dossier)
        svc.transition(session, dossier, session.get(type(citizen), who), action,
                       moment=at(day), **kwargs)
        session.commit()
    assert [e.action for e in dossier.events if e.action == "transfer"] == ["transfer"]
    fact = session.get(QualityFact, dossier.id)
    assert (fact.agency_code, fact.rolled_up) == ("UBP-CUANAM", True)
    rows = rollup_rows(session)
    assert {k[0] for k in rows} == {"UBP-CUANAM"}
    assert_kept_equals_rebuilt(session)
    for start, end in [(date(2026, 10, 1), date(2026, 10, 31)), NOV, DEC,
                       (date(2026, 10, 1), date(2026, 12, 31)), (date(2026, 10, 29), date(2026, 11, 19))]:
        assert_same(session, start, end)
        for agency in ("UBP-HOANKIEM", "UBP-CUANAM"):
            assert_same(session, start, end, agency=agency)
    october = quality_index.counts(session, date(2026, 10, 1), date(2026, 10, 31))
    assert october[("UBP-CUANAM",)]["open_on_time"] == 1 and ("UBP-HOANKIEM",) not in october


def test_a_dossier_moved_to_another_agency_moves_its_sums(db, history):
    """The roll-up follows a facts row to any agency and procedure, finished or not (as
    `apply` is called with the two rows)."""
    session = db.session
    a = history["dossiers"]["A"]
    fact = session.get(QualityFact, a.id)
    before = {c: getattr(fact, c) for c in quality_facts.FACT_COLUMNS}
    after = {**before, "agency_code": "UBP-HOANKIEM", "procedure_code": MARITAL}
    quality_rollup.apply(session, before, after)
    fact.agency_code, fact.procedure_code = after["agency_code"], after["procedure_code"]
    session.commit()
    moved = session.get(QualityRollup, ("UBP-HOANKIEM", MARITAL, date(2026, 11, 1)))
    assert (moved.new, moved.early, moved.results_electronic, moved.ratings) == (1, 1, 1, 1)
    assert_kept_equals_rebuilt(session)
    assert_same(session, *NOV)
    assert_same(session, date(2026, 11, 2), date(2026, 11, 20), agency="UBP-HOANKIEM")


# -- random histories through the real state machine -----------------------------------------

def _draft(session: Any, owner: Any, code: str, day: str) -> Any:
    proc = session.get(Procedure, code)
    form = get_form(session, code, proc.current_version).form
    dossier = svc.create_draft(session, owner, uuid.uuid4(), proc, proc.current_version, at(day))
    dossier.fields = sample_values(form, at(day).date())
    dossier.documents = ready_documents(form, dossier.fields)
    if random.Random(dossier.id.int).random() < 0.3:
        dossier.documents = {**dossier.documents,
                             "extra": {"source": "warehouse", "status": "ready"}}
    return dossier


def _path(rng: random.Random, first: date, last: date) -> list[tuple[str, date, dict]]:
    """A random path through the state machine, day by day (never past `last`)."""
    day = first
    steps: list[tuple[str, date, dict]] = [("submit", day, {})]

    def later(most: int) -> date:
        nonlocal day
        day = min(last, day + timedelta(days=rng.randrange(most + 1)))
        return day

    roll = rng.random()
    if roll < 0.08:
        return steps  # never accepted
    if roll < 0.14:
        return [*steps, ("refuse", later(2), {"note": "Thiếu giấy tờ"})]
    if roll < 0.18:
        return [*steps, ("withdraw", later(3), {})]
    steps += [("accept", later(2), {}), ("start", day, {})]
    asked = False  # one supplement request a dossier (handoffs.REFUSALS)
    while True:
        if not asked and rng.random() < 0.25:
            asked = True
            steps.append(("request_supplement", later(6), {"note": "Bổ sung"}))
            if rng.random() < 0.2:
                return steps  # never answered
            steps.append(("supplement", later(12), {"values": {}}))
        roll = rng.random()
        if roll < 0.1:
            return [*steps, ("withdraw", later(10), {})]
        if roll < 0.25:
            steps.append(("stop", later(15), {"note": "Tạm dừng"}))
            if rng.random() < 0.5:
                return steps
            steps.append(("resume", later(40), {}))  # open again, maybe months later
            continue
        if roll < 0.4:
            return steps  # still in progress
        break
    steps.append(("complete", later(20), {}))
    if rng.random() < 0.2:
        return steps
    method = rng.choice(("electronic", "desk"))
    steps.append(("return_result", later(5), {"result": {"number": "7/2026", "method": method}}))
    if rng.random() < 0.6:  # rated, often in a later month, sometimes unsatisfied
        steps.append(("rate", later(45), {"rating": rng.randint(1, 5)}))
    return steps


def test_random_histories_in_any_order_read_the_same(db, make_citizen, make_official):
    session = db.session
    rng = random.Random(1717)
    citizen = make_citizen().user
    officials: dict[str, Any] = {}
    first, last = date(2026, 8, 20), date(2027, 2, 27)
    pending: list[list[tuple[Any, str, date, dict]]] = []
    for _ in range(36):
        code = rng.choice((CHILD, MARITAL))
        start = first + timedelta(days=rng.randrange(130))
        dossier = _draft(session, citizen, code, start.isoformat())
        pending.append([(dossier, *step) for step in _path(rng, start, last)])
    session.commit()
    ids = [steps[0][0].id for steps in pending]
    # The dossiers' steps interleaved at random: each one's in its own order.
    done = 0
    while pending:
        steps = rng.choice(pending)
        dossier, action, day, kwargs = steps.pop(0)
        if not steps:
            pending.remove(steps)
        session.add(dossier)
        if action == "request_supplement":
            kwargs = {**kwargs, "fields": [next(iter(dossier.fields))]}
        if action in ("submit", "withdraw", "supplement", "rate"):
            actor = session.get(type(citizen), citizen.id)
        else:
            if dossier.agency_code not in officials:
                officials[dossier.agency_code] = make_official(agency=dossier.agency_code).user.id
            actor = session.get(type(citizen), officials[dossier.agency_code])
        svc.transition(session, dossier, actor, action, moment=at(day.isoformat()), **kwargs)
        session.commit()
        done += 1
        if done % 25 == 0:
            assert_kept_equals_rebuilt(session)
    assert_kept_equals_rebuilt(session)
    facts = {f.dossier_id: f for f in session.scalars(select(QualityFact))}
    assert len(facts) == len(ids)
    rows = [{c: getattr(f, c) for c in quality_facts.FACT_COLUMNS} for f in facts.values()]
    assert all(r["rolled_up"] is not quality_rollup.is_live(r) for r in rows)
    assert any(not r["rolled_up"] for r in rows)
    assert sum(r["rolled_up"] for r in rows) > len(rows) // 3
    # Histories the test meant to make: a rating in a later month than the decision, a stop
    # resumed, a dossier open across a month's end.
    assert any(r["rated_on"] and r["rated_on"].month != r["finished_on"].month for r in rows)
    assert any(r["received_on"] and r["finished_on"]
               and r["received_on"].month != r["finished_on"].month for r in rows)

    periods = month_periods(date(2026, 8, 1), date(2027, 2, 1))
    for _ in range(30):
        a = first - timedelta(days=15) + timedelta(days=rng.randrange(200))
        periods.append((a, a + timedelta(days=rng.randrange(120))))
    agencies = sorted({r["agency_code"] for r in rows})
    for start, end in periods:
        assert_same(session, start, end)
    for start, end in periods[::4]:
        for agency in agencies:
            assert_same(session, start, end, agency=agency)


# -- any facts rows, any order of rewrites ---------------------------------------------------

BASE = date(2026, 1, 1)
SCOPES = ((None, None), ("A1", None), ("A2", "P2"))


def _day(n: int | None) -> date | None:
    return None if n is None else BASE + timedelta(days=n)


# Days around the months' ends (and a few inside) of January to April 2026: where a period's
# edge and a dossier's step meet, the roll-up's months and the facts' days must agree.
DAYS = sorted({n + k for n in (0, 31, 59, 90, 120) for k in (-2, -1, 0, 1)} | {9, 15, 44, 75, 100})
GAPS = st.sampled_from((0, 1, 2, 10, 30))


@st.composite
def facts_rows(draw: Any) -> dict[str, Any]:
    """A facts row: mostly the shapes the state machine makes, sometimes odd ones (received
    after it finished, no appointment, a pause left on a finished dossier, a rating before
    the finish), on days where months meet."""
    submitted = draw(st.sampled_from(DAYS))
    received = draw(st.none() | st.just(submitted) | st.sampled_from(DAYS))
    base = submitted if received is None else received
    finished = draw(st.one_of(st.none(), GAPS.map(lambda g: base + g),
                              GAPS.map(lambda g: base + g), st.sampled_from(DAYS)))
    end = base if finished is None else finished
    rating = draw(st.none() | st.integers(1, 5))
    row = {
        "agency_code": draw(st.sampled_from(("A1", "A2"))),
        "procedure_code": draw(st.sampled_from(("P1", "P2"))),
        "submitted_on": _day(draw(st.none() | st.just(submitted))),
        "filed_online": draw(st.booleans()), "received_on": _day(received),
        "refused_on": _day(draw(st.none() | st.just(submitted))),
        "due_on": _day(draw(st.one_of(st.none(), st.sampled_from((-1, 0, 1)).map(lambda k: end + k),
                                      GAPS.map(lambda g: base + g), st.sampled_from(DAYS)))),
        "paused_on": _day(draw(st.none() | GAPS.map(lambda g: base + g) | st.sampled_from(DAYS))),
        "finished_on": _day(finished),
        "outcome": draw(st.sampled_from((None, "result", "withdrawn", "stopped", "refused"))),
        "result_on": _day(draw(st.none() | st.just(end))),
        "result_electronic": draw(st.none() | st.booleans()),
        "returned_on": None, "supplements": 0,
        "fee_due": draw(st.booleans()), "paid_online": draw(st.booleans()),
        "digitised": draw(st.booleans()), "reused": draw(st.booleans()),
        "rating": rating,
        "rated_on": _day(None if rating is None else draw(
            GAPS.map(lambda g: end + g) | st.sampled_from(DAYS))),
    }
    # As `facts_of` marks it; or not rolled up (a row kept from before the roll-up existed).
    row["rolled_up"] = not quality_rollup.is_live(row) and draw(st.integers(0, 9)) > 0
    return row


@st.composite
def periods(draw: Any) -> tuple[date, date]:
    start = draw(st.sampled_from(DAYS)) + draw(st.sampled_from((0, 0, 1, -1)))
    end = max(start, draw(st.sampled_from(DAYS)) + draw(st.sampled_from((0, 0, 1, -1, 30))))
    return _day(start), _day(end)


def test_any_rows_rewritten_in_any_order_read_the_same(db, make_citizen):
    session = db.session
    owner = make_citizen().user
    proc = session.get(Procedure, CHILD)
    ids = [svc.create_draft(session, owner, uuid.uuid4(), proc, proc.current_version,
                            at("2026-01-01")).id for _ in range(6)]
    session.commit()

    rewrite = st.one_of(st.none(), facts_rows(), facts_rows(), facts_rows())  # 1 in 4 deletes

    @settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(writes=st.lists(st.tuples(st.integers(0, 5), rewrite), min_size=3, max_size=14),
           asked=st.lists(st.tuples(periods(), st.sampled_from(SCOPES)), min_size=2, max_size=4))
    def check(writes: list[tuple[int, dict | None]], asked: list[tuple[tuple, tuple]]) -> None:
        try:
            held: dict[int, dict | None] = {}
            for which, row in writes:  # each write as the session hook makes it: old → new
                quality_rollup.apply(session, held.get(which), row)
                session.execute(delete(QualityFact).where(QualityFact.dossier_id == ids[which]))
                if row is not None:
                    session.execute(QualityFact.__table__.insert(),
                                    [{"dossier_id": ids[which], **row}])
                held[which] = row
            assert_kept_equals_rebuilt(session)
            for (start, end), (agency, procedure) in asked:
                assert_same(session, start, end, agency, procedure, ways=(True,))
        finally:
            session.rollback()

    check()


def _random_row(rng: random.Random) -> dict[str, Any]:
    """`facts_rows` drawn by a plain generator: many rows at once."""
    pick = rng.choice
    submitted = pick(DAYS)
    received = pick((None, submitted, submitted, pick(DAYS)))
    base = submitted if received is None else received
    finished = pick((None, base + pick((0, 1, 2, 10, 30)), base + pick((0, 1, 2, 10, 30)),
                     pick(DAYS)))
    end = base if finished is None else finished
    rating = pick((None, None, 1, 2, 3, 4, 5))
    row = {
        "agency_code": pick(("A1", "A2")), "procedure_code": pick(("P1", "P2")),
        "submitted_on": _day(pick((None, submitted, submitted))),
        "filed_online": rng.random() < 0.5, "received_on": _day(received),
        "refused_on": _day(pick((None, None, submitted))),
        "due_on": _day(pick((None, end + pick((-1, 0, 1)), base + pick((0, 2, 10, 30)),
                             pick(DAYS)))),
        "paused_on": _day(pick((None, None, base + pick((0, 2, 10)), pick(DAYS)))),
        "finished_on": _day(finished),
        "outcome": pick((None, "result", "withdrawn", "stopped", "refused")),
        "result_on": _day(pick((None, end))), "result_electronic": pick((None, True, False)),
        "returned_on": None, "supplements": 0, "fee_due": rng.random() < 0.5,
        "paid_online": rng.random() < 0.5, "digitised": rng.random() < 0.5,
        "reused": rng.random() < 0.5, "rating": rating,
        "rated_on": _day(None if rating is None else pick(
            (end, end + pick((1, 2, 30)), pick(DAYS)))),
    }
    row["rolled_up"] = not quality_rollup.is_live(row) and rng.random() < 0.9
    return row


def test_many_rows_every_edge_read_the_same(db, make_citizen):
    """Three hundred rows rewritten in a random order, then periods from every pair of the
    days where months meet (whole months, one edge, both, inside a month, a single day)."""
    session = db.session
    rng = random.Random(17)
    owner = make_citizen().user
    proc = session.get(Procedure, CHILD)
    ids = [svc.create_draft(session, owner, uuid.uuid4(), proc, proc.current_version,
                            at("2026-01-01")).id for _ in range(300)]
    session.commit()
    held: dict[Any, dict | None] = {}
    writes = [(i, n) for i in ids for n in range(rng.randint(1, 3))]
    rng.shuffle(writes)
    for which, _ in writes:
        row = None if rng.random() < 0.05 else _random_row(rng)
        quality_rollup.apply(session, held.get(which), row)
        session.execute(delete(QualityFact).where(QualityFact.dossier_id == which))
        if row is not None:
            session.execute(QualityFact.__table__.insert(), [{"dossier_id": which, **row}])
        held[which] = row
    session.commit()
    assert_kept_equals_rebuilt(session)
    edges = sorted({d + k for d in DAYS for k in (-1, 0)})
    asked = [(a, b) for a in edges for b in edges if a <= b]
    for start, end in rng.sample(asked, 150):
        assert_same(session, _day(start), _day(end), ways=(True,))
    for start, end in rng.sample(asked, 20):
        assert_same(session, _day(start), _day(end), agency="A2", procedure="P1")
