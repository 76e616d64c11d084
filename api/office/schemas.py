"""Back-office bodies."""

from marshmallow import Schema, fields, validate

from api.bounded import Day, RowId
from api.dossiers.schemas import DossierOut, EventOut, LinkedDossierOut, PageQuery
from app.services import desk, lifecycle


class OfficeListQuery(PageQuery):
    view = fields.String(load_default=None, validate=validate.OneOf(desk.VIEWS), metadata={
        "description": "waiting (open), new_today, to_accept, due_today, due_soon, overdue, "
                       "mine, approval, finished, all (the default)"})
    q = fields.String(load_default=None, validate=validate.Length(max=100), metadata={
        "description": "Name, ID number, phone or part of a receipt code, accents optional"})
    sort = fields.String(load_default=None, validate=validate.OneOf(list(desk.SORTS)))
    status = fields.String(load_default=None, validate=validate.OneOf(lifecycle.STATUSES[1:]))
    overdue = fields.Boolean(load_default=None)
    procedure = fields.String(load_default=None)
    receipt_code = fields.String(load_default=None, validate=validate.Length(max=40))
    submitted_from = Day(load_default=None)
    submitted_to = Day(load_default=None)
    fee_status = fields.String(load_default=None, validate=validate.OneOf(["none", "unpaid", "paid"]))
    assignee_id = RowId(load_default=None)


class ResultIn(Schema):
    number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    issued_on = Day(load_default=None)
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
    result = fields.Nested(ResultIn, load_default=None, metadata={
        "description": "return_result, complete; propose: the draft result for the leader"})
    assignee_id = RowId(load_default=None, metadata={
        "description": "assign: the official who takes it over; accept: optionally the "
                       "specialist at once; propose: optionally the leader"})
    new_date = Day(load_default=None, metadata={
        "description": "apologise: the new appointment date"})
    expected_version = RowId(minimum=0, load_default=None, metadata={
        "description": "Refuse with 409 if the dossier changed since this version"})


class BulkAcceptIn(Schema):
    ids = fields.List(fields.String(validate=validate.Length(max=64)), required=True,
                      validate=validate.Length(min=1, max=50))


class PersonOut(Schema):
    id = fields.Integer()
    name = fields.String()
    role = fields.String(allow_none=True)


class DeadlineOut(Schema):
    due_date = fields.String(allow_none=True)
    state = fields.String(allow_none=True, metadata={
        "enum": ["accept_late", "overdue", "due_today", "due_soon"]})
    days_late = fields.Integer()
    accept_by = fields.String(allow_none=True)


class OfficeEventOut(EventOut):
    actor_name = fields.String(allow_none=True)


class LinkedResultOut(Schema):
    number = fields.String(allow_none=True)
    issued_on = fields.String(allow_none=True)


class LinkedOut(LinkedDossierOut):
    """Another dossier of the same bundle, as a member's desk sees it (no answers, no files)."""

    result = fields.Nested(LinkedResultOut, allow_none=True)


class OfficeDossierOut(DossierOut):
    assignee = fields.Nested(PersonOut, allow_none=True)
    awaiting_approval = fields.Boolean()
    draft_result = fields.Dict(allow_none=True)
    new_appointment_date = fields.String(allow_none=True)
    deadline = fields.Nested(DeadlineOut)
    history = fields.List(fields.Nested(OfficeEventOut))
    linked = fields.List(fields.Nested(LinkedOut))


class OfficePageOut(Schema):
    items = fields.List(fields.Nested(OfficeDossierOut))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    view = fields.String()


class SummaryOut(Schema):
    views = fields.Dict(keys=fields.String(), values=fields.Integer())
    latest = fields.String(allow_none=True)


class OfficialOut(Schema):
    id = fields.Integer()
    name = fields.String()
    role = fields.String()


class OfficialsOut(Schema):
    items = fields.List(fields.Nested(OfficialOut))


class BulkResultOut(Schema):
    id = fields.String()
    ok = fields.Boolean()
    receipt_code = fields.String(allow_none=True)
    problem = fields.Dict(allow_none=True)


class BulkOut(Schema):
    items = fields.List(fields.Nested(BulkResultOut))


class AuditQuery(PageQuery):
    day_from = Day(load_default=None)
    day_to = Day(load_default=None)
    actor_id = RowId(load_default=None)
    action = fields.String(load_default=None,
                           validate=validate.OneOf([*lifecycle.ACTIONS, "transfer"]))
    receipt_code = fields.String(load_default=None, validate=validate.Length(max=40))


class AuditRowOut(Schema):
    id = fields.Integer()
    at = fields.String()
    action = fields.String()
    actor_kind = fields.String()
    actor_id = fields.Integer(allow_none=True)
    actor_name = fields.String(allow_none=True)
    actor_role = fields.String(allow_none=True)
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    note = fields.String(allow_none=True)
    dossier_id = fields.String()
    receipt_code = fields.String(allow_none=True)
    procedure_code = fields.String()
    here = fields.Boolean(metadata={"description": "The dossier is still this agency's (false once "
                                                   "transferred away: it cannot be opened here)"})


class AuditPageOut(Schema):
    items = fields.List(fields.Nested(AuditRowOut))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class WorkloadQuery(Schema):
    since = Day(load_default=None, metadata={"description": "Default: 30 days ago"})


class WorkloadRowOut(Schema):
    id = fields.Integer()
    name = fields.String()
    role = fields.String()
    holding = fields.Integer()
    holding_overdue = fields.Integer()
    steps = fields.Integer()
    finished = fields.Integer()


class WorkloadOut(Schema):
    since = fields.String()
    items = fields.List(fields.Nested(WorkloadRowOut))
    unassigned = fields.Dict(keys=fields.String(), values=fields.Integer())


class SlipSectionOut(Schema):
    title = fields.String()
    rows = fields.List(fields.List(fields.String()))
    items = fields.List(fields.String())
    paragraphs = fields.List(fields.String())


class SignatureOut(Schema):
    title = fields.String()
    name = fields.String()


class SlipOut(Schema):
    kind = fields.String(metadata={"enum": ["receipt", "supplement", "refusal", "apology"]})
    title = fields.String()
    form = fields.String()
    agency = fields.String()
    motto = fields.List(fields.String())
    receipt_code = fields.String(allow_none=True)
    number = fields.String()
    place_date = fields.String()
    date = fields.String()
    sections = fields.List(fields.Nested(SlipSectionOut))
    signatures = fields.List(fields.Nested(SignatureOut))
