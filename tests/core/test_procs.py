"""core.procs.IsolatingPool: a worker that dies costs only the item it held, and the run goes on."""

from __future__ import annotations

import os
import signal

import pytest

from tasman.core.procs import IsolatingPool, bounded_map, death_reason


def square_unless_hostile(items: list[int]) -> list[tuple[int, int]]:
    """In a worker: 13 kills it (as a C decoder's crash would), 7 ends it with exit code 3."""
    for i in items:
        if i == 13:
            os.kill(os.getpid(), signal.SIGKILL)
        if i == 7:
            os._exit(3)
    return [(i, i * i) for i in items]


def buggy(items: list[int]) -> list[int]:
    raise ValueError("a bug in the worker's code")


def test_death_reason_names_the_signal_or_exit_code() -> None:
    assert death_reason(-9) == "worker died (signal 9)"
    assert death_reason(3) == "worker died (exit code 3)"
    assert death_reason(None) == "worker died"


def test_a_dying_worker_costs_only_its_item() -> None:
    died: list[tuple[int, str]] = []

    def on_death(item: int, reason: str) -> tuple[int, int]:
        died.append((item, reason))
        return (item, -1)

    batches = [list(range(i, i + 5)) for i in range(0, 40, 5)]            # 13 and 7 in two different batches
    results = list(bounded_map(square_unless_hostile, batches, on_death, 2, in_flight=3))
    assert sorted(i for i, _ in results) == list(range(40))               # every item once: none lost, none twice
    assert sorted(died) == [(7, "worker died (exit code 3)"), (13, "worker died (signal 9)")]
    assert all(sq == i * i for i, sq in results if i not in (7, 13))


def test_the_pool_carries_on_after_a_death() -> None:
    with IsolatingPool(square_unless_hostile, lambda i, why: (i, -1), 2) as pool:
        first = list(pool.submit([13]))
        first += list(pool.drain())
        assert first == [(13, -1)]
        later = list(pool.submit([2, 3])) + list(pool.drain())
        assert later == [(2, 4), (3, 9)]


def test_a_bug_is_raised_not_taken_for_a_crash() -> None:
    with pytest.raises(ValueError, match="a bug"):
        list(bounded_map(buggy, [[1], [2]], lambda i, why: i, 2))


def test_a_pool_that_broke_between_two_batches_takes_the_next_one_too() -> None:
    """A worker dies while nothing waits on the pool: the next hand-over finds the pool broken
    (it used to raise BrokenProcessPool out of the run); the batch is run item by item instead."""
    import time

    with IsolatingPool(square_unless_hostile, lambda i, why: (i, -1), 2, in_flight=10) as pool:
        got = list(pool.submit([13]))
        deadline = time.monotonic() + 30
        while not getattr(pool.pool, "_broken", False) and time.monotonic() < deadline:
            time.sleep(0.05)                 # until the executor has noticed the death
        assert getattr(pool.pool, "_broken", False)
        got += list(pool.submit([2, 3]))     # refused by the broken executor, not raised
        got += list(pool.drain())
    assert sorted(got) == [(2, 4), (3, 9), (13, -1)]
