"""Sync bodies. Each mutation's own fields are checked by the engine, mutation by mutation,
so one malformed mutation is consumed as `rejected` instead of blocking the queue."""

import uuid
from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate

from app.services.ids import as_uuid


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


_MISSING = "Missing data for required field."
_NULL = "Field may not be null."


class EnvelopeError(Exception):
    """The push body does not have the shape of `PushIn`; `messages` as marshmallow words them."""

    def __init__(self, messages: dict[Any, Any]) -> None:
        super().__init__(messages)
        self.messages = messages


def load_push(body: Any) -> dict[str, Any]:
    """`PushIn().load(body)` by hand: the same result and the same messages, a fraction of the
    cost on a batch of many mutations (the push endpoint is the hottest path of the API)."""
    if not isinstance(body, dict):
        raise EnvelopeError({"_schema": ["Invalid input type."]})
    errors: dict[Any, Any] = {}
    client_id: Any = None
    if "client_id" not in body:
        errors["client_id"] = [_MISSING]
    elif body["client_id"] is None:
        errors["client_id"] = [_NULL]
    else:
        client_id = as_uuid(body["client_id"]) if isinstance(body["client_id"], str | uuid.UUID) else None
        if client_id is None:
            errors["client_id"] = ["Not a valid UUID."]
    mutations: list[dict[str, Any]] = []
    raw = body.get("mutations")
    if "mutations" not in body:
        errors["mutations"] = [_MISSING]
    elif raw is None:
        errors["mutations"] = [_NULL]
    elif not isinstance(raw, (list, tuple)):
        errors["mutations"] = ["Not a valid list."]
    else:
        items: dict[int, Any] = {}
        for i, m in enumerate(raw):
            if m is None:
                items[i] = [_NULL]
                continue
            if not isinstance(m, dict):
                items[i] = {"_schema": ["Invalid input type."]}
                continue
            mid = m.get("id")
            problem = None
            if "id" not in m:
                problem = _MISSING
            elif mid is None:
                problem = _NULL
            elif isinstance(mid, bool) or not isinstance(mid, int):
                problem = "Not a valid integer."
            elif mid < 1:
                problem = "Must be greater than or equal to 1."
            mine: dict[str, list[str]] = {"id": [problem]} if problem else {}
            if "args" in m and m["args"] is None:
                mine["args"] = [_NULL]
            if mine:
                items[i] = mine
                continue
            mutations.append({"id": mid, "name": m.get("name"), "args": m.get("args", {}),
                              "captured_at": m.get("captured_at")})
        if items:
            errors["mutations"] = items
    for key in body:
        if key not in ("client_id", "mutations"):
            errors[key] = ["Unknown field."]
    if errors:
        raise EnvelopeError(errors)
    return {"client_id": client_id, "mutations": mutations}
