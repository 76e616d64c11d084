"""Code-table bodies: the index and one table's document."""

from marshmallow import Schema, fields


class TableRefOut(Schema):
    name = fields.String()
    version = fields.String()
    etag = fields.String()
    href = fields.String()


class TableIndexOut(Schema):
    tables = fields.List(fields.Nested(TableRefOut))


class SourceOut(Schema):
    title = fields.String()
    publisher = fields.String()
    url = fields.String()
    date = fields.String()
    note = fields.String()


class ItemOut(Schema):
    code = fields.String()
    name = fields.Dict(metadata={"description": '{"vi": …, "en": …}'})
    parent = fields.String(allow_none=True)
    level = fields.String()


class TableOut(Schema):
    name = fields.String()
    version = fields.String()
    source = fields.Nested(SourceOut)
    items = fields.List(fields.Nested(ItemOut))
