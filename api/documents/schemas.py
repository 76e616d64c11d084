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


PDF_OK = {"200": {"description": "The signed PDF",
                "content": {"application/pdf": {"schema": {"type": "string",
                                                           "format": "binary"}}}}}


class IssuedOut(Schema):
    id = fields.String()
    code = fields.String(metadata={"description": "The public code of /verify/<code>"})
    kind = fields.String(metadata={"enum": ["receipt", "result"]})
    title = fields.String()
    number = fields.String()
    dossier_id = fields.String()
    agency_code = fields.String()
    ready = fields.Boolean(metadata={
        "description": "Signed and stored. False while a worker lays it out and signs it: "
                       "sha256, size and signed_at are then null and its PDF answers 409."})
    sha256 = fields.String(allow_none=True)
    size = fields.Integer(allow_none=True)
    issued_at = fields.String()
    signed_at = fields.String(allow_none=True)
    revoked_at = fields.String(allow_none=True)
    replaced_by = fields.String(allow_none=True)
    verify_url = fields.String()
    pdf_url = fields.String()


class SubmissionSignatureOut(Schema):
    signed = fields.Boolean()
    canonical_sha256 = fields.String(allow_none=True)
    captured_at = fields.String(allow_none=True)
    device = fields.Dict(allow_none=True)


class IssuedListOut(Schema):
    items = fields.List(fields.Nested(IssuedOut))
    submission_signature = fields.Nested(SubmissionSignatureOut)


class DocumentListOut(Schema):
    items = fields.List(fields.Nested(IssuedOut))


class ShareOut(Schema):
    id = fields.String()
    created_at = fields.String()
    expires_at = fields.String()
    revoked_at = fields.String(allow_none=True)
    active = fields.Boolean()
    url = fields.String(metadata={"description": "Only when the link is made: /s/<token>"})


class ShareListOut(Schema):
    items = fields.List(fields.Nested(ShareOut))


class DeviceKeyOut(Schema):
    id = fields.String()
    created_at = fields.String()
