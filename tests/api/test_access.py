"""Who may see what: citizens, officials, agencies."""

from __future__ import annotations

from app.services import lifecycle as lc
from tests.factories import make_dossier


def test_citizen_cannot_read_another_citizens_dossier(client, db, make_citizen):
    alice, bob = make_citizen("Alice"), make_citizen("Bob")
    dossier = make_dossier(db.session, alice.user)
    assert client.get(f"/api/v1/dossiers/{dossier.id}", headers=alice.headers).status_code == 200
    resp = client.get(f"/api/v1/dossiers/{dossier.id}", headers=bob.headers)
    assert resp.status_code == 404
    listed = client.get("/api/v1/dossiers", headers=bob.headers).get_json()
    assert listed["items"] == [] and listed["total"] == 0


def test_citizen_cannot_reach_the_back_office(client, db, citizen, official):
    dossier = make_dossier(db.session, citizen.user, status=lc.SUBMITTED, official=official.user)
    assert client.get("/api/v1/office/dossiers", headers=citizen.headers).status_code == 403
    resp = client.post(f"/api/v1/office/dossiers/{dossier.id}/transitions",
                       json={"action": "accept"}, headers=citizen.headers)
    assert resp.status_code == 403
    assert resp.mimetype == "application/problem+json"


def test_official_sees_only_their_agency(client, db, citizen, make_official):
    birth_office = make_official(procedure="birth-registration")
    justice = make_official(procedure="criminal-record-certificate")
    dossier = make_dossier(db.session, citizen.user, status=lc.SUBMITTED,
                           official=birth_office.user)
    mine = client.get("/api/v1/office/dossiers", headers=birth_office.headers).get_json()
    assert [d["id"] for d in mine["items"]] == [str(dossier.id)]
    theirs = client.get("/api/v1/office/dossiers", headers=justice.headers).get_json()
    assert theirs["items"] == []
    assert client.get(f"/api/v1/office/dossiers/{dossier.id}",
                      headers=justice.headers).status_code == 404
    resp = client.post(f"/api/v1/office/dossiers/{dossier.id}/transitions",
                       json={"action": "accept"}, headers=justice.headers)
    assert resp.status_code == 404


def test_official_cannot_use_citizen_endpoints(client, official):
    assert client.get("/api/v1/dossiers", headers=official.headers).status_code == 403


def test_missing_and_bad_tokens_are_problems(client):
    resp = client.get("/api/v1/dossiers")
    assert resp.status_code == 401 and resp.mimetype == "application/problem+json"
    resp = client.get("/api/v1/dossiers", headers={"Authorization": "Bearer not.a.jwt"})
    assert resp.status_code == 401 and resp.mimetype == "application/problem+json"
