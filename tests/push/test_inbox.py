"""The inbox: a citizen's notifications, newest first, paged, their own only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.models.base import utcnow
from app.models.notifications import Notification
from app.services import lifecycle as lc
from tests.factories import make_dossier


def test_inbox_lists_my_notifications_newest_first(client: Any, db: Any, make_citizen: Any,
                                                   official: Any) -> None:
    an, binh = make_citizen(language="en"), make_citizen()
    dossier = make_dossier(db.session, an.user, status=lc.RESULT_READY, official=official.user)
    make_dossier(db.session, binh.user, status=lc.ACCEPTED, official=official.user)
    resp = client.get("/api/v1/notifications", headers=an.headers)
    assert resp.status_code == 200
    page = resp.get_json()
    assert [n["title"] for n in page["items"]] == ["Result ready", "Application accepted"]
    assert page["total"] == 2 and page["unread"] == 2
    first = page["items"][0]
    assert first["dossier_id"] == str(dossier.id) and first["urgency"] == "high"
    assert first["data"]["url"] == f"/#/d/{dossier.id}" and first["read_at"] is None


def test_inbox_pages_and_filters(client: Any, db: Any, citizen: Any) -> None:
    now = utcnow()
    for n in range(5):
        db.session.add(Notification(user_id=citizen.id, kind="accepted", title=f"T{n}", body="b",
                                    created_at=now - timedelta(minutes=n),
                                    read_at=now if n % 2 else None))
    db.session.commit()
    page = client.get("/api/v1/notifications?per_page=2&page=2", headers=citizen.headers).get_json()
    assert [n["title"] for n in page["items"]] == ["T2", "T3"]
    assert (page["total"], page["unread"]) == (5, 3)
    unread = client.get("/api/v1/notifications?unread=true", headers=citizen.headers).get_json()
    assert [n["title"] for n in unread["items"]] == ["T0", "T2", "T4"]


def test_inbox_needs_a_citizen(client: Any, official: Any) -> None:
    assert client.get("/api/v1/notifications").status_code == 401
    assert client.get("/api/v1/notifications", headers=official.headers).status_code == 403
