# mypy: ignore-errors
# (numba compiles this module with its own typing: numpy scalars, intrinsics that mypy cannot follow)
"""The compiled search loop of :class:`~tasman.triage.match.pdqindex.MihIndex` (numba).

One pass a query over the index's flat arrays, in four tight loops so that the random reads of
each (the ``starts`` of non-empty buckets, their positions in ``order``, the candidates' codes)
are independent of one another and the CPU keeps many in flight: at 10,000,000 hashes a lookup
is ~2,800 probes, ~1,800 non-empty buckets and ~3,000 candidates, each a read into a ~1 GiB index,
so the time is memory latency. The bitmap test and the distance test write unconditionally and
advance by the test's outcome (no branch to mispredict). numpy's path in ``pdqindex`` gives the
same answers (the tests compare both with brute force); this one is 2-3x faster a CPU-second.

Compiled on first use and cached on disk (``cache=True``; numba falls back to a per-user cache
folder where the package's own is not writable). Arrays are passed read-only, so a memory-mapped
index and an index built in memory share one compiled version per integer width."""

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
def mih_search(keys: np.ndarray, qwords: np.ndarray, table: np.ndarray, flips: np.ndarray, bases: np.ndarray,
               bitmap: np.ndarray, rank: np.ndarray, starts: np.ndarray, order: np.ndarray, words: np.ndarray,
               radius: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(query, listed, distance) of every pair within ``radius``, by query then listed position.

    ``keys`` (m, q) int64: each table's substring key of each query; ``qwords`` (q, 4) uint64:
    the queries; ``table``, ``flips``, ``bases`` (probes,): each probe's table, the bits it flips
    and where its table's buckets begin; the rest are the index's arrays (``words`` (n, 4) uint64)."""
    q = keys.shape[1]
    width = flips.shape[0]
    cap = 1024
    out_q = np.empty(cap, np.int64)
    out_l = np.empty(cap, np.int64)
    out_d = np.empty(cap, np.int32)
    n_out = 0
    lo = np.empty(width + 1, np.int64)
    hi = np.empty(width + 1, np.int64)
    cand = np.empty(4096, np.int64)
    dist = np.empty(4096, np.int32)
    one = np.uint64(1)
    for i in range(q):
        # 1: the bitmap says which probed buckets hold anything; their rank among the non-empty
        n_buckets = 0
        for p in range(width):
            b = bases[p] + (keys[table[p], i] ^ flips[p])
            w = bitmap[b >> 6]
            bit = one << np.uint64(b & 63)
            lo[n_buckets] = np.int64(rank[b >> 6]) + _popcount(w & (bit - one))
            n_buckets += (w & bit) != 0
        # 2: each non-empty bucket's range in ``order``
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
        # 3: the candidates' listed positions
        n_cand = 0
        for k in range(n_buckets):
            for pos in range(lo[k], hi[k]):
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
        if n_hit == 0:
            continue
        # a neighbour close on several substrings is found several times: sorted, kept once
        by = np.argsort(cand[:n_hit], kind="mergesort")
        if n_out + n_hit > cap:
            cap = max(2 * cap, n_out + n_hit)
            grown_q = np.empty(cap, np.int64)
            grown_q[:n_out] = out_q[:n_out]
            out_q = grown_q
            grown_l = np.empty(cap, np.int64)
            grown_l[:n_out] = out_l[:n_out]
            out_l = grown_l
            grown_d = np.empty(cap, np.int32)
            grown_d[:n_out] = out_d[:n_out]
            out_d = grown_d
        last = -1
        for k in range(n_hit):
            c = cand[by[k]]
            if c != last:
                out_q[n_out] = i
                out_l[n_out] = c
                out_d[n_out] = dist[by[k]]
                n_out += 1
                last = c
    return out_q[:n_out], out_l[:n_out], out_d[:n_out]
