"""Where citizens fail: events from the phones, checked, capped and kept without any
personal value (docs/quality.md).

An event names a kind and only what that kind allows: a procedure and form version of the
catalog, a field's *name* and a validation rule's code that the form knows, a section id,
an enumerated reason or network, a duration or a count. Anything else (an unknown kind or
key, a value outside its list, an id of any kind) drops the event, counted by reason; so no
event can carry what a person typed or name a dossier. Stored rows keep no user, device or
time of day. Each phone and each account is capped per hour.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.errors import Forbidden, NotFound
from app.models.catalog import Procedure
from app.models.quality import TelemetryDevice, TelemetryDrop, TelemetryEvent
from app.models.sync import ClientState
from app.services import clock, forms
from app.services.dossiers import form_version
from app.services.i18n import MESSAGES

MAX_EVENTS = 100  # per batch; the rest are dropped
DEVICE_PER_HOUR = 600
ACCOUNT_PER_HOUR = 2000
WINDOW = timedelta(hours=1)
MAX_MS = 30 * 86_400_000

NETWORKS = ("offline", "slow-2g", "2g", "3g", "4g", "unknown")
SYNC_REASONS = ("offline", "auth", "server", "network", "timeout", "error")
UPLOAD_REASONS = ("offline", "server", "refused", "network", "error")
PAYMENT_REASONS = ("network", "server", "gateway", "cancelled", "expired", "error")
ERRORS = ("Error", "TypeError", "RangeError", "SyntaxError", "ReferenceError", "EvalError",
          "URIError", "AggregateError", "QuotaExceededError", "NetworkError", "AbortError",
          "NotFoundError", "InvalidStateError", "DataError", "UnknownError", "SecurityError",
          "NotAllowedError", "TimeoutError", "VersionError", "ConstraintError",
          "TransactionInactiveError", "other")
SCREENS = ("catalog", "procedure", "start", "editor", "dossier", "dossiers", "inbox",
           "conflicts", "warehouse", "login", "signup", "verify", "reset", "account", "office",
           "quality", "view", "welcome", "other")
EXTRA_RULES = ("missing", "uploading", "other")

# kind -> {key: required?}; every kind may also say its `network`.
KINDS: dict[str, dict[str, bool]] = {
    "form_opened": {"procedure": True},
    "draft_started": {"procedure": True, "version": True},
    "validation_failed": {"procedure": True, "version": True, "field": True, "rule": True},
    "section_time": {"procedure": True, "version": True, "section": True, "ms": True},
    "draft_left": {"procedure": True, "version": True, "section": False},
    "submitted": {"procedure": True, "version": True, "ms": True},
    "sync_summary": {"attempts": True, "failures": True},
    "sync_failed": {"reason": True},
    "upload_retry": {"reason": True},
    "upload_failed": {"reason": True},
    "payment_failed": {"reason": True},
    "app_error": {"error": True, "screen": True},
}
REASONS = {"sync_failed": SYNC_REASONS, "upload_retry": UPLOAD_REASONS,
           "upload_failed": UPLOAD_REASONS, "payment_failed": PAYMENT_REASONS}


class Dropped(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _int(value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Dropped("bad_value")
    return value


def _pick(value: Any, allowed: tuple[str, ...] | frozenset[str], reason: str = "bad_value") -> str:
    if not isinstance(value, str) or value not in allowed:
        raise Dropped(reason)
    return value


class _Forms:
    """What the catalog knows, read once per batch: codes, and per form version its field
    names, section ids and rule codes."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.codes = frozenset(session.scalars(select(Procedure.code)))
        self.known: dict[tuple[str, int], dict[str, frozenset[str]]] = {}

    def form(self, code: Any, version: Any) -> dict[str, frozenset[str]]:
        code = _pick(code, self.codes, "unknown_procedure")
        version = _int(version, 1, 10_000)
        key = (code, version)
        if key not in self.known:
            try:
                form = form_version(self.session, code, version).form
            except NotFound as exc:
                raise Dropped("unknown_procedure") from exc
            names = set()
            for field in forms.iter_fields(form):
                names.add(field["name"])
                for sub in field.get("fields", []) or []:
                    names.add(f"{field['name']}.{sub['name']}")
            names |= {f"documents.{d['code']}" for d in form.get("documents", [])}
            rules = set(MESSAGES) | set(EXTRA_RULES) | {f"rule:{r['id']}" for r in form.get("rules", [])}
            self.known[key] = {"fields": frozenset(names), "rules": frozenset(rules),
                               "sections": frozenset(s.get("id") for s in form.get("sections", [])
                                                     if isinstance(s.get("id"), str))}
        return self.known[key]


def _row(event: Any, catalog: _Forms, day: Any) -> dict[str, Any]:
    """The stored row of one event, or Dropped with the reason."""
    if not isinstance(event, dict):
        raise Dropped("not_an_object")
    kind = event.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise Dropped("unknown_kind")
    spec = KINDS[kind]
    if any(k not in spec and k not in ("kind", "network") for k in event):
        raise Dropped("unknown_key")
    if any(required and event.get(k) is None for k, required in spec.items()):
        raise Dropped("missing_key")
    row: dict[str, Any] = {"day": day, "kind": kind, "network": None}
    if event.get("network") is not None:
        row["network"] = _pick(event["network"], NETWORKS)
    if "procedure" in spec:
        row["procedure_code"] = _pick(event["procedure"], catalog.codes, "unknown_procedure")
    if "version" in spec:
        known = catalog.form(event["procedure"], event["version"])
        row["form_version"] = event["version"]
        if "field" in spec:
            row["field"] = _pick(event["field"], known["fields"], "unknown_field")
            row["rule"] = _pick(event["rule"], known["rules"], "unknown_rule")
        if event.get("section") is not None:
            row["section"] = _pick(event["section"], known["sections"], "unknown_section")
    if "ms" in spec:
        row["value"] = _int(event["ms"], 0, MAX_MS)
    if kind == "sync_summary":
        row["value"] = _int(event["attempts"], 1, 10_000)
        row["count"] = _int(event["failures"], 0, row["value"])
    if kind in REASONS:
        row["reason"] = _pick(event["reason"], REASONS[kind])
    if kind == "app_error":
        row["reason"] = _pick(event["error"], ERRORS)
        row["section"] = _pick(event["screen"], SCREENS)
    return row


def _device(session: Session, user_id: int, client_id: uuid.UUID, now: datetime) -> TelemetryDevice:
    """The phone's rate window, locked; the phone must belong to this account."""
    bound = session.get(ClientState, client_id)
    if bound is not None and bound.user_id != user_id:
        raise Forbidden("This client belongs to another account; sign in there or reinstall.")
    session.execute(_insert(session, TelemetryDevice.__table__).values(
        client_id=client_id, user_id=user_id, window_start=now, accepted=0
    ).on_conflict_do_nothing(index_elements=["client_id"]))
    device = session.scalars(select(TelemetryDevice).where(TelemetryDevice.client_id == client_id)
                             .with_for_update()).one()
    if device.user_id != user_id:
        raise Forbidden("This client belongs to another account; sign in there or reinstall.")
    if now - device.window_start >= WINDOW:
        device.window_start, device.accepted = now, 0
    return device


def _insert(session: Session, table: Table) -> Any:
    """An INSERT that can say ON CONFLICT (both databases have it): concurrent batches of one
    phone, or of one day's counters, never collide into an error."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _count_drops(session: Session, day: Any, dropped: dict[str, int]) -> None:
    table = TelemetryDrop.__table__
    for reason, n in dropped.items():
        stmt = _insert(session, table).values(day=day, reason=reason, count=n)
        session.execute(stmt.on_conflict_do_update(
            index_elements=["day", "reason"], set_={"count": table.c.count + n}))


def receive(session: Session, user_id: int, client_id: uuid.UUID, events: Any,
            now: datetime | None = None) -> dict[str, Any]:
    """Check, cap and keep a batch: `{"accepted": n, "dropped": {reason: n}}`. Never raises
    for what an event holds: a bad event is dropped, the rest are kept (only flushes)."""
    now = now or clock.now()
    day = clock.local_date(now)
    dropped: dict[str, int] = {}

    def drop(reason: str, n: int = 1) -> None:
        dropped[reason] = dropped.get(reason, 0) + n

    if not isinstance(events, list):
        events = []
        drop("not_a_list")
    if len(events) > MAX_EVENTS:
        drop("batch_too_large", len(events) - MAX_EVENTS)
        events = events[:MAX_EVENTS]
    device = _device(session, user_id, client_id, now)
    account = session.scalar(select(func.coalesce(func.sum(TelemetryDevice.accepted), 0)).where(
        TelemetryDevice.user_id == user_id, TelemetryDevice.window_start > now - WINDOW))
    room = max(0, min(DEVICE_PER_HOUR - device.accepted, ACCOUNT_PER_HOUR - int(account or 0)))
    catalog = _Forms(session)
    rows = []
    for event in events:
        try:
            row = _row(event, catalog, day)
        except Dropped as exc:
            drop(exc.reason)
            continue
        if len(rows) >= room:
            drop("rate_limited")
            continue
        rows.append(row)
    if rows:
        columns = [c.name for c in TelemetryEvent.__table__.columns if c.name != "id"]
        session.execute(insert(TelemetryEvent), [{c: r.get(c) for c in columns} for r in rows])
        device.accepted += len(rows)
    if dropped:
        _count_drops(session, day, dropped)
    session.flush()
    return {"accepted": len(rows), "dropped": dropped}
