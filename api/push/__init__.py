"""Web Push: the server's VAPID key and a citizen's device subscriptions."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from api.push.schemas import SubscriptionIn, SubscriptionOut, UnsubscribeIn, VapidKeyOut
from api.security import BEARER, citizen_required
from api.transactions import commits
from app.extensions import db
from app.jobs import push_worker  # noqa: F401  (hooks the commit: deliveries go out after it)
from app.limits import per_user
from app.models.push import PushSubscription
from app.services import push, push_subscriptions, vapid

blp = Blueprint("push", __name__, url_prefix="/api/v1/push", description="Web Push")


def _subscription_dict(sub: PushSubscription) -> dict[str, Any]:
    return {
        "id": str(sub.id),
        "endpoint": sub.endpoint,
        "device_id": sub.device_id,
        "created_at": sub.created_at.isoformat(),
        "updated_at": sub.updated_at.isoformat(),
    }


@blp.get("/vapid-public-key")
@blp.response(200, VapidKeyOut)
def vapid_public_key() -> Any:
    """The key the browser passes as `applicationServerKey` when it subscribes."""
    resp = current_app.json.response({"public_key": vapid.keys(current_app).public_key})
    resp.headers["Cache-Control"] = "public, max-age=3600"
    return resp


@blp.post("/subscriptions")
@blp.arguments(SubscriptionIn)
@blp.response(201, SubscriptionOut)
@blp.alt_response(200, schema=SubscriptionOut, description="This device's subscription, replaced")
@blp.doc(security=BEARER)
@citizen_required
@per_user("RATELIMIT_PUSH_USER")
@commits
def subscribe(body: dict[str, Any]) -> Any:
    """Subscribe this device; the same device subscribing again replaces its old subscription."""
    sub, created = push_subscriptions.subscribe(
        db.session,
        current_user,
        endpoint=body["endpoint"],
        p256dh=body["keys"]["p256dh"],
        auth=body["keys"]["auth"],
        device_id=body.get("device_id") or body.get("device"),
        user_agent=request.headers.get("User-Agent"),
        allowed_hosts=current_app.config["PUSH_ALLOWED_HOSTS"],
        max_devices=int(push.setting(current_app, "PUSH_MAX_DEVICES")),
    )
    return _subscription_dict(sub), 201 if created else 200


@blp.delete("/subscriptions")
@blp.arguments(UnsubscribeIn)
@blp.response(204)
@blp.doc(security=BEARER)
@citizen_required
@commits
def unsubscribe(body: dict[str, Any]) -> Response:
    """Stop pushing to this endpoint (no error if it was not subscribed)."""
    push_subscriptions.unsubscribe(db.session, current_user, body["endpoint"])
    return Response(status=204)
