"""Push subscription bodies: what `PushSubscription.toJSON()` gives, plus the device."""

from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate


class KeysIn(Schema):
    class Meta:
        unknown = EXCLUDE

    p256dh = fields.String(required=True, validate=validate.Length(min=1, max=400))
    auth = fields.String(required=True, validate=validate.Length(min=1, max=400))


class DeviceField(fields.Field):
    """`device` may be the device id itself or `{"id": …}`."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        if isinstance(value, dict):
            value = value.get("id")
        if value is None:
            return None
        if not isinstance(value, str) or not 1 <= len(value) <= 64:
            raise ValidationError("A device id is a string of 1 to 64 characters.")
        return value


class SubscriptionIn(Schema):
    class Meta:
        unknown = EXCLUDE

    endpoint = fields.String(required=True, validate=validate.Length(min=1, max=2048))
    expiration_time = fields.Float(data_key="expirationTime", allow_none=True, load_default=None)
    keys = fields.Nested(KeysIn, required=True)
    device_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64),
                              metadata={"description": "A stable id the PWA keeps per device"})
    device = DeviceField(load_default=None, allow_none=True)


class UnsubscribeIn(Schema):
    class Meta:
        unknown = EXCLUDE

    endpoint = fields.String(required=True, validate=validate.Length(min=1, max=2048))


class SubscriptionOut(Schema):
    id = fields.String()
    endpoint = fields.String()
    device_id = fields.String(allow_none=True)
    created_at = fields.String()
    updated_at = fields.String()


class VapidKeyOut(Schema):
    public_key = fields.String(metadata={"description": "base64url raw P-256 point "
                                                        "(applicationServerKey)"})
