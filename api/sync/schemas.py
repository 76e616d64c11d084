"""Sync bodies. Each mutation's own fields are checked by the engine, mutation by mutation,
so one malformed mutation is consumed as `rejected` instead of blocking the queue."""

from marshmallow import EXCLUDE, Schema, fields, validate


class MutationIn(Schema):
    class Meta:
        unknown = EXCLUDE

    id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    name = fields.Raw(load_default=None, metadata={"type": "string", "example": "dossier.save"})
    args = fields.Raw(load_default=dict, metadata={"type": "object"})
    captured_at = fields.Raw(load_default=None,
                             metadata={"type": "string", "format": "date-time"})


class PushIn(Schema):
    client_id = fields.UUID(required=True)
    mutations = fields.List(fields.Nested(MutationIn), required=True)


class PushOut(Schema):
    last_mutation_id = fields.Integer()
    # Each item is a Result: {id, status, entity, conflicts, error?, reason?, missing?, …}.
    results = fields.Raw(metadata={"type": "array", "items": {"type": "object"}})


class PullQuery(Schema):
    client_id = fields.UUID(load_default=None)
    cursor = fields.String(load_default=None)
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))


class PullOut(Schema):
    cursor = fields.String()
    has_more = fields.Boolean()
    last_mutation_id = fields.Integer()
    # Each item is a Change: {entity, id, version, op, data}.
    changes = fields.Raw(metadata={"type": "array", "items": {"type": "object"}})
