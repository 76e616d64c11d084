"""The dossier state machine (domain.md): statuses, actions, who may take them."""

from __future__ import annotations

from dataclasses import dataclass

DRAFT = "draft"
SUBMITTED = "submitted"
ACCEPTED = "accepted"
REFUSED = "refused"
IN_PROGRESS = "in_progress"
SUPPLEMENT_REQUESTED = "supplement_requested"
AWAITING_FEE = "awaiting_fee"
WITHDRAWN = "withdrawn"
STOPPED = "stopped"
RESULT_READY = "result_ready"
RETURNED = "returned"

# The numbered statuses of the provincial one-stop systems; the draft has none.
STATUS_CODES = {
    SUBMITTED: 1, ACCEPTED: 2, REFUSED: 3, IN_PROGRESS: 4, SUPPLEMENT_REQUESTED: 5,
    AWAITING_FEE: 6, WITHDRAWN: 7, STOPPED: 8, RESULT_READY: 9, RETURNED: 10,
}
STATUSES = (DRAFT, *STATUS_CODES)
# Statuses where the handling is over (the deadline no longer runs).
FINISHED = frozenset({REFUSED, WITHDRAWN, STOPPED, RESULT_READY, RETURNED})
# Statuses where nothing is left for the desk to do (a result ready still waits to go out).
CLOSED = frozenset({REFUSED, WITHDRAWN, STOPPED, RETURNED})
# Where someone at the desk holds the dossier: it can be handed on, and can be late.
HELD = frozenset({SUBMITTED, ACCEPTED, IN_PROGRESS, SUPPLEMENT_REQUESTED, AWAITING_FEE,
                  RESULT_READY})

CITIZEN, OFFICIAL = "citizen", "official"
RECEPTION, SPECIALIST, LEADER = "reception", "specialist", "leader"


@dataclass(frozen=True)
class Action:
    name: str
    sources: frozenset[str]
    target: str | None  # None: the status does not change
    actor: str
    roles: frozenset[str] = frozenset()
    note_required: bool = False


def _a(name: str, sources: set[str], target: str | None, actor: str,
       roles: set[str] | None = None, note_required: bool = False) -> Action:
    return Action(name, frozenset(sources), target, actor, frozenset(roles or ()), note_required)


ACTIONS: dict[str, Action] = {a.name: a for a in (
    # Citizen
    _a("submit", {DRAFT}, SUBMITTED, CITIZEN),
    _a("withdraw", {SUBMITTED, ACCEPTED, IN_PROGRESS, SUPPLEMENT_REQUESTED, AWAITING_FEE},
       WITHDRAWN, CITIZEN),
    _a("supplement", {SUPPLEMENT_REQUESTED}, IN_PROGRESS, CITIZEN),
    _a("rate", {RETURNED}, None, CITIZEN),
    # Officials
    _a("accept", {SUBMITTED}, ACCEPTED, OFFICIAL, {RECEPTION, LEADER}),
    _a("refuse", {SUBMITTED}, REFUSED, OFFICIAL, {RECEPTION, LEADER}, note_required=True),
    _a("start", {ACCEPTED}, IN_PROGRESS, OFFICIAL, {SPECIALIST, LEADER}),
    _a("request_supplement", {IN_PROGRESS}, SUPPLEMENT_REQUESTED, OFFICIAL,
       {SPECIALIST, LEADER}, note_required=True),
    _a("request_fee", {IN_PROGRESS}, AWAITING_FEE, OFFICIAL, {SPECIALIST, LEADER}),
    _a("confirm_fee", {AWAITING_FEE}, IN_PROGRESS, OFFICIAL, {RECEPTION, SPECIALIST, LEADER}),
    _a("stop", {IN_PROGRESS}, STOPPED, OFFICIAL, {LEADER}, note_required=True),
    _a("resume", {STOPPED}, IN_PROGRESS, OFFICIAL, {LEADER}),
    _a("complete", {IN_PROGRESS}, RESULT_READY, OFFICIAL, {LEADER}),
    _a("return_result", {RESULT_READY}, RETURNED, OFFICIAL, {RECEPTION, LEADER}),
    # Hand-offs at the desk (services/handoffs.py): the status stays, the holder changes.
    _a("assign", set(HELD), None, OFFICIAL, {RECEPTION, SPECIALIST, LEADER}),
    _a("propose", {IN_PROGRESS}, None, OFFICIAL, {SPECIALIST, LEADER}),
    _a("send_back", {IN_PROGRESS}, None, OFFICIAL, {LEADER}, note_required=True),
    _a("apologise", set(HELD - {SUBMITTED}), None, OFFICIAL, {RECEPTION, LEADER},
       note_required=True),
)}
OFFICIAL_ACTIONS = tuple(n for n, a in ACTIONS.items() if a.actor == OFFICIAL)


def allowed_actions(status: str, actor: str, role: str | None = None) -> list[str]:
    """Actions this actor may take on a dossier in this status (for UIs and checks)."""
    return [
        a.name for a in ACTIONS.values()
        if status in a.sources and a.actor == actor and (actor == CITIZEN or role in a.roles)
    ]
