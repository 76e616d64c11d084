"""A citizen's inbox of status updates (marking read goes through the `notification.read` mutation)."""

from __future__ import annotations

from typing import Any

from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from api.notifications.schemas import InboxPageOut, InboxQuery
from api.security import BEARER, citizen_required
from app.extensions import db
from app.services import notifications
from app.services.representations import notification_dict

blp = Blueprint("notifications", __name__, url_prefix="/api/v1/notifications",
                description="The citizen's inbox")


@blp.get("")
@blp.arguments(InboxQuery, location="query")
@blp.response(200, InboxPageOut)
@blp.doc(security=BEARER)
@citizen_required
def list_notifications(query: dict[str, Any]) -> dict[str, Any]:
    """My notifications, newest first."""
    found = notifications.inbox(db.session, current_user, unread=query.get("unread"),
                                page=query["page"], per_page=query["per_page"])
    found["items"] = [notification_dict(n) for n in found["items"]]
    return found
