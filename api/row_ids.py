"""A database row's integer id (or version) in a query or body: PostgreSQL's `integer`
holds up to 2**31 - 1, so a larger number is refused as invalid input, not a 500."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

INT_MAX = 2**31 - 1


def RowId(minimum: int = 1, **kwargs: Any) -> fields.Integer:  # noqa: N802 - used like a field class
    """`fields.Integer` limited to minimum..2**31 - 1."""
    return fields.Integer(validate=validate.Range(min=minimum, max=INT_MAX), **kwargs)
