"""Local time for deadlines: dates are counted in Vietnam's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def now() -> datetime:
    return datetime.now(UTC)


def local_date(moment: datetime) -> date:
    return moment.astimezone(TZ).date()


def today() -> date:
    return local_date(now())


def iso(moment: datetime | date | None) -> str | None:
    """The one wire format of a time or date: ISO 8601, None stays None."""
    return None if moment is None else moment.isoformat()
