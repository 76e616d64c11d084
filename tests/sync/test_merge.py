"""Properties of the three-way merge (sync/merge.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from sync.merge import merge, same

NAMES = st.sampled_from(["a", "b", "c", "d", "e"])
VALUES = st.one_of(st.none(), st.integers(-3, 3), st.text(max_size=3), st.booleans())
FIELDS = st.dictionaries(NAMES, VALUES.filter(lambda v: v is not None), max_size=5)
T0 = datetime(2026, 3, 1, tzinfo=UTC)
TIMES = st.integers(0, 10_000).map(lambda s: T0 + timedelta(seconds=s))


def _stamps(fields: dict, at: datetime) -> dict:
    return {k: at.isoformat() for k in fields}


@given(base=FIELDS, server=FIELDS, changes=st.dictionaries(NAMES, VALUES, max_size=5),
       server_at=TIMES, at=TIMES)
def test_merge_is_deterministic(base, server, changes, server_at, at):
    one = merge(base, server, _stamps(server, server_at), changes, at)
    two = merge(dict(base), dict(server), _stamps(server, server_at), dict(changes), at)
    assert (one.fields, one.stamps, one.clashes, one.status) == \
        (two.fields, two.stamps, two.clashes, two.status)


@given(base=FIELDS, edits=st.dictionaries(NAMES, st.tuples(VALUES, st.booleans()), max_size=5),
       t1=TIMES, t2=TIMES)
def test_disjoint_edits_commute(base, edits, t1, t2):
    mine = {k: v for k, (v, first) in edits.items() if first}
    theirs = {k: v for k, (v, first) in edits.items() if not first}

    def apply(*steps: tuple[dict, datetime]) -> dict:
        fields, stamps = dict(base), _stamps(base, T0)
        for changes, at in steps:
            out = merge(base, fields, stamps, changes, at)
            assert out.clashes == []
            fields, stamps = out.fields, out.stamps
        return fields

    assert apply((mine, t1), (theirs, t2)) == apply((theirs, t2), (mine, t1))


@settings(max_examples=300)
@given(base=FIELDS, edits=st.lists(st.tuples(st.dictionaries(NAMES, VALUES, max_size=4), TIMES),
                                   min_size=1, max_size=5))
def test_no_typed_value_is_lost(base, edits):
    """Phones editing from the same base: every typed value stands or is in a record."""
    # A phone sends only the fields it changed since base.
    edits = [({k: v for k, v in changes.items() if not same(v, base.get(k))}, at)
             for changes, at in edits]
    fields, stamps = dict(base), _stamps(base, T0)
    records: list = []
    for changes, at in edits:
        out = merge(base, fields, stamps, changes, at)
        records += out.clashes
        fields, stamps = out.fields, out.stamps
    kept = [(c.field, c.kept) for c in records] + [(c.field, c.other) for c in records]
    for changes, _ in edits:
        for name, value in changes.items():
            assert same(fields.get(name), value) or any(
                n == name and same(v, value) for n, v in kept), (name, value)


@given(base=FIELDS, changes=st.dictionaries(NAMES, VALUES, max_size=5), at=TIMES)
def test_untouched_server_takes_the_phones_changes(base, changes, at):
    out = merge(base, base, _stamps(base, T0), changes, at)
    expected = {**base, **changes}
    assert out.fields == {k: v for k, v in expected.items() if v is not None}
    assert out.clashes == [] and out.status == "applied"


def test_later_capture_wins_a_clash_and_ties_keep_the_server():
    base, server = {"a": 1}, {"a": 2}
    later = merge(base, server, {"a": T0.isoformat()}, {"a": 3}, T0 + timedelta(seconds=1))
    assert later.fields == {"a": 3} and later.clashes[0].other == 2 and later.status == "conflict"
    tie = merge(base, server, {"a": T0.isoformat()}, {"a": 3}, T0)
    assert tie.fields == {"a": 2} and tie.clashes[0].other == 3
    merged = merge(base, {"a": 1, "b": 5}, {}, {"a": 4}, T0)
    assert merged.status == "merged" and merged.fields == {"a": 4, "b": 5}
