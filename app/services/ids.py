"""The one UUID parser: ids arrive from URLs, JSON and the phone's queue as strings."""

from __future__ import annotations

import uuid
from typing import Any

from app.errors import ValidationFailed


def as_uuid(value: Any) -> uuid.UUID | None:
    """`value` as a UUID, or None when it is not one (callers answer 404 or skip)."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def require_uuid(value: Any, name: str) -> uuid.UUID:
    """`value` as a UUID; a 422 naming the field `name` when it is not one."""
    key = as_uuid(value)
    if key is None:
        raise ValidationFailed(f"`{name}` must be a UUID.", errors={name: ["UUID"]})
    return key
