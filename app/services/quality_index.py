"""The service-quality index of Decision 766/QĐ-TTg, computed from the quality facts.

One SQL aggregate (the same on SQLite and PostgreSQL) counts, per agency (and procedure),
what each indicator needs for a period; `score` turns the counts into points. What Hoso
cannot know is reported as not measured, with no points. docs/quality.md lists every
indicator, its formula and its source.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Date, and_, case, func, literal, or_, select, text
from sqlalchemy.orm import Session

from app.errors import Forbidden, NotFound, ValidationFailed
from app.models.accounts import Agency, User
from app.models.quality import QualityFact
from app.services import directory, lifecycle, quality_rollup, satisfaction
from app.services import quality_facts as _facts  # noqa: F401  (keeps the facts with the log)

SOURCE = ("Quyết định 766/QĐ-TTg (23/6/2022): Bộ chỉ số chỉ đạo, điều hành và đánh giá chất "
          "lượng phục vụ người dân, doanh nghiệp")
UNSATISFIED_LEVELS = (1, 2)  # of the five: 1 very unsatisfied … 5 very satisfied
MAX_PERIOD_DAYS = 3660


@dataclass(frozen=True)
class Indicator:
    code: str
    group: str
    name: tuple[str, str]  # vi, en
    max_points: float | None  # None: the source gives the group's points, not this one's
    numerator: str | None = None  # count names (None: not measured)
    denominator: str | None = None
    threshold: float | None = None  # rate ≥ threshold → max_points, else 0
    formula: tuple[str, str] = ("", "")
    note: tuple[str, str] | None = None  # why not measured, or what the rate leaves out


def _i(code: str, group: str, vi: str, en: str, points: float | None, num: str | None = None,
       den: str | None = None, threshold: float | None = None, formula: tuple[str, str] = ("", ""),
       note: tuple[str, str] | None = None) -> Indicator:
    return Indicator(code, group, (vi, en), points, num, den, threshold, formula, note)


NOT_KNOWN = ("Hoso không có dữ liệu này.", "Hoso does not hold this data.")
GROUPS: list[tuple[str, str, str, float]] = [
    ("publicity", "Công khai, minh bạch", "Publicity and transparency", 18),
    ("progress", "Tiến độ, kết quả giải quyết", "Progress and results", 20),
    ("online", "Dịch vụ trực tuyến", "Online service", 22),
    ("digitisation", "Số hóa hồ sơ", "Digitisation", 22),
    ("satisfaction", "Mức độ hài lòng", "Satisfaction", 18),
]
INDICATORS: list[Indicator] = [
    _i("published_on_time", "publicity", "Công bố, công khai TTHC đúng hạn",
       "Procedures published on time", None, note=(
           "Việc công bố thủ tục diễn ra ngoài Hoso.", "Procedures are published outside Hoso.")),
    _i("synced_to_national_portal", "publicity", "Hồ sơ đồng bộ lên Cổng DVC quốc gia",
       "Dossiers synced to the National Portal", None, note=(
           "Hoso chưa kết nối Cổng DVC quốc gia.", "Hoso is not connected to the National Portal.")),
    _i("progress", "progress", "Giải quyết đúng hạn", "Handled on time", 20, "on_time", "received",
       formula=("(xong sớm + xong đúng hạn + đang giải quyết còn hạn) ÷ tiếp nhận trong kỳ × 20",
                "(finished early + on time + in progress still on time) ÷ received in the period × 20")),
    _i("offered_online", "online", "TTHC cung cấp trực tuyến", "Procedures offered online", 2,
       note=("Hoso chỉ biết các thủ tục nó cung cấp, không biết tổng số thủ tục của cơ quan.",
             "Hoso knows only the procedures it offers, not all of the agency's procedures.")),
    _i("online_with_dossiers", "online", "TTHC trực tuyến có phát sinh hồ sơ",
       "Online procedures that received dossiers", 4, "procedures_with_dossiers",
       "procedures_offered", formula=("thủ tục có hồ sơ nộp trong kỳ ÷ thủ tục trên Hoso × 4",
                                      "procedures with dossiers filed ÷ procedures on Hoso × 4")),
    _i("filed_online", "online", "Hồ sơ nộp trực tuyến", "Dossiers filed online", 6,
       "filed_online", "filed", 0.5, ("hồ sơ nộp trực tuyến ÷ hồ sơ nộp trong kỳ ≥ 50% → 6",
                                      "dossiers filed online ÷ dossiers filed ≥ 50% → 6"),
       ("Hồ sơ giấy nộp tại quầy không có trên Hoso.",
        "Paper dossiers filed at the desk are not in Hoso.")),
    _i("fee_payable_online", "online", "TTHC có phí thanh toán trực tuyến",
       "Fee procedures payable online", 2, note=NOT_KNOWN),
    _i("payable_national_portal", "online", "Thanh toán qua Cổng DVC quốc gia",
       "Payable through the National Portal", 2, note=NOT_KNOWN),
    _i("paid_online", "online", "Hồ sơ có phí được thanh toán trực tuyến",
       "Fee dossiers paid online", 6, "fee_paid_online", "fee_filed", 0.3,
       ("hồ sơ có phí đã thanh toán trực tuyến ÷ hồ sơ có phí nộp trong kỳ ≥ 30% → 6",
        "fee dossiers paid online ÷ fee dossiers filed ≥ 30% → 6")),
    _i("results_electronic", "digitisation", "Kết quả giải quyết điện tử",
       "Results issued electronically", 6, "results_electronic", "results",
       formula=("kết quả điện tử ÷ kết quả ban hành trong kỳ × 6",
                "electronic results ÷ results issued in the period × 6")),
    _i("digitised", "digitisation", "Hồ sơ được số hóa", "Dossiers digitised", 4,
       "new_digitised", "new", 0.8, ("hồ sơ mà mọi thành phần là tệp điện tử ÷ tiếp nhận mới ≥ 80% → 4",
                                     "dossiers whose every item is a file ÷ newly received ≥ 80% → 4")),
    _i("reused", "digitisation", "Tái sử dụng dữ liệu số hóa", "Reuse of digitised data", 2,
       "new_reused", "new", 0.8, ("hồ sơ dùng dữ liệu kho hoặc kết quả cũ ÷ tiếp nhận mới ≥ 80% → 2",
                                  "dossiers reusing warehouse data or results ÷ newly received ≥ 80% → 2")),
    _i("digitisation_other", "digitisation", "Các chỉ số số hóa khác (10 điểm)",
       "Other digitisation indicators (10 points)", 10, note=(
           "Quy tắc chấm không được công bố trong nguồn Hoso dùng.",
           "The scoring rule is not published in the source Hoso follows.")),
    _i("complaints_on_time", "satisfaction", "Phản ánh, kiến nghị xử lý đúng hạn",
       "Complaints handled on time", None, note=NOT_KNOWN),
    _i("complaint_satisfaction", "satisfaction", "Hài lòng về xử lý phản ánh, kiến nghị",
       "Satisfaction with complaint handling", None, note=NOT_KNOWN),
    _i("handling_satisfaction", "satisfaction", "Hài lòng về giải quyết hồ sơ",
       "Satisfaction with dossier handling", None, "satisfied", "received",
       formula=("(hồ sơ − đánh giá không hài lòng − quá hạn) ÷ hồ sơ",
                "(dossiers − rated unsatisfied − overdue) ÷ dossiers"),
       note=("Nguồn cho 18 điểm cả nhóm, không chia cho từng chỉ số: chỉ báo tỷ lệ. Hoso chưa có khiếu nại.",
             "The source gives the group 18 points with no split: the rate only. Hoso holds no complaints.")),
]


def _day(value: date) -> Any:
    return literal(value, Date())


# A (agency, procedure) is in the aggregate's answer when one of its rows is received, filed,
# refused, decided or rated in the period: when one of these counts is not zero.
PRESENT = ("received", "filed", "refused", "results", "ratings")


def _counts_statement(start: date, end: date, by_procedure: bool) -> Any:
    """One pass over the facts: every count the indicators need, per agency (and procedure)."""
    f = QualityFact
    s, e = _day(start), _day(end)
    population = and_(f.received_on.is_not(None), f.received_on <= e,
                      or_(f.finished_on.is_(None), f.finished_on >= s))
    finished = and_(f.finished_on.is_not(None), f.finished_on <= e)
    paused = and_(f.paused_on.is_not(None), f.paused_on <= e)
    # Where the deadline clock stood at the end of the period (domain.md: paused statuses keep
    # the day the pause began).
    clock_at = case((finished, f.finished_on), (paused, f.paused_on), else_=e)
    on_time = clock_at <= f.due_on
    new = and_(f.received_on >= s, f.received_on <= e)
    filed = and_(f.submitted_on >= s, f.submitted_on <= e)
    resulted = and_(f.result_on >= s, f.result_on <= e)
    rated = and_(f.rated_on >= s, f.rated_on <= e)
    unsatisfied = and_(f.rating.in_(UNSATISFIED_LEVELS), f.rated_on <= e)

    def n(*cond: Any) -> Any:
        return func.coalesce(func.sum(case((and_(*cond), 1), else_=0)), 0)

    columns = {
        "received": n(population),
        "new": n(population, new),
        "carried_over": n(population, f.received_on < s),
        "early": n(population, finished, f.finished_on < f.due_on),
        "finished_on_time": n(population, finished, f.finished_on == f.due_on),
        "finished_late": n(population, finished, f.finished_on > f.due_on),
        "open_on_time": n(population, ~finished, on_time),
        "open_late": n(population, ~finished, ~on_time),
        "on_time": n(population, on_time),
        "paused": n(population, ~finished, paused),
        "stopped": n(population, finished, f.outcome == "stopped"),
        "withdrawn": n(population, finished, f.outcome == "withdrawn"),
        "satisfied": n(population, on_time, or_(f.rating.is_(None), ~unsatisfied)),
        "rated_unsatisfied": n(population, unsatisfied),
        "new_digitised": n(population, new, f.digitised),
        "new_reused": n(population, new, f.reused),
        "filed": n(filed),
        "filed_online": n(filed, f.filed_online),
        "refused": n(f.refused_on >= s, f.refused_on <= e),
        "fee_filed": n(filed, f.fee_due),
        "fee_paid_online": n(filed, f.fee_due, f.paid_online),
        "results": n(resulted),
        "results_electronic": n(resulted, f.result_electronic),
        "ratings": n(rated),
        "rating_sum": func.coalesce(func.sum(case((rated, f.rating), else_=0)), 0),
        **{f"rated_{level}": n(rated, f.rating == level) for level in range(1, 6)},
    }
    # Grouped by agency and procedure (a hash aggregate over one scan); agencies' totals and
    # "procedures with dossiers" are summed from these groups in Python (a COUNT(DISTINCT)
    # here made PostgreSQL sort a million rows).
    keys = [f.agency_code, f.procedure_code]
    where = or_(population, filed, resulted, rated, and_(f.refused_on >= s, f.refused_on <= e))
    stmt = select(*keys, *(c.label(k) for k, c in columns.items())).where(where).group_by(*keys)
    return stmt, list(columns)


def counts(session: Session, start: date, end: date, *, agency: str | None = None,
           procedure: str | None = None, by_procedure: bool = False,
           direct: bool = False) -> dict[tuple, dict[str, int]]:
    """{(agency,) or (agency, procedure): {count name: value}} for the period [start, end].

    The facts rows the monthly roll-up holds are read from it (app/services/quality_rollup.py),
    the others (`LIVE_FACTS`) by the one aggregate; `direct` reads every row by the aggregate
    (the reference the roll-up is tested against: the two give the same numbers)."""
    stmt, names = _counts_statement(start, end, by_procedure)
    if session.get_bind().dialect.name == "postgresql":
        # Compiling this one scan to machine code cost PostgreSQL more than the scan itself
        # (over a second of a two-second query, docs/benchmarks.md): not for this transaction.
        session.execute(text("SET LOCAL jit = off"))
    if agency is not None:
        stmt = stmt.where(QualityFact.agency_code == agency)
    if procedure is not None:
        stmt = stmt.where(QualityFact.procedure_code == procedure)
    if not direct:
        stmt = stmt.where(quality_rollup.live_rows_clause())
    groups: dict[tuple[str, str], dict[str, int]] = {}
    for row in session.execute(stmt):
        groups[(row[0], row[1])] = {k: int(v or 0) for k, v in zip(names, row[2:], strict=True)}
    if not direct:
        rolled = quality_rollup.rolled_counts(session, start, end, agency=agency,
                                              procedure=procedure)
        for key, values in rolled.items():
            into = groups.setdefault(key, dict.fromkeys(names, 0))
            for name in names:
                into[name] += values[name]
        # The aggregate yields a group only when one of its rows counts in the period.
        groups = {k: v for k, v in groups.items() if any(v[n] for n in PRESENT)}
    out: dict[tuple, dict[str, int]] = {}
    for (owner, code), found in groups.items():
        found["procedures_with_dossiers"] = 1 if found["filed"] else 0
        key = (owner, code) if (by_procedure or procedure is not None) else (owner,)
        into = out.setdefault(key, dict.fromkeys(found, 0))
        for name, value in found.items():
            into[name] += value
    return out


def offered(session: Session, agency: str | None = None) -> dict[str, set[str]]:
    """Procedures each agency offers on Hoso: those it handles (the directory), and any it
    received dossiers of (for one agency: an index-only read of its pairs)."""
    out = directory.handled_procedures(session)
    pairs = select(QualityFact.agency_code, QualityFact.procedure_code).distinct()
    if agency is not None:
        pairs = pairs.where(QualityFact.agency_code == agency)
    for owner, code in session.execute(pairs):
        out.setdefault(owner, set()).add(code)
    return out


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def score(found: dict[str, int], procedures_offered: int) -> dict[str, Any]:
    """Points of every indicator and group from one scope's counts (pure)."""
    values = {**found, "procedures_offered": procedures_offered}
    groups = []
    total = measured_max = 0.0
    for code, vi, en, points in GROUPS:
        items = []
        g_points = g_max = 0.0
        for ind in (i for i in INDICATORS if i.group == code):
            item: dict[str, Any] = {
                "code": ind.code, "name": {"vi": ind.name[0], "en": ind.name[1]},
                "max_points": ind.max_points, "source": SOURCE,
                "formula": {"vi": ind.formula[0], "en": ind.formula[1]},
                "note": {"vi": ind.note[0], "en": ind.note[1]} if ind.note else None,
            }
            if ind.numerator is None:
                item.update(measured=False, numerator=None, denominator=None, rate=None,
                            points=None)
                items.append(item)
                continue
            num, den = values.get(ind.numerator, 0), values.get(ind.denominator or "", 0)
            rate = _rate(num, den)
            pts = None
            if ind.max_points is not None and rate is not None:
                pts = (ind.max_points if rate >= ind.threshold else 0.0) if ind.threshold \
                    else round(rate * ind.max_points, 2)
            if ind.max_points is not None and rate is not None:
                g_points += pts or 0.0
                g_max += ind.max_points
            item.update(measured=True, numerator=num, denominator=den, rate=rate, points=pts,
                        threshold=ind.threshold)
            items.append(item)
        groups.append({"code": code, "name": {"vi": vi, "en": en}, "max_points": points,
                       "measured_max": g_max, "points": round(g_points, 2) if g_max else None,
                       "indicators": items})
        total += g_points
        measured_max += g_max
    ratings = found.get("ratings", 0)
    return {
        "points": round(total, 2), "measured_max": measured_max, "max_points": 100,
        "groups": groups,
        "progress": {k: found.get(k, 0) for k in (
            "received", "new", "carried_over", "early", "finished_on_time", "finished_late",
            "open_on_time", "open_late", "paused", "stopped", "withdrawn", "refused")},
        "ratings": {"count": ratings,
                    "average": round(found.get("rating_sum", 0) / ratings, 2) if ratings else None,
                    "levels": {str(lv): found.get(f"rated_{lv}", 0) for lv in range(1, 6)},
                    "unsatisfied": found.get("rated_unsatisfied", 0)},
    }


def check_period(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """The period asked for; by default the year so far."""
    start = start or today.replace(month=1, day=1)
    end = end or today
    if end < start or (end - start).days > MAX_PERIOD_DAYS:
        raise ValidationFailed("The period must end after it starts and span at most ten years.",
                               errors={"to": ["after from, within ten years"]})
    return start, end


def require_leader(user: User) -> None:
    if not user.is_official or user.role != lifecycle.LEADER:
        raise Forbidden("Only an agency's leader sees the quality index.")


def agency_report(session: Session, agency_code: str, start: date, end: date,
                  procedure: str | None = None, *, direct: bool = False) -> dict[str, Any]:
    """The index of one agency (or one of its procedures), with each procedure's own
    (`direct`: without the roll-up, see `counts`)."""
    agency = session.get(Agency, agency_code)
    if agency is None:
        raise NotFound("No such agency.")
    menu = offered(session, agency_code).get(agency_code, set())
    if procedure is not None and procedure not in menu:
        raise NotFound("This agency offers no such procedure.")
    whole = counts(session, start, end, agency=agency_code, procedure=procedure, direct=direct)
    found = next(iter(whole.values()), {})
    report = _scope(agency, procedure, start, end) | score(found, 1 if procedure else len(menu))
    report["ratings"] |= satisfaction.criteria_summary(session, agency_code, start, end, procedure)
    if procedure is None:
        per = counts(session, start, end, agency=agency_code, by_procedure=True, direct=direct)
        report["procedures"] = [
            {"procedure_code": code} | score(per.get((agency_code, code), {}), 1)
            for code in sorted(menu)]
    return report


def trend(session: Session, agency_code: str, today: date, months: int = 12) -> list[dict[str, Any]]:
    """The agency's points month by month, the last `months` calendar months up to today."""
    menu = offered(session, agency_code).get(agency_code, set())
    out = []
    first = today.replace(day=1)
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    while first <= today:
        following = (first + timedelta(days=32)).replace(day=1)
        end = min(today, following - timedelta(days=1))
        found = next(iter(counts(session, first, end, agency=agency_code).values()), {})
        scored = score(found, len(menu))
        out.append({"month": first.strftime("%Y-%m"), "from": first.isoformat(),
                    "to": end.isoformat(), "received": found.get("received", 0),
                    "points": scored["points"],
                    "measured_max": scored["measured_max"],
                    "groups": {g["code"]: g["points"] for g in scored["groups"]}})
        first = following
    return out


def all_agencies(session: Session, start: date, end: date, *, direct: bool = False
                 ) -> dict[str, Any]:
    """Every agency's index for the period, from one aggregate, best first. The procedures an
    agency offers are those it handles and those it received dossiers of in the period."""
    per = counts(session, start, end, by_procedure=True, direct=direct)
    menu = directory.handled_procedures(session)
    found: dict[tuple, dict[str, int]] = {}
    for (owner, code), values in per.items():
        menu.setdefault(owner, set()).add(code)
        into = found.setdefault((owner,), dict.fromkeys(values, 0))
        for name, value in values.items():
            into[name] += value
    rows = []
    for agency in session.scalars(select(Agency).order_by(Agency.code)):
        rows.append(_scope(agency, None, start, end)
                    | score(found.get((agency.code,), {}), len(menu.get(agency.code, ()))))
    rows.sort(key=lambda r: (-r["points"], r["agency"]["code"]))
    return {"period": {"from": start.isoformat(), "to": end.isoformat()}, "agencies": rows}


def _scope(agency: Agency, procedure: str | None, start: date, end: date) -> dict[str, Any]:
    return {"agency": {"code": agency.code, "name": agency.name}, "procedure_code": procedure,
            "period": {"from": start.isoformat(), "to": end.isoformat()}}


CSV_HEADER = ["agency_code", "procedure_code", "from", "to", "group", "indicator", "measured",
              "numerator", "denominator", "rate", "points", "max_points", "formula"]


def report_csv(report: dict[str, Any]) -> str:
    """One line per indicator of the report and of each procedure in it."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for scope in [report, *report.get("procedures", [])]:
        for group in scope["groups"]:
            for ind in group["indicators"]:
                writer.writerow([report["agency"]["code"], scope.get("procedure_code") or "",
                             report["period"]["from"], report["period"]["to"], group["code"],
                             ind["code"], ind["measured"], ind["numerator"], ind["denominator"],
                             ind["rate"], ind["points"], ind["max_points"], ind["formula"]["en"]])
    return out.getvalue()
