"""Three-way, field-by-field merge of a draft (pure: plain dicts in, plain dicts out).

base: the field values at the version the phone edited from; server: the current values;
changes: the fields the phone changed since base. A field changed on one side only takes
that side's value; a field changed on both sides to different values is a clash: the later
capture time stands and the other value is returned as a conflict, so nothing typed is lost.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# A missing field and a field set to None are the same thing: no value.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FIRST = datetime.min.replace(tzinfo=UTC)
_LAST = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Clash:
    field: str
    kept: Any
    kept_captured_at: datetime | None
    other: Any
    other_captured_at: datetime | None
    client_won: bool


@dataclass
class MergeResult:
    fields: dict[str, Any]
    stamps: dict[str, str]
    clashes: list[Clash] = field(default_factory=list)
    # Fields changed on the server since base that the phone did not already have.
    foreign: list[str] = field(default_factory=list)
    # Fields whose value the phone's change actually set.
    taken: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.clashes:
            return "conflict"
        return "merged" if self.foreign else "applied"


def same(a: Any, b: Any) -> bool:
    """Equal as JSON values: 1, 1.0 and true are three different things a person typed."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, (dict, list)):
        return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    return bool(a == b)


def parse_stamp(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if not parsed.tzinfo:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        # Year 1 east of UTC or year 9999 west of it: before or after anything UTC can
        # hold. A phone clock that far off is clamped like any other lie.
        return _FIRST if parsed.year == 1 else _LAST


def merge(base: dict[str, Any], server: dict[str, Any], server_stamps: dict[str, Any],
          changes: dict[str, Any], captured_at: datetime) -> MergeResult:
    """Merge the phone's `changes` (captured at `captured_at`) into the server's fields.

    Ties on capture time keep the server's value: the first to arrive stands.
    """
    fields = {k: v for k, v in server.items() if v is not None}
    stamps = {k: v for k, v in server_stamps.items() if k in fields}
    stamp = captured_at.isoformat()
    result = MergeResult(fields=fields, stamps=stamps)
    for name in sorted(changes):
        mine, theirs, was = changes[name], server.get(name), base.get(name)
        if same(mine, theirs):
            continue  # same value on both sides (or the phone re-sent its own change)
        if same(theirs, was):
            _set(result, name, mine, stamp)
            continue
        server_at = parse_stamp(server_stamps.get(name))
        client_won = captured_at > (server_at or _EPOCH)
        if client_won:
            _set(result, name, mine, stamp)
            result.clashes.append(Clash(name, mine, captured_at, theirs, server_at, True))
        else:
            result.clashes.append(Clash(name, theirs, server_at, mine, captured_at, False))
    changed_here = {n for n, v in changes.items() if same(v, server.get(n))}
    result.foreign = sorted(
        n for n in set(server) | set(base)
        if not same(server.get(n), base.get(n)) and n not in changed_here
        and not any(c.field == n for c in result.clashes)
    )
    return result


def _set(result: MergeResult, name: str, value: Any, stamp: str) -> None:
    if value is None:
        result.fields.pop(name, None)
        result.stamps.pop(name, None)
    else:
        result.fields[name] = value
        result.stamps[name] = stamp
    result.taken.append(name)
