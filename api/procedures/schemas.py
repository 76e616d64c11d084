"""Catalog bodies. Localised texts are {"vi": …, "en": …} objects."""

from marshmallow import Schema, fields


class ProcedureQuery(Schema):
    q = fields.String(load_default=None, metadata={"description": "Search in names"})
    category = fields.String(load_default=None)


class AgencyOut(Schema):
    code = fields.String()
    name = fields.Dict()
    level = fields.String()


class LegalBasisOut(Schema):
    kind = fields.String(metadata={"description": "law, decree, circular, decision or form"})
    number = fields.String()
    title = fields.Dict()
    articles = fields.List(fields.String())


class CompetentOut(Schema):
    level = fields.String(metadata={"description": "commune | province"})
    kind = fields.String(metadata={"description": "people_committee | police | social_insurance"})
    by = fields.List(fields.String(), metadata={
        "description": "address fields; the first filled one routes the dossier"})
    default_agency = fields.String(metadata={
        "description": "the agency of a dossier without a coded address"})
    label = fields.Dict(metadata={"description": "who handles it, for people"})


class VersionOut(Schema):
    version = fields.Integer()
    published_at = fields.String()
    accepted_until = fields.String(allow_none=True)
    etag = fields.String()


class MemberTermsOut(Schema):
    procedure = fields.String()
    name = fields.Dict()
    processing_days = fields.Integer()
    agency = fields.Dict(metadata={"description": "who handles it, for people"})


class ProcedureOut(Schema):
    code = fields.String()
    name = fields.Dict()
    summary = fields.Dict()
    category = fields.String()
    processing_days = fields.Integer()
    fees = fields.Dict()
    current_version = fields.Integer()
    agency = fields.Nested(AgencyOut)
    competent = fields.Nested(CompetentOut)
    members = fields.List(fields.String(), metadata={
        "description": "A bundle (liên thông): the procedures one filing makes dossiers of"})
    member_terms = fields.List(fields.Nested(MemberTermsOut), metadata={
        "description": "A bundle: each member's agency (label) and processing time"})
    result = fields.Dict()
    legal_basis = fields.List(fields.Nested(LegalBasisOut))
    checked_on = fields.String(allow_none=True)
    versions = fields.List(fields.Nested(VersionOut))


class ProcedureListOut(Schema):
    items = fields.List(fields.Nested(ProcedureOut))


class FormOut(Schema):
    procedure_code = fields.String()
    version = fields.Integer()
    published_at = fields.String()
    form = fields.Dict(metadata={"description": "See docs/form-schema.md"})
