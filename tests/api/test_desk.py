"""The officials' desk through the API: messages, finding, hand-offs, deadlines, audit."""

from __future__ import annotations

from app.services import lifecycle as lc
from tests.factories import make_dossier


def transition(client, actor, dossier_id, **body):
    return client.post(f"/api/v1/office/dossiers/{dossier_id}/transitions", json=body,
                       headers=actor.headers)


def test_refusals_speak_the_desks_language_without_codes(client, db, citizen, official, make_official):
    dossier = make_dossier(db.session, citizen.user, status=lc.SUBMITTED, official=official.user)
    specialist = make_official(role="specialist")
    resp = transition(client, specialist, dossier.id, action="accept")
    assert resp.status_code == 403
    problem = resp.get_json()
    assert problem["detail"] == "Vai trò của bạn không thực hiện được bước này."
    assert problem["allowed_roles"] == ["leader", "reception"]
    resp = transition(client, official, dossier.id, action="start")
    assert resp.status_code == 409
    assert "start" not in resp.get_json()["detail"] and "submitted" not in resp.get_json()["detail"]
