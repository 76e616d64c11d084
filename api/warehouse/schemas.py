"""Warehouse query strings."""

from marshmallow import Schema, fields, validate

from api.bounded import Day, RowId


class PrefillQuery(Schema):
    procedure = fields.String(required=True, validate=validate.Length(min=1, max=64))
    version = RowId(load_default=None, metadata={"description": "Form version; the current one if absent"})


class StatsQuery(Schema):
    since = Day(load_default=None, data_key="from")
    until = Day(load_default=None, data_key="to")


# These views answer with a Response of their own; this is what the OpenAPI document says.
JSON_OK = {"200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}}
FILE_OK = {"200": {"description": "The stored file, in its own type",
                   "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}}}
