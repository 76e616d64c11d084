"""Back-office bodies."""

from marshmallow import Schema, fields, validate

from api.dossiers.schemas import PageQuery
from app.services import lifecycle


class OfficeListQuery(PageQuery):
    status = fields.String(load_default=None, validate=validate.OneOf(lifecycle.STATUSES[1:]))
    overdue = fields.Boolean(load_default=None)
    procedure = fields.String(load_default=None)
    receipt_code = fields.String(load_default=None)
    submitted_from = fields.Date(load_default=None)
    submitted_to = fields.Date(load_default=None)
    fee_status = fields.String(load_default=None, validate=validate.OneOf(["none", "unpaid", "paid"]))


class ResultIn(Schema):
    number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    issued_on = fields.Date(load_default=None)
    method = fields.String(load_default="electronic",
                           validate=validate.OneOf(["desk", "post", "electronic"]))
    data = fields.Dict(load_default=dict, metadata={"description": "Details of the result"})
    scan = fields.String(load_default=None, validate=validate.Length(max=1_900_000), metadata={
        "description": "At complete: base64 of a JPEG/PNG scan of the paper result signed by "
                       "hand; the signed result document is made from it (docs/results.md)"})


class TransitionIn(Schema):
    action = fields.String(required=True, validate=validate.OneOf(lifecycle.OFFICIAL_ACTIONS))
    note = fields.String(load_default=None, validate=validate.Length(max=4000))
    fields_ = fields.List(fields.String(validate=validate.Length(max=64)), data_key="fields",
                          load_default=list, validate=validate.Length(max=200),
                          metadata={"description": "Fields the citizen must fix (supplement)"})
    documents = fields.List(fields.String(validate=validate.Length(max=64)), load_default=list,
                            validate=validate.Length(max=50))
    result = fields.Nested(ResultIn, load_default=None)
    expected_version = fields.Integer(load_default=None, metadata={
        "description": "Refuse with 409 if the dossier changed since this version"})
