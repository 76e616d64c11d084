"""The sync bodies' JSON encoder says the same as the standard library, for every value."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from app.compactjson import dumps

_text = st.text().filter(lambda s: not any(0xD800 <= ord(c) <= 0xDFFF for c in s))
_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | _text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=20)


@given(_values)
def test_any_value_reads_back_the_same(value):
    assert json.loads(dumps(value)) == value


def test_integers_past_64_bits_and_vietnamese_text():
    assert dumps({"so": 2**70}) == '{"so":1180591620717411303424}'
    assert dumps(["Nguyễn Văn An"]) == '["Nguyễn Văn An"]'  # UTF-8, not \\u escapes
