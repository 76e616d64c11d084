"""Query and body fields bounded to what the database can hold, so an out-of-range value
is invalid input (422) rather than a 500 from the database or from a date conversion."""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import fields, validate

# Year 1 or 9999 turned into a local midnight overflows when converted to UTC.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)
# PostgreSQL's `integer`.
INT_MAX = 2**31 - 1


def Day(**kwargs: Any) -> fields.Date:  # noqa: N802 - used like a field class
    """`fields.Date` limited to FIRST_DAY..LAST_DAY."""
    return fields.Date(validate=validate.Range(min=FIRST_DAY, max=LAST_DAY), **kwargs)


def RowId(minimum: int = 1, **kwargs: Any) -> fields.Integer:  # noqa: N802 - used like a field class
    """`fields.Integer` (a row's id or version) limited to minimum..INT_MAX."""
    return fields.Integer(validate=validate.Range(min=minimum, max=INT_MAX), **kwargs)
