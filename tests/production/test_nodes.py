"""Two app nodes behind the TLS front: 50 phones push and pull while a node is killed
(SIGKILL) or while every node is restarted in turn (graceful). Nothing acknowledged is lost,
nothing is applied twice, and a rolling restart shows the phones no error at all."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.production.phones import acknowledged, check_exactly_once, run, seed
from tests.production.shape import Shape, unhandled
from tests.servers import wait_for

# The production shape starts once (about 100 s on a loaded machine) within the first test.
pytestmark = pytest.mark.timeout(600)

PHONES, SUBMISSIONS, BATCH = 50, 6, 4


def _finish(threads: list[Any], timeout: float = 240) -> None:
    for t in threads:
        t.join(timeout)
    assert all(not t.is_alive() for t in threads), "phones still syncing"


def test_a_node_killed_mid_stream_loses_nothing_and_phones_carry_on(shape: Shape) -> None:
    phones = seed(shape.env["DATABASE_URL"], PHONES, SUBMISSIONS, BATCH, shape.cert)
    total = sum(p.total for p in phones)
    threads = run(phones, lambda: shape.url, timeout=240)
    try:
        wait_for(lambda: acknowledged(phones) >= total // 4, 120, "a quarter acknowledged", interval=0.01)
        acked_before = acknowledged(phones)
        shape.kill_node(1)  # master and workers at once: requests in flight are cut
        wait_for(lambda: acknowledged(phones) >= acked_before + total // 4, 120,
                 "phones to carry on through node 2", interval=0.05)
        assert shape.node_pid(1) is None  # all of that went through the other node
        _finish(threads)
    finally:
        shape.script("restart-node", "1")
    print(f"\nacknowledged before the kill: {acked_before}/{total}; "
          f"answers other than 200 seen: {sum((p.seen for p in phones), start=Counter())}")
    assert acked_before < total, "the kill came after the end"
    check_exactly_once(shape.env["DATABASE_URL"], phones)
    assert not unhandled(shape)


def test_a_rolling_restart_shows_the_phones_no_error(shape: Shape) -> None:
    phones = seed(shape.env["DATABASE_URL"], PHONES, SUBMISSIONS * 2, BATCH, shape.cert)
    total = sum(p.total for p in phones)
    threads = run(phones, lambda: shape.url, timeout=300)
    pids = [shape.node_pid(1), shape.node_pid(2)]
    wait_for(lambda: acknowledged(phones) >= total // 10, 120, "the stream to start", interval=0.01)
    acked_before = acknowledged(phones)
    shape.script("roll", timeout=300)  # node 1 stopped (SIGTERM) and started, then node 2
    acked_during = acknowledged(phones) - acked_before
    _finish(threads, 300)
    assert [shape.node_pid(1), shape.node_pid(2)] != pids and None not in pids
    seen = sum((p.seen for p in phones), start=Counter())
    print(f"\nacknowledged during the roll: {acked_during}/{total}; pulls: "
          f"{sum(p.pulled for p in phones)} changes; answers other than 200: {dict(seen)}")
    assert acked_during > 0, "the roll came after the end"
    assert not seen, f"the phones saw errors during the rolling restart: {dict(seen)}"
    assert all(p.pulled > 0 for p in phones)
    check_exactly_once(shape.env["DATABASE_URL"], phones)
    assert not unhandled(shape)
