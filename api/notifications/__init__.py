"""A citizen's inbox of status updates (marking read goes through the `notification.read` mutation)."""

from __future__ import annotations

from typing import Any

from flask_jwt_extended import current_user
from flask_smorest import Blueprint
from sqlalchemy import func, select

from api.notifications.schemas import InboxPageOut, InboxQuery
from api.security import BEARER, citizen_required
from app.extensions import db
from app.models.notifications import Notification
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
    mine = Notification.user_id == current_user.id
    stmt = select(Notification).where(mine)
    if query.get("unread") is not None:
        stmt = stmt.where(Notification.read_at.is_(None) if query["unread"]
                          else Notification.read_at.is_not(None))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    unread = db.session.scalar(select(func.count()).select_from(Notification)
                               .where(mine, Notification.read_at.is_(None)))
    page, per_page = query["page"], query["per_page"]
    rows = db.session.scalars(stmt.order_by(Notification.created_at.desc(), Notification.id.desc())
                              .limit(per_page).offset((page - 1) * per_page))
    return {"items": [notification_dict(n) for n in rows], "page": page, "per_page": per_page,
            "total": total, "unread": unread}
