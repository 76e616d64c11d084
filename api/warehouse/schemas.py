"""Warehouse query strings."""

from marshmallow import Schema, fields, validate


class PrefillQuery(Schema):
    procedure = fields.String(required=True, validate=validate.Length(min=1, max=64))
    version = fields.Integer(load_default=None, validate=validate.Range(min=1),
                             metadata={"description": "Form version; the current one if absent"})


class StatsQuery(Schema):
    since = fields.Date(load_default=None, data_key="from")
    until = fields.Date(load_default=None, data_key="to")
