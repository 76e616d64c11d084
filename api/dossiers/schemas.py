"""Dossier bodies, shared by the citizen API and the back office."""

from marshmallow import Schema, fields, validate

from app.services import lifecycle


class EventOut(Schema):
    at = fields.String()
    actor_kind = fields.String()
    actor_id = fields.Integer(allow_none=True)
    action = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    note = fields.String(allow_none=True)
    data = fields.Dict()


class OwnerOut(Schema):
    id = fields.Integer()
    full_name = fields.String()
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)


class LinkedDossierOut(Schema):
    """A dossier of a bundle seen from elsewhere: its procedure, agency and where it stands."""

    procedure_code = fields.String()
    procedure_name = fields.Dict()
    agency_code = fields.String()
    agency_name = fields.Dict(allow_none=True)
    status = fields.String(metadata={"enum": list(lifecycle.STATUSES)})
    status_code = fields.Integer(allow_none=True)
    receipt_code = fields.String(allow_none=True)


class MemberOut(LinkedDossierOut):
    """One linked dossier of a bundle, as the bundle's dossier shows it."""

    id = fields.String()
    appointment_date = fields.String(allow_none=True)
    overdue = fields.Boolean()
    result = fields.Dict(allow_none=True)


class DossierOut(Schema):
    id = fields.String()
    procedure_code = fields.String()
    procedure_name = fields.Dict()
    agency_code = fields.String()
    form_version = fields.Integer()
    status = fields.String(metadata={"enum": list(lifecycle.STATUSES)})
    status_code = fields.Integer(allow_none=True)
    version = fields.Integer()
    fields_ = fields.Dict(data_key="fields", attribute="fields")
    field_stamps = fields.Dict()
    documents = fields.Dict()
    receipt_code = fields.String(allow_none=True)
    submitted_at = fields.String(allow_none=True)
    accepted_at = fields.String(allow_none=True)
    appointment_date = fields.String(allow_none=True)
    overdue = fields.Boolean()
    paused = fields.Boolean()
    finished_at = fields.String(allow_none=True)
    supplement_request = fields.Dict(allow_none=True)
    result = fields.Dict(allow_none=True)
    fee_amount = fields.Integer(allow_none=True)
    fee_quote = fields.Dict(allow_none=True)
    fee_status = fields.String()
    rating = fields.Integer(allow_none=True)
    rating_comment = fields.String(allow_none=True)
    created_at = fields.String()
    updated_at = fields.String()
    allowed_actions = fields.List(fields.String())
    bundle_id = fields.String(allow_none=True, metadata={
        "description": "A bundle's linked dossier: the bundle's dossier id"})
    members = fields.List(fields.Nested(MemberOut), metadata={
        "description": "A bundle's dossier: its linked dossiers (services/bundles.py)"})
    owner = fields.Nested(OwnerOut)
    history = fields.List(fields.Nested(EventOut))
    submission_signature = fields.Dict(metadata={
        "description": "Back office only: signed on the citizen's phone (device) or unsigned"})


class PageQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class DossierListQuery(PageQuery):
    status = fields.String(load_default=None, validate=validate.OneOf(lifecycle.STATUSES))


class DossierPageOut(Schema):
    items = fields.List(fields.Nested(DossierOut))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
