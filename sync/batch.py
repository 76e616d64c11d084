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
from typing import Any

from sqlalchemy import and_, inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.errors import ValidationFailed
from app.models.accounts import User
from app.models.catalog import FormVersion
from app.models.dossiers import Dossier, DossierVersion
from app.models.sync import ClientState, ClientWrite, ConflictRecord
from app.services import clock, forms
from app.services import lifecycle as lc
from app.services.representations import dossier_dict
from sync import writes
from sync.conflicts import brief
from sync.merge import merge, parse_stamp
from sync.mutations import CONFLICT, LOCKED, REJECTED

# Form bodies are immutable once published: parsed once per process, keyed with their ETag.
_FORMS: dict[tuple[str, int, str], dict[str, Any]] = {}
_MISSING = object()


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def _opt_int(value: Any) -> Any:
    """An optional integer arg; `_MISSING` when it is present but not an integer."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        return _MISSING
    return value


class SaveBatch:
    """The state of one push batch (one attempt): preloaded rows and rows waiting to be written."""

    def __init__(self, session: Session, user: User, client_id: uuid.UUID, lang: str,
                 received: datetime) -> None:
        self.session, self.user, self.client_id, self.lang = session, user, client_id, lang
        self.received = received
        self.today = clock.today()
        self.dossiers: dict[uuid.UUID, Dossier] = {}
        self.etags: dict[uuid.UUID, str] = {}
        self.bases: dict[tuple[uuid.UUID, int], dict[str, Any]] = {}
        # Strong references: the identity map is weak, and handlers look these up too.
        self.own: dict[uuid.UUID, dict[str, Any] | None] = {}
        # Rows waiting for the end of the batch (or for the next registry handler).
        self.touched: dict[uuid.UUID, Dossier] = {}
        self.own_dirty: set[uuid.UUID] = set()
        self.versions: list[dict[str, Any]] = []
        self.changes: list[tuple[str, Any, str]] = []
        self.results: list[dict[str, Any]] = []

    # -- reading ----------------------------------------------------------------------

    def preload(self, todo: list[dict[str, Any]]) -> None:
        """Lock the batch's dossiers (id order, before the user's feed row) and read what
        the saves need: their base versions and this client's own earlier writes.

        Officials lock a dossier then its owner's feed row; taking every dossier first keeps
        the same order, so a batch and an official never deadlock. (SQLite ignores FOR
        UPDATE: BEGIN IMMEDIATE serialises its writers.)
        """
        session = self.session
        ids: set[uuid.UUID] = set()
        conflict_ids: set[uuid.UUID] = set()
        wanted: set[tuple[uuid.UUID, int]] = set()
        for m in todo:
            args = m.get("args")
            if not isinstance(args, dict):
                continue
            did = _uuid(args.get("dossier_id")) if "dossier_id" in args else None
            if did is not None:
                ids.add(did)
                base = _opt_int(args.get("base_version"))
                if m.get("name") == "dossier.save" and isinstance(base, int) and base >= 1:
                    wanted.add((did, base))
            cid = _uuid(args.get("conflict_id")) if "conflict_id" in args else None
            if cid is not None:
                conflict_ids.add(cid)
        if conflict_ids:
            ids.update(session.scalars(select(ConflictRecord.dossier_id)
                                       .where(ConflictRecord.id.in_(conflict_ids))))
        if not ids:
            session.info[LOCKED] = set()
            return
        rows = session.execute(
            select(Dossier, FormVersion.etag)
            .outerjoin(FormVersion, and_(FormVersion.procedure_code == Dossier.procedure_code,
                                         FormVersion.version == Dossier.form_version))
            .where(Dossier.id.in_(ids)).order_by(Dossier.id)
            .with_for_update(of=Dossier)
            .execution_options(populate_existing=True)).all()
        for dossier, etag in rows:
            self.dossiers[dossier.id] = dossier
            if etag is not None:
                self.etags[dossier.id] = etag
        session.info[LOCKED] = set(self.dossiers)
        found = list(self.dossiers)
        if wanted:
            pairs = [(d, v) for d, v in wanted if d in self.dossiers]
            if pairs:
                for did, version, fields in session.execute(
                        select(DossierVersion.dossier_id, DossierVersion.version,
                               DossierVersion.fields)
                        .where(DossierVersion.dossier_id.in_({d for d, _ in pairs}),
                               DossierVersion.version.in_({v for _, v in pairs}))):
                    self.bases[(did, version)] = fields
        if found:
            self.own = dict.fromkeys(found)
            for did, fields in session.execute(
                    select(ClientWrite.dossier_id, ClientWrite.fields).where(
                        ClientWrite.client_id == self.client_id, ClientWrite.dossier_id.in_(found))):
                self.own[did] = fields

    def _dossier(self, dossier_id: uuid.UUID) -> Dossier | None:
        dossier = self.dossiers.get(dossier_id)
        if dossier is None and dossier_id in self.session.info.get(LOCKED, ()):
            # Created (and locked) by a handler earlier in this batch.
            dossier = self.session.get(Dossier, dossier_id)
            if dossier is not None:
                self.dossiers[dossier_id] = dossier
        if dossier is None or not inspect(dossier).persistent:
            return None
        return dossier

    def _form(self, dossier: Dossier) -> dict[str, Any]:
        etag = self.etags.get(dossier.id)
        key = (dossier.procedure_code, dossier.form_version, etag or "")
        form = _FORMS.get(key) if etag else None
        if form is None:
            fv = self.session.get(FormVersion, (dossier.procedure_code, dossier.form_version))
            if fv is None:
                raise LookupError("form version")
            self.etags[dossier.id] = fv.etag
            form = _FORMS.setdefault((fv.procedure_code, fv.version, fv.etag), fv.form)
        return form

    def _base(self, dossier: Dossier, base_version: int | None) -> dict[str, Any]:
        if base_version is None or base_version < 1:
            return {}
        found = self.bases.get((dossier.id, base_version))
        if found is None:
            found = self.session.scalar(select(DossierVersion.fields).where(
                DossierVersion.dossier_id == dossier.id, DossierVersion.version == base_version))
            if found is None:
                return {}
            self.bases[(dossier.id, base_version)] = found
        return dict(found)

    def _own(self, dossier_id: uuid.UUID) -> dict[str, Any] | None:
        if dossier_id in self.own:
            return self.own[dossier_id]
        self.session.flush()
        fields = self.session.scalar(select(ClientWrite.fields).where(
            ClientWrite.client_id == self.client_id, ClientWrite.dossier_id == dossier_id))
        self.own[dossier_id] = fields
        return fields

    def after_handler(self) -> None:
        """A registry handler ran: it may have changed this client's own-writes rows."""
        self.session.flush()
        self.own = {}

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
        dossier_id = _uuid(args.get("dossier_id"))
        changes = args.get("fields", {})
        base_version = _opt_int(args.get("base_version"))
        phone_version = _opt_int(args.get("form_version"))
        if (dossier_id is None or not isinstance(changes, dict) or base_version is _MISSING
                or phone_version is _MISSING):
            return None
        dossier = self._dossier(dossier_id)
        if (dossier is None or dossier.owner_id != self.user.id or dossier.status != lc.DRAFT
                or dossier.form_version != dossier.procedure.current_version
                or (phone_version or dossier.form_version) != dossier.form_version
                or (base_version is not None and base_version > dossier.version)):
            return None
        try:
            form = self._form(dossier)
        except LookupError:
            return None
        base = self._base(dossier, base_version)
        own = self._own(dossier.id)
        if own is not None:
            # This phone's own later writes are part of what it edited from.
            base.update({k: v for k, (v, at) in own.items() if at > (base_version or 0)})

        server = dossier.fields or {}
        candidate = {**server, **{k: v for k, v in changes.items() if v is not None}}
        errors = forms.validate(form, candidate, self.lang, complete=False, today=self.today)
        mine = {k: v for k, v in errors.items() if k.split(".")[0] in changes}
        if mine:
            error = ValidationFailed("Some fields are invalid.", errors=mine).to_problem()
            return {"id": m["id"], "status": REJECTED, "entity": None, "conflicts": [],
                    "error": error}

        result = merge(base, server, dossier.field_stamps or {}, changes, captured)
        conflicts: list[dict[str, Any]] = []
        if result.taken or result.clashes:
            self._bump(dossier, result.fields, result.stamps)
            for c in result.clashes:
                record = ConflictRecord(
                    id=uuid.uuid4(), user_id=dossier.owner_id, dossier_id=dossier.id,
                    field=c.field, reason="edit", mutation="dossier.save", kept=c.kept,
                    kept_captured_at=c.kept_captured_at, other=c.other,
                    other_captured_at=c.other_captured_at, dossier_version=dossier.version,
                    version=1, created_at=clock.now())
                self.session.add(record)
                self.changes.append(("conflict", record.id, "put"))
                conflicts.append(brief(record))
        if changes:
            written = {k: [v, dossier.version] for k, v in changes.items()}
            self.own[dossier.id] = {**(own or {}), **written}
            self.own_dirty.add(dossier.id)
        status = CONFLICT if conflicts else result.status
        return {"id": m["id"], "status": status,
                "entity": dossier_dict(dossier, history=False, today=self.today),
                "conflicts": conflicts}

    def _bump(self, dossier: Dossier, fields: dict[str, Any], stamps: dict[str, Any]) -> None:
        """`app.services.dossiers.bump`, with its rows queued for the end of the batch.

        The new values are set on the ORM object as already stored (so the ORM does not
        write them again, and a handler later in the batch sees them); the UPDATE is ours.
        """
        now = clock.now()
        version = dossier.version + 1
        for key, value in (("fields", fields), ("field_stamps", stamps), ("version", version),
                           ("updated_at", now)):
            set_committed_value(dossier, key, value)
        self.touched[dossier.id] = dossier
        self.versions.append({"dossier_id": dossier.id, "version": version,
                              "fields": dict(fields), "stamps": dict(stamps), "created_at": now})
        self.bases[(dossier.id, version)] = fields
        self.changes.append(("dossier", dossier.id, "put"))

    # -- writing ----------------------------------------------------------------------

    def add_result(self, m: dict[str, Any], result: dict[str, Any]) -> None:
        self.results.append({"client_id": self.client_id, "mutation_id": m["id"],
                             "name": str(m.get("name"))[:64], "result": result,
                             "created_at": self.received})

    def write_pending(self, state: ClientState | None = None) -> None:
        """Write what the fast path queued (before a registry handler runs, and at the end):
        on PostgreSQL in one pipeline (one round trip), elsewhere one statement per table."""
        session = self.session
        client = None
        if state is not None:
            client = {"client_id": state.client_id, "last_mutation_id": state.last_mutation_id,
                      "last_captured_at": state.last_captured_at, "updated_at": state.updated_at}
            for key in ("last_mutation_id", "last_captured_at", "updated_at"):
                set_committed_value(state, key, client[key])
        session.flush()  # what the ORM holds (conflict records, a handler's changes) first
        dossiers = [{"id": d.id, "version": d.version, "fields": d.fields,
                     "field_stamps": d.field_stamps, "updated_at": d.updated_at}
                    for d in self.touched.values()]
        own = [{"client_id": self.client_id, "dossier_id": k, "fields": self.own[k]}
               for k in self.own_dirty]
        if dossiers or own or self.versions or self.changes or self.results or client:
            write = writes.pipelined if session.get_bind().dialect.name == "postgresql" else writes.core
            write(session, self.user.id, dossiers=dossiers, own=own, versions=self.versions,
                  changes=self.changes, results=self.results, client=client)
        self.touched, self.own_dirty = {}, set()
        self.versions, self.changes, self.results = [], [], []

    def finish(self, state: ClientState) -> None:
        self.write_pending(state)
