"""Range search over PDQ hashes: every listed hash within Hamming distance ``radius`` of a query.

:class:`MihIndex`, the default, is multi-index hashing (Norouzi et al.): the 256 bits are cut
into ``m`` substrings; by the pigeonhole principle a hash within distance r of the query agrees
with it to within ``r // m`` bits on at least one substring, so probing every substring's table
with all keys at most ``r // m`` flips away finds every neighbour (recall 1.0, exact), and each
candidate is verified with a popcount. ``m`` is chosen from a cost model of this implementation
(probes are cheap, verified candidates cost ~6x more): 11 substrings of 23-24 bits for r=31 on
a million hashes, against FAISS ``IndexBinaryMultiHash``'s usual 16 x 16 bits with one flip,
which verifies ~13x more candidates. Tables are direct-addressed (CSR offsets) and a batch of
queries is processed in a handful of vectorised numpy passes. :class:`FaissIndex` wraps FAISS
``IndexBinaryMultiHash`` (the peer in ``bench/match.py``; also selectable with ``index="faiss"``)."""

from __future__ import annotations

import itertools
import math
from abc import ABC, abstractmethod

import numpy as np

MAX_BUCKET_BITS = 24          # 2^24 int32 offsets = 64 MiB a table
PROBE_COST, CANDIDATE_COST = 0.036, 0.23    # microseconds, measured for MihIndex (bench/match.py)
Hits = tuple[np.ndarray, np.ndarray, np.ndarray]   # query index, listed index, distance


class PdqIndex(ABC):
    name: str

    @abstractmethod
    def search(self, queries: np.ndarray, radius: int | None = None) -> Hits:
        """All (query, listed, distance) with distance <= radius; queries is (q, 32) uint8."""

    @staticmethod
    def empty() -> Hits:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int32)


def _split(m: int) -> list[int]:
    return [256 // m + (1 if i < 256 % m else 0) for i in range(m)]


def _probes(bits: int, flips: int) -> int:
    return sum(math.comb(bits, k) for k in range(flips + 1))


def estimate(n: int, m: int, radius: int) -> float:
    """Microseconds a query for this implementation (the cost model that picks ``m``)."""
    flips = radius // m
    probes = sum(_probes(b, flips) for b in _split(m))
    candidates = sum(_probes(b, flips) * n / 2.0 ** b for b in _split(m))
    return PROBE_COST * probes + CANDIDATE_COST * candidates


def choose_substrings(n: int, radius: int) -> int:
    limit = max(12, min(MAX_BUCKET_BITS, math.ceil(math.log2(max(n, 2))) + 4))
    options = [m for m in range(8, 65) if max(_split(m)) <= limit]
    return min(options, key=lambda m: estimate(n, m, radius))


def _flip_masks(bits: int, flips: int) -> np.ndarray:
    masks = [0]
    for k in range(1, flips + 1):
        masks.extend(sum(1 << j for j in combo) for combo in itertools.combinations(range(bits), k))
    return np.array(masks, dtype=np.int64)


class MihIndex(PdqIndex):
    name = "mih"

    def __init__(self, codes: np.ndarray, radius: int = 31, substrings: int | None = None) -> None:
        self.codes = np.ascontiguousarray(codes, dtype=np.uint8).reshape(-1, 32)
        self.words = self.codes.view(np.uint64)
        self.radius = radius
        n = len(self.codes)
        self.m = substrings or choose_substrings(n, radius)
        self.bits = _split(self.m)
        self.starts = [sum(self.bits[:t]) for t in range(self.m)]
        self.flips = radius // self.m
        self.tables: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for t, b in enumerate(self.bits):   # one table at a time: 8 bytes a hash of temporary keys
            k = self._keys(self.codes, [t])[0]
            order = np.argsort(k).astype(np.int32 if n < 2**31 else np.int64)   # order in a bucket is free
            offsets = np.zeros((1 << b) + 1, dtype=np.int64 if n >= 2**31 else np.int32)
            np.cumsum(np.bincount(k, minlength=1 << b), out=offsets[1:])
            self.tables.append((order, offsets, _flip_masks(b, self.flips)))

    def _keys(self, codes: np.ndarray, tables: list[int] | None = None, chunk: int = 1 << 20) -> list[np.ndarray]:
        """Each substring of each code as an integer key, one array a table (all tables by default)."""
        tables = list(range(self.m)) if tables is None else tables
        out = [np.empty(len(codes), dtype=np.int64) for _ in tables]
        for lo in range(0, len(codes), chunk):
            part = codes[lo:lo + chunk]
            padded = np.zeros((len(part), 40), dtype=np.uint8)
            padded[:, :32] = part
            for j, t in enumerate(tables):
                byte, shift = divmod(self.starts[t], 8)
                b = self.bits[t]
                window = padded[:, byte:byte + 8].copy().view(">u8").ravel().astype(np.uint64)
                out[j][lo:lo + len(part)] = (window >> np.uint64(64 - shift - b)) & np.uint64((1 << b) - 1)
        return out

    def search(self, queries: np.ndarray, radius: int | None = None) -> Hits:
        radius = self.radius if radius is None else radius
        if radius > self.radius:
            raise ValueError(f"radius {radius} exceeds the radius {self.radius} this index was built for")
        queries = np.ascontiguousarray(queries, dtype=np.uint8).reshape(-1, 32)
        if not len(queries) or not len(self.codes):
            return self.empty()
        qkeys = self._keys(queries)
        found_q: list[np.ndarray] = []
        found_i: list[np.ndarray] = []
        for t, (order, offsets, masks) in enumerate(self.tables):
            probes = (qkeys[t][:, None] ^ masks[None, :]).ravel()
            lo = offsets[probes].astype(np.int64)
            sizes = offsets[probes + 1] - lo
            total = int(sizes.sum())
            if total == 0:
                continue
            ends = np.cumsum(sizes)
            positions = np.repeat(lo - (ends - sizes), sizes) + np.arange(total, dtype=np.int64)
            found_i.append(order[positions])
            found_q.append(np.repeat(np.repeat(np.arange(len(queries)), len(masks)), sizes))
        if not found_i:
            return self.empty()
        qi = np.concatenate(found_q)
        li = np.concatenate(found_i).astype(np.int64)
        dist = np.bitwise_count(self.words[li] ^ queries.view(np.uint64)[qi]).sum(axis=1, dtype=np.int32)
        keep = dist <= radius
        qi, li, dist = qi[keep], li[keep], dist[keep]
        if len(qi) > 1:   # a neighbour close on several substrings is found several times
            pair = qi * len(self.codes) + li
            _, first = np.unique(pair, return_index=True)
            qi, li, dist = qi[first], li[first], dist[first]
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
