"""Every address Hoso hands out follows one rule (app/public_urls.py): PUBLIC_URL + path
when configured; without it a path, or, where the link must stand alone, the request's origin."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from app.models.signed import IssuedDocument
from app.services import lifecycle as lc
from tests.factories import make_dossier
from tests.payments.helpers import CRIMINAL, unpaid_dossier
from tests.uploads.helpers import TUS, doc_meta

CONFIGURED = "https://hoso.example.gov.vn/"  # the trailing slash is not doubled


@pytest.fixture(params=[CONFIGURED, None], ids=["configured", "none"])
def public(request: pytest.FixtureRequest, app: Any) -> Iterator[str | None]:
    before = app.config.get("PUBLIC_URL")
    app.config["PUBLIC_URL"] = request.param
    yield request.param
    app.config["PUBLIC_URL"] = before


def test_upload_location(client, citizen, public) -> None:
    resp = client.post("/api/v1/uploads", headers={
        **citizen.headers, **TUS, "Upload-Length": "100", "Upload-Metadata": doc_meta(),
        "Host": "evil.example"})
    assert resp.status_code == 201
    expected = "https://hoso.example.gov.vn/api/v1/uploads/" if public else "/api/v1/uploads/"
    assert resp.headers["Location"].startswith(expected)  # never the Host header


def test_share_link_and_verification_address(db, client, citizen, official, signing,
                                             public) -> None:
    dossier = make_dossier(db.session, citizen.user, status=lc.ACCEPTED, official=official.user)
    db.session.commit()
    doc = db.session.scalars(select(IssuedDocument).where(
        IssuedDocument.dossier_id == dossier.id)).one()
    link = client.post(f"/api/v1/documents/{doc.id}/shares", headers=citizen.headers,
                       json={"hours": 24}).get_json()
    assert link["url"].startswith("https://hoso.example.gov.vn/s/" if public else "/s/")
    listed = client.get("/api/v1/documents", headers=citizen.headers).get_json()["items"]
    # The QR code's address must stand alone: without PUBLIC_URL, the request's origin.
    origin = "https://hoso.example.gov.vn" if public else "http://localhost"
    assert [d["verify_url"] for d in listed] == [f"{origin}/verify/{doc.code}"]


def test_payment_return_address(app, db, client, citizen, make_official, public,
                                monkeypatch) -> None:
    dossier = unpaid_dossier(db, citizen, make_official(procedure=CRIMINAL))
    gateway = app.extensions["payment_provider"]
    seen: dict[str, str] = {}

    class Recording:
        name = gateway.name

        def create(self, **kwargs: Any) -> Any:
            seen.update(return_url=kwargs["return_url"], cancel_url=kwargs["cancel_url"])
            return gateway.create(**kwargs)

        def __getattr__(self, name: str) -> Any:
            return getattr(gateway, name)

    monkeypatch.setitem(app.extensions, "payment_provider", Recording())
    resp = client.post(f"/api/v1/dossiers/{dossier.id}/payment", headers=citizen.headers,
                       base_url="http://phone.example:5000")
    db.session.rollback()
    assert resp.status_code == 200, resp.get_json()
    origin = "https://hoso.example.gov.vn" if public else "http://phone.example:5000"
    assert seen == {"return_url": f"{origin}/#/d/{dossier.id}",
                    "cancel_url": f"{origin}/#/d/{dossier.id}"}
