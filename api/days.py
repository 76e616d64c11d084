"""A calendar day in a query string or body, bounded to days a dossier can have.

Year 1 or 9999 turned into a local midnight overflows when converted to UTC (a 500); a
day outside 1900–2999 is refused as invalid input instead."""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import fields, validate

FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)


def Day(**kwargs: Any) -> fields.Date:  # noqa: N802 - used like a field class
    """`fields.Date` limited to FIRST_DAY..LAST_DAY."""
    return fields.Date(validate=validate.Range(min=FIRST_DAY, max=LAST_DAY), **kwargs)
