"""Inbox bodies."""

from marshmallow import Schema, fields

from api.dossiers.schemas import PageQuery


class InboxQuery(PageQuery):
    unread = fields.Boolean(load_default=None, metadata={"description": "Only unread (true) "
                                                                        "or only read (false)"})


class NotificationOut(Schema):
    id = fields.String()
    dossier_id = fields.String(allow_none=True)
    kind = fields.String()
    title = fields.String()
    body = fields.String()
    urgency = fields.String()
    texts = fields.Dict(metadata={"description": "Title and body per language: "
                                                 "{\"vi\": {\"title\", \"body\"}, \"en\": {…}}"})
    data = fields.Dict()
    created_at = fields.String()
    read_at = fields.String(allow_none=True)


class InboxPageOut(Schema):
    items = fields.List(fields.Nested(NotificationOut))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    unread = fields.Integer(metadata={"description": "Unread notifications in the whole inbox"})
