"""Set-wise `dossier.save`: the common case of a push batch, without a round trip per mutation.

A batch's dossiers, the base versions it names and this client's own writes are read in
one query each, up front; each `dossier.save` that fits the fast path (an existing draft
of the user's, on the current form version, the phone on the same form version) is
merged in memory exactly as `sync.drafts.save` would merge it, and its rows are written
together at the end of the batch: one multi-row INSERT for `dossier_versions`, one
user-row `UPDATE … RETURNING` allocating the batch's feed sequence numbers plus one
INSERT for `changes`, one INSERT for `mutation_results`, and one UPDATE per dossier
(the ORM flush, executemany).

Any other mutation (or a save that does not fit: a new draft, an outdated form, another
status, malformed args) goes through the registry's handler as before; the pending rows
are written first, so the handler sees the same database as if every earlier mutation had
been applied on its own, and the feed keeps mutation order.

The result of a fast save is the result `sync.drafts.save` gives (same status, conflicts,
errors); the entity is the dossier without its history (see docs/sync-protocol.md).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.errors import ValidationFailed
from app.models.accounts import User
from app.models.catalog import FormVersion
from app.models.dossiers import Dossier, DossierVersion
from app.models.sync import ClientState, ClientWrite, ConflictRecord
from app.services import change_feed, clock, forms, lifecycle
from app.services.ids import as_uuid
from app.services.representations import dossier_dict
from sync import reads, writes
from sync.conflicts import clash_record, result_conflict
from sync.merge import merge, parse_stamp
from sync.mutations import CONFLICT, LOCKED, REJECTED, result_of

# Form bodies are immutable once published: parsed once per process, with their field
# maps, keyed with their ETag.
_FORMS: dict[tuple[str, int, str], tuple[dict[str, Any], dict[str, dict[str, Any]]]] = {}
_MISSING = object()


def _opt_int(value: Any) -> Any:
    """An optional integer arg; `_MISSING` when it is present but not an integer."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        return _MISSING
    return value


class PushBatch:
    """The state of one push batch (one attempt): rows read up front, rows waiting to be written.

    The fast path works on plain rows, not ORM objects. Before a registry handler runs, the
    queued rows are written and the session's copies of dossiers and own-writes are expired,
    so the handler reads what the database holds; after it, the rows this batch had read
    are read again when needed (the handler may have changed them).
    """

    def __init__(self, session: Session, user: User, client_id: uuid.UUID, lang: str,
                 received: datetime) -> None:
        self.session, self.user, self.client_id, self.lang = session, user, client_id, lang
        self.received = received
        self.today = clock.today()
        self.pg = session.get_bind().dialect.name == "postgresql"
        self.rows: dict[uuid.UUID, SimpleNamespace | None] = {}
        self.bases: dict[tuple[uuid.UUID, int], dict[str, Any]] = {}
        self.own: dict[uuid.UUID, dict[str, Any] | None] = {}
        # Rows waiting for the end of the batch (or for the next registry handler).
        self.touched: dict[uuid.UUID, SimpleNamespace] = {}
        self.own_dirty: set[uuid.UUID] = set()
        self.versions: list[dict[str, Any]] = []
        self.changes: list[tuple[str, Any, str]] = []
        self.results: list[dict[str, Any]] = []

    # -- reading ----------------------------------------------------------------------

    def begin(self, batch: list[dict[str, Any]]) -> Any:
        """Lock the client's row (created on first sight), then the batch's dossiers (id
        order, before the user's feed row), and read what the saves need: their base
        versions and this client's own earlier writes. One round trip on PostgreSQL.

        Returns the client's row, or None when neither it nor the user exists. Officials
        lock a dossier then its owner's feed row; taking every dossier first keeps the same
        order, so a batch and an official never deadlock. (SQLite ignores FOR UPDATE: BEGIN
        IMMEDIATE serialises its writers.) Mutations the client already sent are read too:
        a replayed batch is rare, and reading them costs nothing more here.
        """
        ids: set[uuid.UUID] = set()
        conflict_ids: set[uuid.UUID] = set()
        wanted: set[tuple[uuid.UUID, int]] = set()
        for m in batch:
            args = m.get("args")
            if not isinstance(args, dict):
                continue
            did = as_uuid(args.get("dossier_id")) if "dossier_id" in args else None
            if did is not None:
                ids.add(did)
                base = _opt_int(args.get("base_version"))
                # A base past what an integer column holds cannot exist (and must not reach SQL).
                if m.get("name") == "dossier.save" and isinstance(base, int) and 1 <= base < 2**31:
                    wanted.add((did, base))
            cid = as_uuid(args.get("conflict_id")) if "conflict_id" in args else None
            if cid is not None:
                conflict_ids.add(cid)
        if conflict_ids:
            ids.update(self.session.scalars(select(ConflictRecord.dossier_id)
                                            .where(ConflictRecord.id.in_(conflict_ids))))
        self.session.info[LOCKED] = set()
        in_order = sorted(ids)
        if self.pg:
            state, loaded = reads.begin(self.session, self.client_id, self.user.id,
                                        self.received, in_order, wanted)
            self._keep(in_order, loaded)
            return state
        state = reads.lock_client_on_sqlite(self.session, self.client_id, self.user.id, self.received)
        if state is not None and in_order:
            self._load(in_order, wanted)
        return state

    def _load(self, ids: list[uuid.UUID], wanted: set[tuple[uuid.UUID, int]]) -> None:
        load = reads.postgres if self.pg else reads.on_sqlite
        self._keep(ids, load(self.session, self.client_id, ids, wanted))

    def _keep(self, ids: list[uuid.UUID], loaded: reads.Loaded) -> None:
        rows, bases, own = loaded
        for did in ids:
            self.rows[did] = rows.get(did)
            self.own[did] = own.get(did)
        self.bases.update(bases)
        # Handlers find these locked (sync.drafts.load_dossier skips the FOR UPDATE).
        self.session.info.setdefault(LOCKED, set()).update(rows)

    def _row(self, dossier_id: uuid.UUID) -> SimpleNamespace | None:
        if dossier_id not in self.rows:
            # Read again after a handler ran, or created by one earlier in this batch.
            self._load([dossier_id], set())
        return self.rows[dossier_id]

    def _form(self, row: SimpleNamespace) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """The row's form and its field map."""
        key = (row.procedure_code, row.form_version, row.etag or "")
        found = _FORMS.get(key) if row.etag else None
        if found is None:
            fv = self.session.get(FormVersion, (row.procedure_code, row.form_version))
            if fv is None:
                raise LookupError("form version")
            found = _FORMS.setdefault((fv.procedure_code, fv.version, fv.etag),
                                      (fv.form, forms.field_map(fv.form)))
        return found

    def _base(self, row: SimpleNamespace, base_version: int | None) -> dict[str, Any]:
        if base_version is None or base_version < 1:
            return {}
        found = self.bases.get((row.id, base_version))
        if found is None:
            found = self.session.scalar(select(DossierVersion.fields).where(
                DossierVersion.dossier_id == row.id, DossierVersion.version == base_version))
            if found is None:
                return {}
            self.bases[(row.id, base_version)] = found
        return dict(found)

    def before_handler(self) -> None:
        """A registry handler is about to run: write what is queued; the session's copies of
        what the fast path wrote are stale, so they are expired."""
        self.write_pending()
        for obj in list(self.session.identity_map.values()):
            if isinstance(obj, (Dossier, ClientWrite)):
                self.session.expire(obj)

    def after_handler(self) -> None:
        """A registry handler ran: it may have changed any of the rows read so far."""
        self.session.flush()
        self.rows, self.own = {}, {}

    # -- the fast path ----------------------------------------------------------------

    def try_save(self, m: dict[str, Any], captured: datetime) -> dict[str, Any] | None:
        """The result of `m` if it is a `dossier.save` the fast path takes, else None (the
        engine then runs the registry's handler). Nothing is changed when None is returned."""
        if m.get("name") != "dossier.save":
            return None
        args = m.get("args")
        if not isinstance(args, dict):
            return None
        stamp = m.get("captured_at")
        if stamp is not None and parse_stamp(stamp) is None:
            return None
        dossier_id = as_uuid(args.get("dossier_id"))
        changes = args.get("fields", {})
        base_version = _opt_int(args.get("base_version"))
        phone_version = _opt_int(args.get("form_version"))
        if (dossier_id is None or not isinstance(changes, dict) or base_version is _MISSING
                or phone_version is _MISSING):
            return None
        row = self._row(dossier_id)
        if row is None or row.owner_id != self.user.id or row.status != lifecycle.DRAFT:
            return None
        if base_version is not None and base_version > row.version:
            # What sync.drafts.save answers, without redoing the batch with savepoints.
            return self._rejected(m, ValidationFailed(
                f"`base_version` {base_version} is ahead of the server's {row.version}.",
                errors={"base_version": ["unknown version"]}))
        if (row.form_version != row.procedure.current_version
                or (phone_version or row.form_version) != row.form_version):
            return None
        try:
            form, fields = self._form(row)
        except LookupError:
            return None
        base = self._base(row, base_version)
        own = self.own.get(row.id)
        if own is not None:
            # This phone's own later writes are part of what it edited from.
            base.update({k: v for k, (v, at) in own.items() if at > (base_version or 0)})

        server = row.fields or {}
        candidate = {**server, **{k: v for k, v in changes.items() if v is not None}}
        errors = forms.validate(form, candidate, self.lang, complete=False, today=self.today,
                                only=changes.keys(), fields=fields)
        mine = {k: v for k, v in errors.items() if k.split(".")[0] in changes}
        if mine:
            return self._rejected(m, ValidationFailed("Some fields are invalid.", errors=mine))

        result = merge(base, server, row.field_stamps or {}, changes, captured)
        conflicts: list[dict[str, Any]] = []
        if result.taken or result.clashes:
            self._bump(row, result.fields, result.stamps)
            for c in result.clashes:
                record = clash_record(row.owner_id, row.id, row.version, c, "dossier.save")
                self.session.add(record)
                self._change("conflict", record.id)
                conflicts.append(result_conflict(record))
        if changes:
            written = {k: [v, row.version] for k, v in changes.items()}
            self.own[row.id] = {**(own or {}), **written}
            self.own_dirty.add(row.id)
        status = CONFLICT if conflicts else result.status
        return result_of(m["id"], status, dossier_dict(row, history=False, today=self.today),  # type: ignore[arg-type]
                         conflicts)

    @staticmethod
    def _rejected(m: dict[str, Any], error: ValidationFailed) -> dict[str, Any]:
        """A `rejected` result exactly as the engine makes it from the handler's exception."""
        return result_of(m["id"], REJECTED, None, [], error.to_problem())

    def _bump(self, row: SimpleNamespace, fields: dict[str, Any], stamps: dict[str, Any]) -> None:
        """`app.services.dossiers.bump`, with its rows queued for the end of the batch."""
        row.version += 1
        row.updated_at = clock.now()
        row.fields, row.field_stamps = fields, stamps
        self.touched[row.id] = row
        self.versions.append({"dossier_id": row.id, "version": row.version,
                              "fields": dict(fields), "stamps": dict(stamps),
                              "created_at": row.updated_at})
        self.bases[(row.id, row.version)] = fields
        self._change("dossier", row.id)

    def _change(self, entity: str, entity_id: Any) -> None:
        """Queue a feed row, once per entity in the transaction as `change_feed.record` does."""
        if change_feed.first_in_transaction(self.session, self.user.id, entity, entity_id, "put"):
            self.changes.append((entity, entity_id, "put"))

    # -- writing ----------------------------------------------------------------------

    def add_result(self, m: dict[str, Any], result: dict[str, Any]) -> None:
        self.results.append({"client_id": self.client_id, "mutation_id": m["id"],
                             "name": str(m.get("name"))[:64], "result": result,
                             "created_at": self.received})

    def write_pending(self, state: Any = None, commit: bool = False) -> None:
        """Write what the fast path queued (before a registry handler runs, and at the end):
        on PostgreSQL in one pipeline (one round trip, the COMMIT too when `commit`),
        elsewhere one statement per table."""
        session = self.session
        client = None
        if state is not None:
            client = {"client_id": state.client_id, "last_mutation_id": state.last_mutation_id,
                      "last_captured_at": state.last_captured_at, "updated_at": state.updated_at}
            if isinstance(state, ClientState):
                # Written below with the rest; the ORM must not write it again.
                for key in ("last_mutation_id", "last_captured_at", "updated_at"):
                    set_committed_value(state, key, client[key])
        session.flush()  # what the ORM holds (conflict records, a handler's changes) first
        dossiers = [{"id": d.id, "version": d.version, "fields": d.fields,
                     "field_stamps": d.field_stamps, "updated_at": d.updated_at}
                    for d in self.touched.values()]
        own = [{"client_id": self.client_id, "dossier_id": k, "fields": self.own[k]}
               for k in self.own_dirty]
        if dossiers or own or self.versions or self.changes or self.results or client:
            write = writes.pipelined if self.pg else writes.on_sqlite
            write(session, self.user.id, self.client_id, dossiers=dossiers, own=own,
                  versions=self.versions, changes=self.changes, results=self.results,
                  client=client, commit=commit)
        self.touched, self.own_dirty = {}, set()
        self.versions, self.changes, self.results = [], [], []

    def finish(self, state: Any) -> None:
        """The batch's last writes and, on PostgreSQL, its COMMIT in the same round trip."""
        self.write_pending(state, commit=True)
