"""Hand-offs at the one-stop desk (docs/desk.md): who holds a dossier now, assignment and
transfer, the specialist's draft result sent to the leader, the leader sending it back, the
one supplement request a dossier may get, and the apology with a new date after a delay.

`dossiers.transition` asks `refusal()` before an action (beyond status and role, which the
state machine checks) and calls `apply()` for the hand-off's effects. No Flask here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from app.errors import ValidationFailed
from app.models.accounts import User
from app.models.dossiers import Dossier
from app.services import lifecycle
from app.services.i18n import message

# What a specialist does on a dossier: only on one they hold (or nobody holds yet).
SPECIALIST_WORK = frozenset({"start", "request_supplement", "request_fee", "propose", "assign"})
# While the draft waits for the leader, the specialist's steps wait too.
WAITS_FOR_LEADER = frozenset({"request_supplement", "request_fee", "propose"})

REFUSALS = {
    "held_by_other": "Another official holds this dossier; ask them or the leader to hand it on.",
    "awaiting_approval": "The draft result is with the leader for approval.",
    "not_awaiting_approval": "No draft result waits for approval.",
    "supplement_once": "A supplement was already requested for this dossier; the rules allow "
                       "one request naming everything at once.",
    "not_late": "The dossier is not late: an apology slip is issued only once the appointment "
                "date is reached.",
}


def due_date(dossier: Dossier) -> date | None:
    """The date the citizen was last promised: the apology's new date, else the appointment."""
    return dossier.new_appointment_date or dossier.appointment_date


def refusal(dossier: Dossier, actor: User, action: str, today: date) -> str | None:
    """The reason (a key of REFUSALS) this official may not take `action` now, or None."""
    if actor.role == lifecycle.SPECIALIST and action in SPECIALIST_WORK:
        if dossier.assignee_id not in (None, actor.id):
            return "held_by_other"
        if dossier.awaiting_approval and action in WAITS_FOR_LEADER:
            return "awaiting_approval"
    if action == "propose" and dossier.awaiting_approval:
        return "awaiting_approval"
    if action == "send_back" and not dossier.awaiting_approval:
        return "not_awaiting_approval"
    if action == "request_supplement" and any(
            e.action == "request_supplement" for e in dossier.events):
        return "supplement_once"
    if action == "apologise":
        due = due_date(dossier)
        if due is None or due > today:
            return "not_late"
    return None


def allowed(dossier: Dossier, actor: User, today: date) -> list[str]:
    """The actions this official may take on this dossier now (the desk's buttons)."""
    return [a for a in lifecycle.allowed_actions(dossier.status, lifecycle.OFFICIAL, actor.role)
            if refusal(dossier, actor, a, today) is None]


def _colleague(session: Session, dossier: Dossier, official_id: Any, lang: str,
               roles: frozenset[str] | None = None) -> User:
    """An official of the dossier's agency (of one of `roles`), or a clear 422."""
    user = session.get(User, official_id) if isinstance(official_id, int) else None
    if (user is None or not user.is_official or user.agency_code != dossier.agency_code
            or (roles is not None and user.role not in roles)):
        raise ValidationFailed("No such official in your agency for this step.",
                               errors={"assignee_id": [message("unknown_field", lang)]})
    return user


def _person(user: User | None) -> dict[str, Any] | None:
    return None if user is None else {"id": user.id, "name": user.full_name, "role": user.role}


def apply(session: Session, dossier: Dossier, actor: User, action: str, *, today: date,
          lang: str, assignee_id: int | None = None, result: dict[str, Any] | None = None,
          new_date: date | None = None) -> dict[str, Any]:
    """The hand-off effects of `action` (after its own effects); returns the event's data."""
    data: dict[str, Any] = {}
    before = dossier.assignee
    if action == "accept" and assignee_id is not None:
        dossier.assignee = _colleague(session, dossier, assignee_id, lang)
    elif action == "assign":
        if assignee_id is None or assignee_id == dossier.assignee_id:
            raise ValidationFailed("Choose the official who takes the dossier over.",
                                   errors={"assignee_id": [message("required", lang)]})
        dossier.assignee = _colleague(session, dossier, assignee_id, lang)
    elif action == "start" and dossier.assignee_id is None and actor.role == lifecycle.SPECIALIST:
        dossier.assignee = actor
    elif action == "propose":
        leader = (None if assignee_id is None else
                  _colleague(session, dossier, assignee_id, lang, frozenset({lifecycle.LEADER})))
        dossier.draft_result = {**(result or {}), "by": actor.id, "by_name": actor.full_name,
                                "on": today.isoformat()}
        dossier.awaiting_approval = True
        dossier.assignee = leader
        data["draft_result"] = dossier.draft_result
    elif action == "send_back":
        proposer = (dossier.draft_result or {}).get("by")
        dossier.awaiting_approval = False
        dossier.assignee = session.get(User, proposer) if isinstance(proposer, int) else None
    elif action == "complete":
        # The decision goes back to reception, who returns the result.
        dossier.awaiting_approval = False
        dossier.assignee = None
    elif action in ("refuse", "return_result", "stop"):
        dossier.assignee = None
    elif action == "apologise":
        due = due_date(dossier)
        if new_date is None or new_date <= today or (due is not None and new_date <= due):
            raise ValidationFailed("The new appointment date must come after today.",
                                   errors={"new_date": [message("required", lang)]})
        data = {"new_date": new_date.isoformat(),
                "was": due.isoformat() if due else None}
        dossier.new_appointment_date = new_date
    if dossier.assignee is not before:
        data.update({"from": _person(before), "to": _person(dossier.assignee)})
    return data


def draft_as_result(dossier: Dossier) -> dict[str, Any] | None:
    """The specialist's draft, as the result the leader approves (without who drafted it)."""
    if not dossier.draft_result:
        return None
    return {k: v for k, v in dossier.draft_result.items() if k not in ("by", "by_name", "on")}
