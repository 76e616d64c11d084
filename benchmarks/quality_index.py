"""The 766 index over 1,000,000 dossiers with their events, on PostgreSQL.

    .venv/bin/python benchmarks/quality_index.py [--dossiers 1000000] [--agencies 300]
        [--database-url postgresql://postgres@127.0.0.1:5432/hoso_bench_quality] [--keep]
        [--seed-only] [--rebuild-rollup]

Seeds a province's three years (2024-01-01 to 2026-11-30): agencies, citizens, and
`--dossiers` dossiers with their event logs (create, submit, accept, start, supplements,
fee payments, decision, return, rating; refusals, withdrawals, stops, open ones) drawn by
the demo history's generator (`app/services/quality_demo.py`), written with COPY. Each
dossier's quality facts are computed by the product's own projection
(`quality_facts.facts_of`) from the events generated for it. A sample is then read back
and projected again from the stored log, which must give the stored rows. The monthly
roll-up is rebuilt from the facts (on a fresh seed, when empty, or with `--rebuild-rollup`).
Then every period's index for all agencies (`quality_index.all_agencies`) is timed by both
paths, the one aggregate over every facts row (`direct`) and the roll-up with the live rows,
which must give identical reports; and one agency's report with its procedures. The load
average is printed next to every figure. The database is DROPPED and recreated unless
`--keep` reuses a seeded one: give a throw-away one.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Base, Dossier, DossierEvent  # noqa: E402
from app.models.quality import LIVE_FACTS, QualityFact, QualityRollup  # noqa: E402
from app.services import (  # noqa: E402
    catalog,
    quality_demo,
    quality_facts,
    quality_index,
    quality_rollup,
)
from app.services.quality_demo import Kind, moment  # noqa: E402

PROTECTED = ("/test", "/hoso_test", "/hoso_dev", "/postgres")
KINDS = [Kind("birth-registration", 1, 8000), Kind("child-health-insurance", 5, 0),
         Kind("criminal-record-certificate", 10, 200000), Kind("marital-status-confirmation", 3, 3000),
         Kind("permanent-residence-registration", 7, 0)]
FIRST, LAST = date(2024, 1, 1), date(2026, 11, 30)
CITIZENS = 10000
PERIODS = {
    "month 2026-11": (date(2026, 11, 1), date(2026, 11, 30)),
    "quarter 2026-Q3": (date(2026, 7, 1), date(2026, 9, 30)),
    "year 2025": (date(2025, 1, 1), date(2025, 12, 31)),
    "three years": (FIRST, LAST),
    # Partial months: the edges are read from the facts.
    "2026 to 17 Nov": (date(2026, 1, 1), date(2026, 11, 17)),
    "15 Mar-14 Sep 2025": (date(2025, 3, 15), date(2025, 9, 14)),
}
PATHS = {"direct": True, "roll-up": False}


def seed(engine, n: int, agency_count: int, chunk: int = 20000) -> list[str]:
    agencies = [f"BQ{a:04d}" for a in range(agency_count)]
    raw = engine.raw_connection()
    cur = raw.cursor()
    cur.execute("INSERT INTO agencies (code, name, level) SELECT code, "
                "jsonb_build_object('vi', 'Cơ quan ' || code, 'en', 'Agency ' || code), "
                "'commune' FROM unnest(%s::text[]) AS code", (agencies,))
    cur.execute("INSERT INTO users (id, kind, phone, password_hash, full_name, language, "
                "created_at, signup_pending, change_seq, change_floor) "
                "SELECT g, 'citizen', '09' || lpad(g::text, 8, '0'), 'x', 'Công dân ' || g, 'vi', "
                "now(), false, 0, 0 FROM generate_series(1, %s) g", (CITIZENS,))
    cur.execute("SELECT setval('users_id_seq', %s)", (CITIZENS,))
    raw.commit()
    rng = random.Random(766)
    event_id = 0
    for start in range(0, n, chunk):
        dossiers, events, facts = [], [], []
        for i in range(start, min(n, start + chunk)):
            d, evs = quality_demo.plan(KINDS[i % len(KINDS)], agencies[i % len(agencies)],
                                       1 + i % CITIZENS, 1, FIRST, LAST, rng)
            row = quality_demo.facts_row(d, evs, event_id + 1)
            for day, actor, kind, action, before, after, data in evs:
                event_id += 1
                events.append((event_id, d["id"], moment(day), actor, kind, action, before,
                               after, json.dumps(data)))
            if row is not None:
                facts.append((d["id"], *(row[c] for c in quality_facts.FACT_COLUMNS)))
            dossiers.append((d["id"], d["owner_id"], d["procedure_code"], d["agency_code"], 1,
                             d["status"], len(evs), "{}", "{}", json.dumps(d["documents"]),
                             d["submitted_at"], d["accepted_at"], d["appointment_date"],
                             d["paused_on"], d["finished_on"],
                             json.dumps(d["result"]) if d["result"] else None, d["fee_status"],
                             d["rating"], d["submitted_at"], d["submitted_at"]))
        with cur.copy("COPY dossiers (id, owner_id, procedure_code, agency_code, form_version, "
                      "status, version, fields, field_stamps, documents, submitted_at, "
                      "accepted_at, appointment_date, paused_on, finished_on, result, "
                      "fee_status, rating, created_at, updated_at) FROM STDIN") as copy:
            for r in dossiers:
                copy.write_row(r)
        with cur.copy("COPY dossier_events (id, dossier_id, at, actor_id, actor_kind, action, "
                      "from_status, to_status, data) FROM STDIN") as copy:
            for r in events:
                copy.write_row(r)
        cols = ", ".join(("dossier_id", *quality_facts.FACT_COLUMNS))
        with cur.copy(f"COPY quality_facts ({cols}) FROM STDIN") as copy:
            for r in facts:
                copy.write_row(r)
        raw.commit()
        print(f"  seeded {min(n, start + chunk):>9,} dossiers, {event_id:>10,} events", flush=True)
    cur.execute("SELECT setval('dossier_events_id_seq', %s)", (event_id,))
    raw.commit()
    cur.execute("ANALYZE")
    raw.commit()
    raw.close()
    return agencies


def check_sample(session, size: int = 2000) -> None:
    """Project a sample again from the stored log: it must give the stored rows."""
    ids = list(session.scalars(select(QualityFact.dossier_id).order_by(func.random()).limit(size)))
    for dossier in session.scalars(select(Dossier).where(Dossier.id.in_(ids))):
        events = session.scalars(select(DossierEvent).where(DossierEvent.dossier_id == dossier.id))
        row = quality_facts.facts_of(dossier, list(events), None)
        stored = session.get(QualityFact, dossier.id)
        assert row == {c: getattr(stored, c) for c in quality_facts.FACT_COLUMNS}, dossier.id
    print(f"  {len(ids)} sampled rows equal their projection from the stored log")


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        begin = time.perf_counter()
        fn()
        out.append(time.perf_counter() - begin)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--agencies", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url",
                        default="postgresql://postgres@127.0.0.1:5432/hoso_bench_quality")
    parser.add_argument("--keep", action="store_true", help="reuse an already seeded database")
    parser.add_argument("--seed-only", action="store_true",
                        help="seed (and build the roll-up), then stop: no timing")
    parser.add_argument("--rebuild-rollup", action="store_true",
                        help="rebuild the monthly roll-up even if it holds rows")
    args = parser.parse_args()
    url = args.database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    if url.rstrip("/").endswith(PROTECTED):
        sys.exit(f"refusing to drop {url}: give a throw-away database")
    base, _, name = url.rpartition("/")
    if not args.keep:
        admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x" * 40})
    with app.app_context():
        Base.metadata.create_all(db.engine)  # with --keep: tables added since the seeding
        if not args.keep:
            catalog.load_demo(db.session)
            db.session.commit()
            began = time.perf_counter()
            print(f"seeding {args.dossiers:,} dossiers over {args.agencies} agencies …")
            seed(db.engine, args.dossiers, args.agencies)
            print(f"  seeded in {time.perf_counter() - began:.0f} s")
        for index in QualityFact.__table__.indexes:  # with --keep: indexes added since
            index.create(db.engine, checkfirst=True)
        if args.rebuild_rollup or not args.keep or not db.session.scalar(
                select(func.count()).select_from(QualityRollup)):
            began = time.perf_counter()
            months = quality_rollup.rebuild(db.session)
            db.session.commit()
            db.session.execute(text("ANALYZE quality_rollup"))
            db.session.commit()
            print(f"  monthly roll-up rebuilt from the facts: {months:,} rows in "
                  f"{time.perf_counter() - began:.0f} s")
        if args.seed_only:
            return
        session = db.session
        counts = session.execute(text(
            "SELECT (SELECT count(*) FROM dossiers), (SELECT count(*) FROM dossier_events), "
            "(SELECT count(*) FROM quality_facts), pg_size_pretty(pg_total_relation_size("
            "'quality_facts')), pg_size_pretty(pg_total_relation_size('dossier_events'))")).one()
        print(f"dossiers {counts[0]:,}, events {counts[1]:,}, quality facts {counts[2]:,} "
              f"({counts[3]}; events {counts[4]})")
        check_sample(session)
        rows = session.execute(text(
            "SELECT (SELECT count(*) FROM quality_rollup), pg_size_pretty(pg_total_relation_size("
            "'quality_rollup')), (SELECT count(*) FROM quality_facts WHERE " + LIVE_FACTS + ")"
        )).one()
        print(f"roll-up rows {rows[0]:,} ({rows[1]}); live facts rows {rows[2]:,}")
        print(f"load average before timing: {loadavg()}")
        for label, (start, end) in PERIODS.items():
            reports = {}
            for path, direct in PATHS.items():
                reports[path] = quality_index.all_agencies(session, start, end, direct=direct)
                session.commit()
                times = timed(lambda s=start, e=end, d=direct: all_agencies(session, s, e, d),
                              args.runs)
                received = sum(r["progress"]["received"] for r in reports[path]["agencies"])
                print(f"all agencies, {label:<19} {path:<8} ({len(reports[path]['agencies'])} "
                      f"agencies, {received:>9,} received): median "
                      f"{statistics.median(times) * 1000:6.0f} ms, max {max(times) * 1000:6.0f} ms"
                      f"   load {loadavg()}", flush=True)
            assert reports["direct"] == reports["roll-up"], f"{label}: the two paths differ"
            print(f"  {label}: the two paths give identical reports")
        agency = reports["direct"]["agencies"][0]["agency"]["code"]
        reports = {}
        for path, direct in PATHS.items():
            reports[path] = quality_index.agency_report(session, agency, *PERIODS["year 2025"],
                                                        direct=direct)
            session.commit()

            def one(d: bool = direct) -> None:
                quality_index.agency_report(session, agency, *PERIODS["year 2025"], direct=d)
                session.commit()
            times = timed(one, args.runs)
            print(f"one agency with its procedures, year 2025, {path:<8}: median "
                  f"{statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms"
                  f"   load {loadavg()}", flush=True)
        assert reports["direct"] == reports["roll-up"], "one agency: the two paths differ"
        print("  one agency: the two paths give identical reports")
        print(f"load average after timing: {loadavg()}")


def loadavg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def all_agencies(session, start: date, end: date, direct: bool) -> None:
    quality_index.all_agencies(session, start, end, direct=direct)
    session.commit()  # each reading in its own transaction, as a request's


if __name__ == "__main__":
    main()
