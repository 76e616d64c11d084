"""Working-day arithmetic for appointment dates: weekends and a holiday table are skipped."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.catalog import Holiday
from app.services import held

HOLIDAYS = "workdays.holidays"  # what `held` keeps the table under


def holidays(session: Session) -> frozenset[date]:
    """The holiday table, read once per session (a request): a desk list asks for it per row,
    a push for each dossier it submits. `forget` drops the kept copy after a change."""
    return held.remembered(session, HOLIDAYS, (),
                           lambda: frozenset(session.scalars(select(Holiday.day))))


def forget(session: Session) -> None:
    held.forget(session, HOLIDAYS)


def is_working_day(day: date, off: Collection[date]) -> bool:
    return day.weekday() < 5 and day not in off


def add_working_days(start: date, days: int, off: Collection[date]) -> date:
    """The date `days` working days after `start`; 0 means `start` or the next working day."""
    current = start
    if days <= 0:
        while not is_working_day(current, off):
            current += timedelta(days=1)
        return current
    while days:
        current += timedelta(days=1)
        if is_working_day(current, off):
            days -= 1
    return current


def working_days_between(start: date, end: date, off: Collection[date]) -> int:
    """Working days in (start, end]: how long a paused clock stood still."""
    count, current = 0, start
    while current < end:
        current += timedelta(days=1)
        if is_working_day(current, off):
            count += 1
    return count
