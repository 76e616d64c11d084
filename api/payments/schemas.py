"""Payment bodies."""

from marshmallow import Schema, fields, validate

from app.services.payment_reports import REFUND_METHODS
from app.services.payments import DESK_METHODS


class PaymentOut(Schema):
    id = fields.String()
    dossier_id = fields.String()
    status = fields.String(metadata={"description": "creating, pending, paid, cancelled, expired"})
    method = fields.String()
    provider = fields.String()
    amount = fields.Integer()
    currency = fields.String()
    order_code = fields.Integer(allow_none=True)
    checkout_url = fields.String(allow_none=True)
    qr_code = fields.String(allow_none=True, metadata={"description": "VietQR payload"})
    qr_svg = fields.String(allow_none=True, metadata={"description": "The QR code as an SVG data URI"})
    expires_at = fields.String(allow_none=True)
    paid_at = fields.String(allow_none=True)
    provider_reference = fields.String(allow_none=True)
    receipt = fields.Dict(allow_none=True)
    dossier = fields.Dict(allow_none=True)


class PaymentListOut(Schema):
    items = fields.List(fields.Nested(PaymentOut))


class DeskPaymentIn(Schema):
    method = fields.String(required=True, validate=validate.OneOf(DESK_METHODS))
    note = fields.String(load_default=None, validate=validate.Length(max=1000))


class RefundIn(Schema):
    method = fields.String(required=True, validate=validate.OneOf(REFUND_METHODS))
    note = fields.String(load_default=None, validate=validate.Length(max=1000))


class DayQuery(Schema):
    day = fields.Date(load_default=None)


class RefundQuery(Schema):
    status = fields.String(load_default="open", validate=validate.OneOf(["open", "done", "all"]))


class RefundOut(Schema):
    id = fields.String()
    payment_id = fields.String()
    dossier_id = fields.String()
    amount = fields.Integer()
    reason = fields.String()
    status = fields.String()
    method = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    refunded_by = fields.Integer(allow_none=True)
    refunded_at = fields.String(allow_none=True)
    created_at = fields.String()


class RefundListOut(Schema):
    items = fields.List(fields.Nested(RefundOut))


class ReconciliationOut(Schema):
    day = fields.String()
    agency_code = fields.String()
    totals = fields.Dict(metadata={"description": "{method: {count, amount}}"})
    total_amount = fields.Integer()
    items = fields.List(fields.Dict())


class ListOut(Schema):
    items = fields.List(fields.Dict())


class FlagResolvedOut(Schema):
    id = fields.Integer()
    resolved_by = fields.Integer(allow_none=True)
    resolved_at = fields.String(allow_none=True)


class WebhookOut(Schema):
    success = fields.Boolean()
    outcome = fields.String()
