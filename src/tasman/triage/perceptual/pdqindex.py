"""Range search over PDQ hashes: every listed hash within Hamming distance ``radius`` of a query.

:class:`MihIndex`, the default, is multi-index hashing (Norouzi et al.): the 256 bits are cut
into ``m`` substrings and table ``i`` is probed with every key up to ``t_i`` flips from the
query's substring. If no substring were that close, the distance would be at least
``sum(t_i + 1)``; the plan keeps that sum at ``radius + 1`` (so some tables get one flip fewer
than ``radius // m``: 11 substrings at r=31 are ten probed with 2 flips and one with 1), which
makes the search exact (recall 1.0) with the fewest probes. Each candidate is verified with a
popcount. ``m`` is chosen from a cost model of this implementation (probes and verified
candidates, microseconds measured in ``bench/match.py``).

Layout: all tables live in flat arrays, one table after another: ``bitmap`` (a bit a bucket:
is it non-empty; 1-2 MiB a table, so it stays in the CPU cache), ``rank`` (non-empty buckets
before each 64-bucket word), ``starts`` (where each non-empty bucket begins in ``order``) and
``order`` (each table's listed positions in bucket order), plus the codes. A batch of queries is
answered in a few vectorised passes over every table's probes at once: the bitmap drops empty
buckets, a popcount of the word below a probe gives its rank and so its range, the candidates
are expanded and verified with one 32-byte gather and a popcount. That is numpy's path (the
reference); the compiled loop (``mihkernel``) reads the same arrays table by table, a bitmap word
a probe (``word_probes``), so one table's bitmap stays in the core's cache. The arrays are plain ``.npy``
files: :meth:`MihIndex.save` writes them,
:meth:`MihIndex.open` maps them read-only (numpy memmap), so every worker that opens the same
folder shares one copy in the page cache. :class:`LiveIndex` is a mapped main index plus a
small in-memory delta index for added hashes and a tombstone bitmap for removed ones, so a
list that changes by a few percent is not rebuilt (``indexcache`` decides when to merge).
:class:`FaissIndex` wraps FAISS ``IndexBinaryMultiHash`` (the peer in ``bench/match.py``; also
selectable with ``index="faiss"``)."""

from __future__ import annotations

import functools
import itertools
import json
import math
import os
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FORMAT = 2                    # the on-disk layout; a folder written by another layout is never opened
MAX_BUCKET_BITS = 24          # 2^24 offsets a table at most
PROBE_COST, CANDIDATE_COST = 0.0038, 0.0324   # CPU microseconds a bucket probe / a candidate: the compiled
                                               # loop at 1M (21 us a lookup) and 10M (121 us), 11 substrings
ARRAYS = ("bitmap", "rank", "starts", "order")
BATCH = 1024                  # queries a pass (bounds the temporary arrays: ~3,000 probes a query)
Hits = tuple[np.ndarray, np.ndarray, np.ndarray]   # query index, listed index, distance


class PdqIndex(ABC):
    name: str

    @abstractmethod
    def search(self, queries: np.ndarray, radius: int | None = None) -> Hits:
        """All (query, listed, distance) with distance <= radius; queries is (q, 32) uint8."""

    @staticmethod
    def empty() -> Hits:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int32)


@dataclass(frozen=True)
class Table:
    start: int      # first bit (0 = the top bit of the first byte)
    bits: int
    flips: int      # probed with every key up to this many bits from the query's


def _split(m: int) -> list[int]:
    return [256 // m + (1 if i < 256 % m else 0) for i in range(m)]


def _probes(bits: int, flips: int) -> int:
    return sum(math.comb(bits, k) for k in range(flips + 1))


def plan_for(m: int, radius: int) -> list[Table]:
    """``m`` substrings whose flips add up to ``radius + 1`` tables-worth (pigeonhole): the extra
    flips go to the shortest substrings (fewest probes); a table with no flip budget is left out."""
    bits = _split(m)
    base, extra = divmod(radius + 1, m)
    flips = [base - 1] * (m - extra) + [base] * extra       # _split puts the longer substrings first
    starts = [sum(bits[:i]) for i in range(m)]
    return [Table(s, b, f) for s, b, f in zip(starts, bits, flips, strict=True) if f >= 0]


def estimate(n: int, m: int, radius: int) -> float:
    """Microseconds a query for this implementation (the cost model that picks ``m``)."""
    tables = plan_for(m, radius)
    probes = sum(_probes(t.bits, t.flips) for t in tables)
    candidates = sum(_probes(t.bits, t.flips) * n / 2.0 ** t.bits for t in tables)
    return PROBE_COST * probes + CANDIDATE_COST * candidates


def choose_substrings(n: int, radius: int) -> int:
    limit = max(12, min(MAX_BUCKET_BITS, math.ceil(math.log2(max(n, 2))) + 4))
    options = [m for m in range(8, 43) if max(_split(m)) <= limit]    # 6 bits or more: whole bitmap words
    return min(options, key=lambda m: estimate(n, m, radius))


def _flip_masks(bits: int, flips: int) -> np.ndarray:
    masks = [0]
    for k in range(1, flips + 1):
        masks.extend(sum(1 << j for j in combo) for combo in itertools.combinations(range(bits), k))
    return np.array(masks, dtype=np.int64)


def word_probes(tables: list[Table]) -> tuple[np.ndarray, ...]:
    """The compiled loop's probes, a bitmap word each (``mihkernel``): for every table (in
    order) and every way of flipping up to ``flips`` of its bits above the low 6, the table,
    those bits (as a word offset), the table's first bitmap word and the flips left for the low
    6 bits; then ``reach`` (flips + 1, 64) uint64, bit ``v`` of ``reach[k, low]`` set when ``v``
    is within ``k`` bits of ``low``. A 6-bit table is one word: one probe, every flip in ``reach``."""
    table, high, word0, budget = [], [], [], []
    first = 0
    for j, t in enumerate(tables):
        above = t.bits - 6
        for h in range(min(t.flips, above) + 1):
            for combo in itertools.combinations(range(above), h):
                table.append(j)
                high.append(sum(1 << b for b in combo))
                word0.append(first)
                budget.append(t.flips - h)
        first += (1 << t.bits) // 64
    flips = max((t.flips for t in tables), default=0)
    near = np.bitwise_count(np.arange(64)[:, None] ^ np.arange(64)[None, :])     # (low, v) distance
    reach = np.array([[sum(1 << v for v in np.flatnonzero(near[low] <= k).tolist()) for low in range(64)]
                      for k in range(flips + 1)], dtype=np.uint64)
    return (np.array(table, np.int64), np.array(high, np.int64), np.array(word0, np.int64),
            np.array(budget, np.int64), reach)


def table_masks(tables: list[Table]) -> tuple[np.ndarray, np.ndarray]:
    """Each table's bits as a mask over a code's four uint64 words, (m, 4) uint64, and its flips,
    (m,) int64: ``popcount((listed ^ query) & mask)`` is the two substrings' distance (the compiled
    loop keeps a hit only in the first table where that is within the flips)."""
    masks = np.zeros((len(tables), 256), dtype=np.uint8)
    for j, t in enumerate(tables):
        masks[j, t.start:t.start + t.bits] = 1
    return (np.packbits(masks, axis=1).view(np.uint64).reshape(-1, 4).copy(),
            np.array([t.flips for t in tables], dtype=np.int64))


def substring_keys(codes: np.ndarray, tables: list[Table], chunk: int = 1 << 20) -> np.ndarray:
    """(len(tables), n) int64: each table's substring of each code as an integer key."""
    out = np.empty((len(tables), len(codes)), dtype=np.int64)
    for lo in range(0, len(codes), chunk):
        part = codes[lo:lo + chunk]
        padded = np.zeros((len(part), 40), dtype=np.uint8)
        padded[:, :32] = part
        for j, t in enumerate(tables):
            byte, shift = divmod(t.start, 8)
            window = padded[:, byte:byte + 8].copy().view(">u8").ravel().astype(np.uint64)
            out[j, lo:lo + len(part)] = (window >> np.uint64(64 - shift - t.bits)) & np.uint64((1 << t.bits) - 1)
    return out


def _within(codes: np.ndarray, rows: np.ndarray, queries: np.ndarray, qrows: np.ndarray,
            radius: int) -> tuple[np.ndarray, np.ndarray]:
    """Which pairs (listed ``rows``, queries ``qrows``; codes and queries as ``V32`` items) are
    within ``radius``, and their distances. The four words' popcounts are summed as the bytes of
    one 32-bit integer (a multiply): that sum is exact except 256, which wraps to 0, so the few
    pairs it lets through are summed again exactly."""
    a = codes.take(rows).view(np.uint64).reshape(-1, 4)
    np.bitwise_xor(a, queries.take(qrows).view(np.uint64).reshape(-1, 4), out=a)
    counts = np.bitwise_count(a)                       # (n, 4) uint8, each at most 64
    packed = counts.view(np.uint32).reshape(-1) * np.uint32(0x01010101)
    packed >>= np.uint32(24)
    near = np.flatnonzero(packed <= radius)
    exact = counts[near].sum(axis=1, dtype=np.int32)
    keep = exact <= radius
    return near[keep], exact[keep]


def _expand(lo: np.ndarray, sizes: np.ndarray, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every position of each bucket (``lo``, ``sizes``) with its bucket's owner: the first
    positions at once, the second ones of the buckets holding two or more, ... for small
    buckets (most of them), then one repeat for what is left of the large ones."""
    positions, owners = [lo], [owner]
    rest = np.flatnonzero(sizes > 1)
    k = 1
    while len(rest) and k < 4:
        positions.append(lo[rest] + k)
        owners.append(owner[rest])
        k += 1
        rest = rest[sizes[rest] > k]
    if len(rest):
        left = sizes[rest] - k
        ends = np.cumsum(left)
        positions.append(np.repeat(lo[rest] + k - (ends - left), left) + np.arange(int(ends[-1])))
        owners.append(np.repeat(owner[rest], left))
    if len(positions) == 1:
        return lo, owner
    return np.concatenate(positions), np.concatenate(owners)


def _build_tables(codes: np.ndarray, tables: list[Table]) -> tuple[np.ndarray, ...]:
    """The flat arrays of every table, one table after another: ``bitmap`` (a bit a bucket: is it
    non-empty), ``rank`` (non-empty buckets before each 64-bucket word), ``starts`` (where each
    non-empty bucket's positions begin in ``order``, plus an end) and ``order``."""
    n = len(codes)
    wide = len(tables) * n >= 2**31
    order = np.empty(len(tables) * n, dtype=np.int64 if n >= 2**31 else np.int32)
    bitmaps, ranks, starts = [], [], []
    seen = 0
    for j, t in enumerate(tables):      # one table at a time: 8 bytes a hash of temporary keys
        k = substring_keys(codes, [t])[0]
        if n < 2**32:   # a sort of (key, position) pairs as one integer: ~9x faster than argsort
            order[j * n:(j + 1) * n] = np.sort((k << 32) | np.arange(n, dtype=np.int64)) & 0xFFFFFFFF
        else:
            order[j * n:(j + 1) * n] = np.argsort(k)
        counts = np.bincount(k, minlength=1 << t.bits)
        full = counts > 0
        bitmaps.append(np.packbits(full, bitorder="little").view(np.uint64))
        per_word = np.bitwise_count(bitmaps[-1]).astype(np.int64)
        ranks.append(seen + np.cumsum(per_word) - per_word)
        sizes = counts[full]
        starts.append(j * n + np.cumsum(sizes) - sizes)
        seen += len(sizes)
    starts.append(np.array([len(tables) * n]))
    return (np.concatenate(bitmaps) if bitmaps else np.zeros(0, np.uint64),
            np.concatenate(ranks).astype(np.int64 if wide else np.int32) if ranks else np.zeros(0, np.int32),
            np.concatenate(starts).astype(np.int64 if wide else np.int32), order)


def _read_only(a: np.ndarray) -> np.ndarray:
    view = np.asarray(a).view()
    view.flags.writeable = False
    return view


@functools.cache
def compiled() -> Callable[..., Hits] | None:
    """The compiled search loop (``mihkernel``), or None where numba cannot be imported: then
    the numpy passes below answer (the same pairs, 2-3x slower)."""
    try:
        from tasman.triage.perceptual.mihkernel import mih_search
    except ImportError:                 # pragma: no cover - numba is a dependency
        return None
    return mih_search


class MihIndex(PdqIndex):
    name = "mih"
    use_compiled = True         # False: numpy's passes (the reference the tests compare with)

    def __init__(self, codes: np.ndarray, radius: int = 31, substrings: int | None = None) -> None:
        codes = np.ascontiguousarray(codes, dtype=np.uint8).reshape(-1, 32)
        n = len(codes)
        if radius < 0:
            raise ValueError(f"radius {radius} is negative: use 0 or more")
        tables = plan_for(substrings or choose_substrings(n, radius), radius)
        if min(t.bits for t in tables) < 6:
            raise ValueError(f"{substrings} substrings are under 6 bits each: use at most 42")
        if max(t.bits for t in tables) > MAX_BUCKET_BITS:
            raise ValueError(f"{substrings} substrings are over {MAX_BUCKET_BITS} bits each: use at least 11")
        self._setup(codes, radius, tables, *_build_tables(codes, tables))

    def _setup(self, codes: np.ndarray, radius: int, tables: list[Table], bitmap: np.ndarray, rank: np.ndarray,
               starts: np.ndarray, order: np.ndarray) -> None:
        self.codes, self.radius, self.tables = codes, radius, tables
        self.words = codes.view(np.uint64).reshape(-1, 4)
        self.bitmap, self.rank, self.starts, self.order = bitmap, rank, starts, order
        self._bytes = bitmap.view(np.uint8)
        self._rows = codes.view("V32").reshape(-1)      # a code as one item: one copy a gather
        self.m = len(tables)
        self.flips = max((t.flips for t in tables), default=0)
        bases = np.cumsum([0] + [1 << t.bits for t in tables])
        flips = [_flip_masks(t.bits, t.flips) for t in tables]
        self._masks = [f + bases[j] for j, f in enumerate(flips)]
        self._width = sum(len(m) for m in self._masks)
        # the compiled loop's view: its word probes and reach masks (``word_probes``); every
        # array read-only (a mapped index and one built in memory share one compiled version)
        self._probes = tuple(_read_only(a) for a in word_probes(tables) + table_masks(tables))
        self._arrays = tuple(_read_only(a) for a in (bitmap, rank, starts, order, self.words))

    def __len__(self) -> int:
        return len(self.codes)

    # ---------------------------------------------------------------- files
    def save(self, folder: Path) -> None:
        """The index as ``.npy`` files and ``index.json`` in ``folder`` (created; not replaced)."""
        folder.mkdir(parents=True, exist_ok=False, mode=0o700)
        np.save(folder / "codes.npy", self.codes)
        for name in ARRAYS:
            np.save(folder / f"{name}.npy", getattr(self, name))
        meta = {"format": FORMAT, "radius": self.radius, "n": len(self.codes),
                "tables": [[t.start, t.bits, t.flips] for t in self.tables]}
        (folder / "index.json").write_text(json.dumps(meta), encoding="utf-8")
        for f in folder.iterdir():
            os.chmod(f, 0o600)

    @classmethod
    def open(cls, folder: Path, mmap: bool = True) -> MihIndex:
        """An index saved by :meth:`save`, its arrays memory-mapped read-only (shared between
        processes) unless ``mmap`` is false. A folder of another layout raises ``ValueError``."""
        meta = json.loads((folder / "index.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            raise ValueError(f"{folder} holds a PDQ index of another layout ({meta.get('format')})")
        codes = np.load(folder / "codes.npy", mmap_mode="r" if mmap else None)
        bitmap, rank, starts, order = (np.load(folder / f"{name}.npy", mmap_mode="r" if mmap else None)
                                       for name in ARRAYS)
        tables = [Table(*t) for t in meta["tables"]]
        words = sum(1 << t.bits for t in tables) // 64
        if codes.shape != (meta["n"], 32) or len(order) != len(tables) * meta["n"] \
                or len(bitmap) != words or len(rank) != words or starts[-1] != len(order):
            raise ValueError(f"{folder} holds an incomplete PDQ index")
        self = cls.__new__(cls)
        self._setup(codes, int(meta["radius"]), tables, bitmap, rank, starts, order)
        return self

    # ---------------------------------------------------------------- search
    def search(self, queries: np.ndarray, radius: int | None = None) -> Hits:
        radius = self.radius if radius is None else radius
        if radius > self.radius:
            raise ValueError(f"radius {radius} exceeds the radius {self.radius} this index was built for")
        if radius < 0:
            raise ValueError(f"radius {radius} is negative: use 0 or more")
        queries = np.ascontiguousarray(queries, dtype=np.uint8).reshape(-1, 32)
        if not len(queries) or not len(self.codes):
            return self.empty()
        kernel = compiled() if self.use_compiled else None
        if kernel is not None:
            keys = substring_keys(queries, self.tables)
            return kernel(keys, queries.view(np.uint64).reshape(-1, 4), *self._probes, *self._arrays, radius)
        parts = [self._search(queries[lo:lo + BATCH], radius) for lo in range(0, len(queries), BATCH)]
        if len(parts) == 1:
            return parts[0]
        return (np.concatenate([p[0] + i * BATCH for i, p in enumerate(parts)]),
                np.concatenate([p[1] for p in parts]), np.concatenate([p[2] for p in parts]))

    def _search(self, queries: np.ndarray, radius: int) -> Hits:
        q = len(queries)
        keys = substring_keys(queries, self.tables)
        grid = np.empty((q, self._width), dtype=np.int32)     # bucket numbers: under 2^30 in all
        col = 0
        for j, masks in enumerate(self._masks):
            np.bitwise_xor(keys[j][:, None], masks[None, :], out=grid[:, col:col + len(masks)], casting="unsafe")
            col += len(masks)
        probes = grid.ravel()
        # level 1: the bitmap of non-empty buckets (a bit a bucket: a few MiB, it stays in cache)
        found = self._bytes.take(probes >> 3)
        np.right_shift(found, (probes & 7).astype(np.uint8), out=found)
        np.bitwise_and(found, 1, out=found)
        hit = np.flatnonzero(found.view(bool))
        if not len(hit):
            return self.empty()
        # level 2: a non-empty bucket's rank (non-empty buckets before it) gives its start and
        # end in ``order``
        at = probes[hit]
        word_at = at >> 6
        below = self.bitmap.take(word_at)
        below &= (np.uint64(1) << (at & 63).astype(np.uint64)) - np.uint64(1)
        ranks = self.rank.take(word_at).astype(np.int64) + np.bitwise_count(below)
        pair = np.empty(2 * len(ranks), dtype=np.int64)
        pair[0::2], pair[1::2] = ranks, ranks + 1
        bounds = self.starts.take(pair)
        lo = bounds[0::2]
        sizes = bounds[1::2] - lo
        positions, qi = _expand(lo, sizes, hit // self._width)
        li = self.order.take(positions).astype(np.int64)
        keep, dist = _within(self._rows, li, queries.view("V32").reshape(-1), qi, radius)
        qi, li = qi[keep], li[keep]
        if len(qi) > 1:   # a neighbour close on several substrings is found several times
            _, first = np.unique(qi * len(self.codes) + li, return_index=True)
            qi, li, dist = qi[first], li[first], dist[first]
        return qi, li, dist


class LiveIndex(PdqIndex):
    """A main index (usually mapped from disk) with hashes added since in a small in-memory
    :class:`MihIndex` and removed ones in a tombstone bitmap. Positions: the main index's
    ``0..len(main)-1``, then the added hashes'; a removed position is never returned."""

    name = "mih"

    def __init__(self, main: MihIndex, added: np.ndarray | None = None, dead: np.ndarray | None = None) -> None:
        self.main = main
        self.radius = main.radius
        self.added = np.zeros((0, 32), np.uint8) if added is None else \
            np.ascontiguousarray(added, np.uint8).reshape(-1, 32)
        self.dead = np.zeros(len(self), dtype=bool) if dead is None else np.array(dead, dtype=bool)
        if len(self.dead) != len(self):
            raise ValueError("the tombstone bitmap does not fit the index")
        self.delta = MihIndex(self.added, self.radius) if len(self.added) else None

    @property
    def m(self) -> int:
        return self.main.m

    def __len__(self) -> int:
        return len(self.main) + len(self.added)

    @property
    def live(self) -> int:
        return len(self) - int(self.dead.sum())

    @property
    def codes(self) -> np.ndarray:
        """Every position's code (removed ones included), as one array (a copy when there is a delta)."""
        return self.main.codes if not len(self.added) else np.concatenate([self.main.codes, self.added])

    def add(self, codes: np.ndarray) -> np.ndarray:
        """Adds hashes to the delta (rebuilt: it stays small); returns their positions."""
        codes = np.ascontiguousarray(codes, dtype=np.uint8).reshape(-1, 32)
        first = len(self)
        self.added = np.concatenate([self.added, codes])
        self.dead = np.concatenate([self.dead, np.zeros(len(codes), bool)])
        self.delta = MihIndex(self.added, self.radius) if len(self.added) else None
        return np.arange(first, first + len(codes), dtype=np.int64)

    def remove(self, positions: np.ndarray) -> None:
        """Tombstones positions (main or added)."""
        positions = np.asarray(positions, dtype=np.int64)
        if len(positions) and (positions.min() < 0 or positions.max() >= len(self)):
            raise ValueError("position out of range")
        self.dead[positions] = True

    def search(self, queries: np.ndarray, radius: int | None = None) -> Hits:
        qi, li, dist = self.main.search(queries, radius)
        if self.delta is not None:
            dq, dl, dd = self.delta.search(queries, radius)
            qi, li, dist = np.concatenate([qi, dq]), np.concatenate([li, dl + len(self.main)]), \
                np.concatenate([dist, dd])
        if len(li) and self.dead.any():
            keep = ~self.dead[li]
            qi, li, dist = qi[keep], li[keep], dist[keep]
        return qi, li, dist


class FaissIndex(PdqIndex):
    """FAISS IndexBinaryMultiHash: exact at ``radius`` when ``nflip >= radius // nhash``."""

    name = "faiss"

    def __init__(self, codes: np.ndarray, radius: int = 31, nhash: int = 16, bits: int = 16) -> None:
        import faiss

        self.radius = radius
        self.index = faiss.IndexBinaryMultiHash(256, nhash, bits)
        self.index.nflip = radius // nhash
        if len(codes):
            self.index.add(np.ascontiguousarray(codes, dtype=np.uint8).reshape(-1, 32))

    def search(self, queries: np.ndarray, radius: int | None = None) -> Hits:
        radius = self.radius if radius is None else radius
        queries = np.ascontiguousarray(queries, dtype=np.uint8).reshape(-1, 32)
        if not len(queries) or self.index.ntotal == 0:
            return self.empty()
        lims, dist, ids = self.index.range_search(queries, radius + 1)   # FAISS: distance < threshold
        qi = np.repeat(np.arange(len(queries)), np.diff(lims).astype(np.int64))
        return qi.astype(np.int64), ids.astype(np.int64), dist.astype(np.int32)


def build_index(codes: np.ndarray, radius: int, kind: str = "mih") -> PdqIndex:
    if kind == "mih":
        return MihIndex(codes, radius)
    if kind == "faiss":
        return FaissIndex(codes, radius)
    raise ValueError(f"unknown PDQ index {kind!r}: use 'mih' or 'faiss'")
