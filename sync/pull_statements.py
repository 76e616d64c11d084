"""The pull's SQL, built once (plain columns, run on the session's connection: the ORM's
per-statement work was most of a small pull's CPU)."""

from __future__ import annotations

from sqlalchemy import bindparam, null, select

from app.models.accounts import User
from app.models.catalog import Procedure
from app.models.dossiers import Dossier, DossierEvent
from app.models.sync import Change, ClientState

_users, _clients = User.__table__, ClientState.__table__

# The user's feed position (and floor), with the client's last mutation when one is named.
POSITION = select(_users.c.change_seq, _users.c.change_floor, null(), null()).where(
    _users.c.id == bindparam("user_id"))
POSITION_CLIENT = (
    select(_users.c.change_seq, _users.c.change_floor, _clients.c.user_id,
           _clients.c.last_mutation_id)
    .select_from(_users.outerjoin(_clients, _clients.c.client_id == bindparam("client_id")))
    .where(_users.c.id == bindparam("user_id")))

_feed = Change.__table__
CHANGES = (select(_feed.c.seq, _feed.c.entity, _feed.c.entity_id, _feed.c.op)
           .where(_feed.c.user_id == bindparam("user_id"), _feed.c.seq > bindparam("after"))
           .order_by(_feed.c.seq).limit(bindparam("limit")))

# A page's dossiers (with their procedure's name) and their histories.
_dossiers, _procedures = Dossier.__table__, Procedure.__table__
PAGE_DOSSIERS = (select(_dossiers, _procedures.c.name.label("procedure_name"),
                        _procedures.c.members.label("procedure_members"))
                 .join(_procedures, _procedures.c.code == _dossiers.c.procedure_code)
                 .where(_dossiers.c.id.in_(bindparam("ids", expanding=True))))
_events = DossierEvent.__table__
PAGE_EVENTS = (select(_events).where(_events.c.dossier_id.in_(bindparam("ids", expanding=True)))
               .order_by(_events.c.id))
