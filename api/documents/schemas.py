"""Bodies of the signed-document views."""

from marshmallow import Schema, fields, validate

from app.services.document_shares import DEFAULT_HOURS, MAX_HOURS


class ShareIn(Schema):
    hours = fields.Integer(load_default=DEFAULT_HOURS, validate=validate.Range(1, MAX_HOURS),
                           metadata={"description": "How long the link opens the document"})


class RevokeIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class DeviceKeyIn(Schema):
    public_key = fields.Dict(required=True, metadata={
        "description": "The phone's ECDSA P-256 public key as a JWK (kty, crv, x, y)"})
    label = fields.String(load_default="", validate=validate.Length(max=200),
                          metadata={"description": "The device, e.g. its user agent"})


PDF_OK = {200: {"description": "The signed PDF",
                "content": {"application/pdf": {"schema": {"type": "string",
                                                           "format": "binary"}}}}}
