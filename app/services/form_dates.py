"""Dates in forms: ISO values, bounds relative to today ("today-6y") and how a date is shown
in a message (docs/form-schema.md). pwa/app/rules.js resolves them the same way."""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from typing import Any

# "today", or today plus/minus a count of days, months or years: today-6y, today+30d.
RELATIVE = re.compile(r"today(?:([+-])([0-9]{1,4})([dmy]))?")


def parse_date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


def _add_months(day: date, months: int) -> date | None:
    """The same day of the month `months` later (or earlier), the month's last day where it is
    shorter (31 May - 3m = 28 or 29 February); None outside years 1–9999."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    if not 1 <= year <= 9999:
        return None
    return date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))


def is_date_spec(spec: Any) -> bool:
    """A bound a form file may hold: an ISO date or a relative one."""
    return parse_date(spec) is not None or (isinstance(spec, str) and RELATIVE.fullmatch(spec) is not None)


def resolve_date(spec: Any, today: date) -> date | None:
    """The date a bound stands for on `today`; None for anything that is not a bound."""
    if not isinstance(spec, str):
        return None
    m = RELATIVE.fullmatch(spec)
    if m is None:
        return parse_date(spec)
    if m.group(1) is None:
        return today
    count = int(m.group(2)) * (1 if m.group(1) == "+" else -1)
    unit = m.group(3)
    if unit == "d":
        try:
            return today + timedelta(days=count)
        except OverflowError:
            return None
    return _add_months(today, count * (12 if unit == "y" else 1))


def display_date(day: date) -> str:
    """The app's date format in messages: ngày/tháng/năm, 17/05/1990."""
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"
