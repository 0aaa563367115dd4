# mypy: ignore-errors
# (numba compiles this module with its own typing: numpy scalars, intrinsics that mypy cannot follow)
"""The compiled search loop of :class:`~tasman.triage.perceptual.pdqindex.MihIndex` (numba).

Laid out for the cache, not for the order of the questions:

- **Table by table.** Every query of the call is run against one table before the next, so the
  reads of a pass stay within one table's arrays: its bitmap (1-2 MiB: it stays in the core's
  L2) and, at 10,000,000 hashes, its ~40 MiB of ``starts`` and ``order`` (in the shared L3)
  instead of the whole ~1 GiB index. Within a table the queries go in key order, so their reads
  walk the table forwards. A hit is kept only in the first table where it is a candidate (its
  substring within that table's flips; checked with the tables' bit masks), so each pair is held
  once and memory follows the output, not substrings x output; at the end the pairs are put in
  query order (a counting sort) and each query's by listed position.
- **A bitmap word a probe.** A probe flips bits above a key's low 6 bits; the low 6 bits pick a
  bucket within one 64-bit bitmap word, so every probe that flips the same high bits reads the
  same word. ``reach[k, low]`` masks the buckets of a word within ``k`` flips of ``low``: one
  read answers for up to 22 buckets (11 substrings at radius 31: 1,595 word reads a query for
  2,843 bucket probes).
- **Tight loops.** Each step (bitmap words, the non-empty buckets' ranks, their ranges in
  ``order``, the candidates, the distance test) is its own loop over independent reads, so the
  CPU keeps many in flight; the tests write unconditionally and advance a counter by their
  outcome (no branch to mispredict), and a bucket's first entry is taken without a loop (most
  buckets hold one).

numpy's path in ``pdqindex`` gives the same answers in the same order (the tests compare both
with brute force); ``bench/match.py`` times both. Compiled on first use and cached on disk
(``cache=True``; numba falls back to a per-user cache folder where the package's own is not
writable). Arrays are passed read-only, so a memory-mapped index and an index built in memory
share one compiled version per integer width."""

from __future__ import annotations

from typing import Any

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic


@intrinsic
def _popcount(typingctx: Any, x: Any) -> Any:
    """``llvm.ctpop.i64``: the CPU's popcount instruction."""
    sig = types.int64(types.uint64)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        fn = builder.module.declare_intrinsic("llvm.ctpop", [ir.IntType(64)])
        return builder.call(fn, [args[0]])

    return sig, codegen


@njit(cache=True, nogil=True, boundscheck=False)
def mih_search(keys: np.ndarray, qwords: np.ndarray, table: np.ndarray, high: np.ndarray, word0: np.ndarray,
               budget: np.ndarray, reach: np.ndarray, masks: np.ndarray, flips: np.ndarray, bitmap: np.ndarray,
               rank: np.ndarray, starts: np.ndarray, order: np.ndarray, words: np.ndarray,
               radius: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(query, listed, distance) of every pair within ``radius``, by query then listed position.

    ``keys`` (m, q) int64: each table's substring key of each query; ``qwords`` (q, 4) uint64:
    the queries; ``table``, ``high``, ``word0``, ``budget`` (word probes,): each word probe's
    table (ascending), the bits it flips above the key's low 6, its table's first bitmap word and
    the flips left for the low 6 bits; ``reach`` (flips + 1, 64) uint64: ``reach[k, low]`` has
    bit ``v`` set when ``v`` is within ``k`` flips of ``low``; ``masks`` (m, 4) uint64 and
    ``flips`` (m,): each table's bits (in the words' layout) and flip budget; the rest are the
    index's arrays (``words`` (n, 4) uint64)."""
    m = keys.shape[0]
    q = keys.shape[1]
    width = table.shape[0]
    first = np.zeros(m + 1, np.int64)           # each table's word probes: first[t]..first[t + 1]
    for p in range(width):
        first[table[p] + 1] = p + 1
    for t in range(1, m + 1):
        first[t] = max(first[t], first[t - 1])
    most = 1                                    # the most buckets one table's probes can name
    for t in range(m):
        named = 0
        for p in range(first[t], first[t + 1]):
            named += _popcount(reach[budget[p], 0])
        most = max(most, named)
    cap = 1024
    hit_q = np.empty(cap, np.int64)             # a hit's query, and its listed position << 9 | distance
    hit_ld = np.empty(cap, np.int64)
    per_query = np.zeros(q + 1, np.int64)
    n_out = 0
    at = np.empty(width + 1, np.int64)
    found = np.empty(width + 1, np.uint64)
    lo = np.empty(most, np.int64)
    hi = np.empty(most, np.int64)
    cand = np.empty(4096, np.int64)
    dist = np.empty(4096, np.int32)
    one = np.uint64(1)
    for t in range(m):                          # every query against one table, then the next
        p0, p1 = first[t], first[t + 1]
        by_key = np.argsort(keys[t])            # queries in key order: their reads walk the table forwards
        for j in range(q):
            i = by_key[j]
            key = keys[t, i]
            key_high = key >> 6
            key_low = key & 63
            # 1: one bitmap word a probe, masked to the buckets within the flips left for the low bits
            n_words = 0
            for p in range(p0, p1):
                w = word0[p] + (key_high ^ high[p])
                bits = bitmap[w] & reach[budget[p], key_low]
                at[n_words] = w
                found[n_words] = bits
                n_words += bits != 0
            # 2: each non-empty probed bucket's rank among the non-empty ones
            n_buckets = 0
            for k in range(n_words):
                w = at[k]
                bits = found[k]
                full = bitmap[w]
                base = np.int64(rank[w])
                while bits:
                    lowest = bits & (~bits + one)
                    lo[n_buckets] = base + _popcount(full & (lowest - one))
                    n_buckets += 1
                    bits ^= lowest
            # 3: their ranges in ``order``, the candidates' listed positions
            total = np.int64(0)
            for k in range(n_buckets):
                r = lo[k]
                s = np.int64(starts[r])
                e = np.int64(starts[r + 1])
                lo[k] = s
                hi[k] = e
                total += e - s
            if total > cand.shape[0]:
                cand = np.empty(max(total, 2 * cand.shape[0]), np.int64)
                dist = np.empty(cand.shape[0], np.int32)
            for k in range(n_buckets):          # the first of each bucket (most hold one), then the rest
                cand[k] = order[lo[k]]
            n_cand = n_buckets
            for k in range(n_buckets):
                for pos in range(lo[k] + 1, hi[k]):
                    cand[n_cand] = order[pos]
                    n_cand += 1
            # 4: verify; the hits are written over the front of ``cand`` (never past the one read)
            q0, q1, q2, q3 = qwords[i, 0], qwords[i, 1], qwords[i, 2], qwords[i, 3]
            n_hit = 0
            for k in range(n_cand):
                c = cand[k]
                d = _popcount(words[c, 0] ^ q0) + _popcount(words[c, 1] ^ q1) + \
                    _popcount(words[c, 2] ^ q2) + _popcount(words[c, 3] ^ q3)
                cand[n_hit] = c
                dist[n_hit] = d
                n_hit += d <= radius
            # 5: keep a hit only in the first table where it is a candidate (its substring within
            # that table's flips): each pair is written once, so memory follows the output
            n_first = 0
            for k in range(n_hit):
                c = cand[k]
                x0, x1, x2, x3 = words[c, 0] ^ q0, words[c, 1] ^ q1, words[c, 2] ^ q2, words[c, 3] ^ q3
                earlier = False
                for u in range(t):
                    near = _popcount(x0 & masks[u, 0]) + _popcount(x1 & masks[u, 1]) + \
                        _popcount(x2 & masks[u, 2]) + _popcount(x3 & masks[u, 3])
                    if near <= flips[u]:
                        earlier = True
                        break
                cand[n_first] = c
                dist[n_first] = dist[k]
                n_first += not earlier
            if n_out + n_first > cap:
                cap = max(2 * cap, n_out + n_first)
                grown_q = np.empty(cap, np.int64)
                grown_q[:n_out] = hit_q[:n_out]
                hit_q = grown_q
                grown_ld = np.empty(cap, np.int64)
                grown_ld[:n_out] = hit_ld[:n_out]
                hit_ld = grown_ld
            for k in range(n_first):
                hit_q[n_out] = i
                hit_ld[n_out] = (cand[k] << 9) | dist[k]
                n_out += 1
            per_query[i + 1] += n_first
    # by query (a counting sort), then by listed position within each query
    for i in range(q):
        per_query[i + 1] += per_query[i]
    at_q = per_query[:q].copy()
    ordered = np.empty(n_out, np.int64)
    for k in range(n_out):
        i = hit_q[k]
        ordered[at_q[i]] = hit_ld[k]
        at_q[i] += 1
    out_q = np.empty(n_out, np.int64)
    out_l = np.empty(n_out, np.int64)
    out_d = np.empty(n_out, np.int32)
    for i in range(q):
        a, b = per_query[i], per_query[i + 1]
        if b - a > 1:
            ordered[a:b].sort()
        for k in range(a, b):
            out_q[k] = i
            out_l[k] = ordered[k] >> 9
            out_d[k] = ordered[k] & 511
    return out_q, out_l, out_d
