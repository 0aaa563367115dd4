"""The compiled search loop's layout (``mihkernel``: table by table, a bitmap word a probe with
reach masks, queries in key order) against numpy's passes and brute force: random and clustered
lists, radius 0 to far beyond 31, 6-bit tables, empty inputs, duplicate hashes and queries, and
derived indexes with added and removed rows."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from tasman.triage.perceptual.codes import hamming
from tasman.triage.perceptual.pdqindex import (
    LiveIndex,
    MihIndex,
    Table,
    _flip_masks,
    plan_for,
    substring_keys,
    word_probes,
)

pytest.importorskip("numba")


def brute(codes: np.ndarray, queries: np.ndarray, radius: int,
          alive: np.ndarray | None = None) -> list[tuple[int, ...]]:
    """Every (query, listed, distance) within radius, by query then listed position."""
    out = []
    for i, q in enumerate(queries):
        d = hamming(codes, np.broadcast_to(q, codes.shape)) if len(codes) else np.zeros(0, int)
        ok = d <= radius
        if alive is not None:
            ok &= alive
        out += [(i, int(j), int(d[j])) for j in np.flatnonzero(ok)]
    return out


def rows(hits: tuple[np.ndarray, ...]) -> list[tuple[int, ...]]:
    return list(zip(*(h.tolist() for h in hits), strict=True))


def near(codes: np.ndarray, rng: np.random.Generator, most: int) -> np.ndarray:
    """Each row with 0..most distinct bits flipped."""
    bits = np.unpackbits(codes, axis=1)
    for row in bits:
        row[rng.choice(256, int(rng.integers(0, min(most, 256) + 1)), replace=False)] ^= 1
    return np.packbits(bits, axis=1)


def both_paths(index: MihIndex | LiveIndex, queries: np.ndarray, radius: int | None = None) -> list[tuple[int, ...]]:
    """The compiled loop's answer, after checking it is numpy's, array for array (order, dtypes)."""
    mains = [index.main, index.delta] if isinstance(index, LiveIndex) else [index]
    fast = index.search(queries, radius)
    for m in mains:
        if m is not None:
            m.use_compiled = False
    slow = index.search(queries, radius)
    for m in mains:
        if m is not None:
            m.use_compiled = True
    for a, b in zip(fast, slow, strict=True):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    return rows(fast)


@pytest.mark.parametrize(("seed", "n", "radius", "substrings"),
                         [(1, 4000, 31, None), (2, 3000, 0, None), (3, 3000, 1, None), (4, 2500, 12, 14),
                          (5, 2000, 31, 16), (6, 1500, 31, 42), (7, 800, 100, 42), (8, 600, 255, 42),
                          (9, 3000, 20, 11), (10, 1, 31, None)])
def test_randomised_against_brute_force(seed: int, n: int, radius: int, substrings: int | None) -> None:
    rng = np.random.default_rng(seed)
    centres = rng.integers(0, 256, (max(1, n // 20), 32), dtype=np.uint8)
    codes = np.concatenate([near(np.repeat(centres, 10, axis=0), rng, 40),
                            rng.integers(0, 256, (n, 32), dtype=np.uint8)])[:n]
    queries = np.concatenate([near(codes[rng.choice(n, 50)], rng, radius + 3),
                              rng.integers(0, 256, (30, 32), dtype=np.uint8)])
    index = MihIndex(codes, radius, substrings)
    expected = brute(codes, queries, radius)
    assert both_paths(index, queries) == expected
    assert len(expected) >= 1
    if radius >= 12:                 # a smaller radius on the same index
        assert both_paths(index, queries, radius // 2) == brute(codes, queries, radius // 2)


def test_duplicates_listed_and_queried_in_any_order() -> None:
    """A hash listed 300 times and queried three times (same key in every table: the queries'
    key order ties), beside a query listed once: every copy for each query, each pair once."""
    rng = np.random.default_rng(12)
    codes = rng.integers(0, 256, (2000, 32), dtype=np.uint8)
    codes[100:400] = codes[50]
    queries = np.concatenate([codes[[50, 7]], codes[[50]], near(codes[[50]], rng, 9),
                              rng.integers(0, 256, (5, 32), dtype=np.uint8)])
    got = both_paths(MihIndex(codes, 31), queries)
    assert got == brute(codes, queries, 31)
    counts = np.bincount([q for q, _, _ in got], minlength=len(queries))
    assert counts[0] == counts[2] == 301 and counts[1] >= 1 and counts[3] == 301


def test_empty_index_and_no_queries() -> None:
    empty = MihIndex(np.zeros((0, 32), np.uint8), 31)
    assert rows(empty.search(np.zeros((4, 32), np.uint8))) == []
    index = MihIndex(np.random.default_rng(1).integers(0, 256, (50, 32), dtype=np.uint8), 31)
    assert rows(index.search(np.zeros((0, 32), np.uint8))) == []
    far = np.zeros((3, 32), np.uint8)                 # nothing within 31 of all-zeros in random codes
    assert both_paths(index, far) == brute(index.codes, far, 31) == []


def test_live_index_with_added_and_dead_rows(tmp_path: Path) -> None:
    """A derived index: the main one mapped from disk, hashes added near listed ones (found in the
    main index and the delta), rows removed in both; compiled and numpy agree with brute force."""
    rng = np.random.default_rng(13)
    codes = rng.integers(0, 256, (3000, 32), dtype=np.uint8)
    MihIndex(codes, 31).save(tmp_path / "ix")
    live = LiveIndex(MihIndex.open(tmp_path / "ix"))
    extra = np.concatenate([near(codes[:40], rng, 15), codes[:5]])      # near copies and exact duplicates
    live.add(extra)
    dead = [0, 1, 2, 3001, 3040]
    live.remove(np.array(dead))
    everything = np.concatenate([codes, extra])
    alive = np.ones(len(everything), bool)
    alive[dead] = False
    queries = np.concatenate([near(everything[:60], rng, 31), everything[3000:3010]])
    expected = brute(everything, queries, 31, alive)
    assert sorted(both_paths(live, queries)) == expected
    assert any(j >= 3000 for _, j, _ in expected) and any(j < 3000 for _, j, _ in expected)


def test_word_probes_cover_every_bucket_probe_once() -> None:
    """The word probes with their reach masks name exactly the buckets the plain plan probes
    (every key up to ``flips`` bits from the query's in each table), none twice."""
    rng = np.random.default_rng(14)
    for m, radius in [(11, 31), (12, 20), (16, 31), (42, 100), (10, 0)]:
        tables = plan_for(m, radius)
        table, high, word0, budget, reach = word_probes(tables)
        assert np.all(np.diff(table) >= 0)
        assert len(table) == sum(math.comb(t.bits - 6, h) for t in tables for h in range(min(t.flips, t.bits - 6) + 1))
        for k in range(reach.shape[0]):      # reach[k, low]: the values within k bits of low
            assert all(int(reach[k, low]).bit_count() == sum(math.comb(6, j) for j in range(min(k, 6) + 1))
                       for low in range(64))
        keys = substring_keys(rng.integers(0, 256, (3, 32), dtype=np.uint8), tables)
        bases = np.cumsum([0] + [1 << t.bits for t in tables])
        for i in range(keys.shape[1]):
            want = [int(bases[j]) + (int(keys[j, i]) ^ int(f)) for j, t in enumerate(tables)
                    for f in _flip_masks(t.bits, t.flips)]
            got = []
            for p in range(len(table)):
                key = int(keys[table[p], i])
                word = int(word0[p]) + ((key >> 6) ^ int(high[p]))
                mask = int(reach[budget[p], key & 63])
                got += [word * 64 + v for v in range(64) if mask >> v & 1]
            assert sorted(got) == sorted(want) and len(set(got)) == len(got)


def test_substrings_under_six_bits_are_refused() -> None:
    with pytest.raises(ValueError, match="under 6 bits"):
        MihIndex(np.zeros((10, 32), np.uint8), 31, 43)


def moved_for_table(code: np.ndarray, tables: list[Table], only: int, rng: np.random.Generator) -> np.ndarray:
    """``code`` with ``t_i`` bits moved in table ``only`` and ``t_j + 1`` in every other table
    ``j`` (all of a table's bits where it has fewer): findable through table ``only`` alone."""
    bits = np.unpackbits(code)
    for j, t in enumerate(tables):
        k = min(t.flips if j == only else t.flips + 1, t.bits)
        bits[t.start + rng.choice(t.bits, k, replace=False)] ^= 1
    return np.packbits(bits)


@pytest.mark.parametrize(("radius", "substrings"),
                         [(31, 11), (31, 14), (10, 11), (20, 12), (31, 16), (40, 13), (22, 23)])
def test_each_table_alone_finds_its_neighbours(radius: int, substrings: int) -> None:
    """For every table i, listed hashes reachable only through table i (pigeonhole-tight: at
    distance ``radius`` with table i exactly at its flip budget): a loop that skips any table, the
    last included, or that keeps a hit only where it was not first found, misses them."""
    rng = np.random.default_rng(15)
    n = 2000
    queries = rng.integers(0, 256, (30, 32), dtype=np.uint8)
    tables = plan_for(substrings, radius)
    owner = [(int(rng.integers(0, len(queries))), i) for i in range(len(tables)) for _ in range(5)]
    tight = np.array([moved_for_table(queries[q], tables, i, rng) for q, i in owner])
    codes = np.concatenate([tight, rng.integers(0, 256, (n, 32), dtype=np.uint8)])
    index = MihIndex(codes, radius, substrings)
    assert index.tables == tables
    got = both_paths(index, queries)
    assert got == brute(codes, queries, radius)
    found = {(q, j) for q, j, _ in got}
    for j, (q, i) in enumerate(owner):
        assert (q, j) in found, f"the neighbour only table {i} of {len(tables)} can find was missed"
        assert int(hamming(codes[j:j + 1], queries[q:q + 1])[0]) <= radius


def test_many_copies_many_queries_each_pair_once() -> None:
    """A hash listed 3,000 times, queried 200 times and found on every table: each pair once,
    in order (the loop keeps a hit only in its first table)."""
    rng = np.random.default_rng(16)
    codes = rng.integers(0, 256, (6000, 32), dtype=np.uint8)
    codes[:3000] = codes[0]
    queries = np.repeat(codes[:1], 200, axis=0)
    qi, li, d = MihIndex(codes, 31).search(queries)
    assert len(qi) == 200 * 3000
    assert np.array_equal(qi, np.repeat(np.arange(200), 3000))
    assert np.array_equal(li, np.tile(np.arange(3000), 200)) and not d.any()


def test_bad_radius_and_too_few_substrings_are_refused() -> None:
    codes = np.random.default_rng(17).integers(0, 256, (100, 32), dtype=np.uint8)
    with pytest.raises(ValueError, match="negative"):
        MihIndex(codes, -1)
    with pytest.raises(ValueError, match="negative"):
        MihIndex(codes, 31).search(codes[:2], -1)
    for m in (1, 8, 9, 10):
        with pytest.raises(ValueError, match="over 24 bits"):
            MihIndex(codes, 31, m)
    assert MihIndex(codes, 31, 11).m == 11
