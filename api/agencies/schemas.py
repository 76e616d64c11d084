"""Directory bodies: an agency with its kind, level and administrative unit."""

from marshmallow import Schema, fields


class DirectoryAgencyOut(Schema):
    code = fields.String()
    electronic_id = fields.String(allow_none=True, metadata={
        "description": "Electronic identifier code (Decision 20/2020/QĐ-TTg); receipt codes start with it"})
    name = fields.Dict(metadata={"description": '{"vi": …, "en": …}'})
    kind = fields.String(metadata={"description": "people_committee | police | social_insurance"})
    level = fields.String(metadata={"description": "commune | province"})
    unit = fields.String(allow_none=True, metadata={"description": "admin_units code"})
    serves = fields.List(fields.String())


class AgencyListOut(Schema):
    items = fields.List(fields.Nested(DirectoryAgencyOut))
