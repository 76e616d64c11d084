"""Quality index query strings."""

from marshmallow import Schema, fields, validate

from api.bounded import Day
from api.dossiers.schemas import PageQuery


class PeriodQuery(Schema):
    since = Day(load_default=None, data_key="from",
                        metadata={"description": "First day (local); 1 January by default"})
    until = Day(load_default=None, data_key="to",
                        metadata={"description": "Last day (local); today by default"})


class IndexQuery(PeriodQuery):
    procedure = fields.String(load_default=None, validate=validate.Length(min=1, max=64))


# These views answer with a Response of their own; this is what the OpenAPI document says.
JSON_OK = {"200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}}


class TrendQuery(Schema):
    months = fields.Integer(load_default=12, validate=validate.Range(min=1, max=36))


class RatingsQuery(PeriodQuery, PageQuery):
    level = fields.Integer(load_default=None, validate=validate.Range(min=1, max=5))
    answered = fields.Boolean(load_default=None)
    commented = fields.Boolean(load_default=None)


class AnswerIn(Schema):
    answer = fields.String(required=True, validate=validate.Length(min=1, max=2000))
