"""Every allowed and every forbidden transition, through the back-office API."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.services import clock
from app.services import lifecycle as lc
from tests.factories import PATHS, make_dossier

OFFICIAL_CASES = [(status, action) for status in PATHS for action in lc.OFFICIAL_ACTIONS]


def _body(action: str, dossier, db=None, colleague=None) -> dict:
    """A body the action accepts, and the dossier made ready for the desk's own conditions
    (a draft waiting for the leader to send back, a date passed to apologise for)."""
    body: dict = {"action": action, "note": "Lý do"}
    if action == "request_supplement":
        body["fields"] = [next(iter(dossier.fields))]
    if action in ("return_result", "propose"):
        body["result"] = {"number": "15/2026/KS", "method": "desk"}
    if action == "assign":
        body["assignee_id"] = colleague.id
    if action == "apologise":
        body["new_date"] = (clock.today() + timedelta(days=10)).isoformat()
    if db is not None and action == "send_back":
        dossier.awaiting_approval = True
    if db is not None and action == "apologise" and dossier.appointment_date:
        dossier.appointment_date = clock.today() - timedelta(days=1)
    if db is not None:
        db.session.commit()
    return body


@pytest.mark.parametrize(("status", "action"), OFFICIAL_CASES)
def test_official_transition_matrix(client, db, citizen, official, make_official, status, action):
    dossier = make_dossier(db.session, citizen.user, status=status, official=official.user)
    if status == lc.DRAFT:
        expected = 404  # drafts are invisible to the back office
    elif status in lc.ACTIONS[action].sources:
        expected = 200
    else:
        expected = 409
    body = _body(action, dossier, db, make_official(role="specialist").user)
    resp = client.post(f"/api/v1/office/dossiers/{dossier.id}/transitions",
                       json=body, headers=official.headers)
    assert resp.status_code == expected, resp.get_json()
    if expected == 200:
        assert resp.get_json()["status"] == (lc.ACTIONS[action].target or status)
    elif expected == 409:
        problem = resp.get_json()
        assert resp.mimetype == "application/problem+json"
        assert problem["current_status"] == status


@pytest.mark.parametrize("role", ["reception", "specialist", "leader"])
@pytest.mark.parametrize("action", lc.OFFICIAL_ACTIONS)
def test_roles_decide_who_may_act(client, db, citizen, official, make_official, role, action):
    source = next(iter(sorted(lc.ACTIONS[action].sources)))
    dossier = make_dossier(db.session, citizen.user, status=source, official=official.user)
    actor = make_official(role=role)
    body = _body(action, dossier, db, make_official(role="specialist").user)
    resp = client.post(f"/api/v1/office/dossiers/{dossier.id}/transitions",
                       json=body, headers=actor.headers)
    assert resp.status_code == (200 if role in lc.ACTIONS[action].roles else 403)


def test_citizen_actions_follow_the_state_machine(db, citizen, official):
    from app.errors import TransitionNotAllowed
    from app.services.dossiers import transition

    for status in PATHS:
        for action in ("submit", "withdraw"):
            dossier = make_dossier(db.session, citizen.user, status=status, official=official.user)
            if status in lc.ACTIONS[action].sources:
                transition(db.session, dossier, citizen.user, action)
                assert dossier.status == lc.ACTIONS[action].target
            else:
                with pytest.raises(TransitionNotAllowed):
                    transition(db.session, dossier, citizen.user, action)
            db.session.rollback()


def test_every_transition_is_logged(client, db, citizen, official):
    dossier = make_dossier(db.session, citizen.user, status=lc.RETURNED, official=official.user)
    resp = client.get(f"/api/v1/dossiers/{dossier.id}", headers=citizen.headers)
    history = resp.get_json()["history"]
    assert [h["action"] for h in history] == ["create", *PATHS[lc.RETURNED]]
    assert history[-1]["data"]["result"]["number"] == "123/2026"
    assert all(h["at"] for h in history)
