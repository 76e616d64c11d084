"""The push body is checked by hand (`load_push`), not by a marshmallow pass over every
mutation: it must accept, refuse and word its messages exactly as the `PushIn` schema."""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from api.sync.schemas import EnvelopeError, PushIn, load_push

CID = str(uuid.uuid4())
scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 2**40), st.floats(allow_nan=False),
                    st.text(max_size=5), st.just(CID), st.just(CID.upper()), st.just(uuid.UUID(CID).hex))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)), max_leaves=6)
mutation = st.one_of(values, st.fixed_dictionaries(
    {}, optional={"id": values, "name": values, "args": values, "captured_at": values, "extra": values}))
body = st.one_of(values, st.fixed_dictionaries(
    {}, optional={"client_id": values, "mutations": st.one_of(values, st.lists(mutation, max_size=4)),
                  "other": values}))


def both(data: Any) -> tuple[Any, Any]:
    try:
        expected: Any = PushIn().load(data)
    except ValidationError as exc:
        expected = ("error", exc.messages)
    try:
        got: Any = load_push(data)
    except EnvelopeError as exc:
        got = ("error", exc.messages)
    return expected, got


def test_the_edge_cases_answer_like_the_schema() -> None:
    bodies = [
        {}, [], "x", None, {"client_id": CID}, {"mutations": []},
        {"client_id": None, "mutations": None}, {"client_id": 5, "mutations": []},
        {"client_id": "nope", "mutations": "x"}, {"client_id": CID, "mutations": {}},
        {"client_id": CID, "mutations": [None, 1, "x", {}]},
        {"client_id": CID, "mutations": [{"id": True}, {"id": 1.0}, {"id": 0}, {"id": None}]},
        {"client_id": CID, "mutations": [{"id": 1, "args": None}, {"id": 2, "name": None}]},
        {"client_id": CID, "mutations": [{"id": 1, "name": "dossier.save", "args": {"a": 1},
                                          "captured_at": "2026-01-01T00:00:00Z", "extra": 1}]},
        {"client_id": CID, "mutations": [], "more": 1},
    ]
    for data in bodies:
        expected, got = both(data)
        assert got == expected, data


@settings(max_examples=300, deadline=None)
@given(body)
def test_any_body_answers_like_the_schema(data: Any) -> None:
    expected, got = both(data)
    assert got == expected
