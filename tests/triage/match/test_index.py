"""The PDQ range search is exact: it finds every listed hash within the radius (and none
beyond), like a brute-force scan and like FAISS's multi-hash index."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tasman.triage.match.codes import bytes_to_hex, hamming, hex_to_bytes
from tasman.triage.match.pdqindex import FaissIndex, MihIndex, choose_substrings


def planted(n: int, q: int, radius: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    targets = rng.choice(n, q, replace=False)
    queries = codes[targets].copy()
    for i in range(q):
        bits = np.unpackbits(queries[i])
        flip = rng.choice(256, int(rng.integers(0, radius + 1)), replace=False)
        bits[flip] ^= 1
        queries[i] = np.packbits(bits)
    return codes, queries, targets


def brute(codes: np.ndarray, queries: np.ndarray, radius: int) -> set[tuple[int, int, int]]:
    out = set()
    for i, q in enumerate(queries):
        d = hamming(codes, np.broadcast_to(q, codes.shape))
        out |= {(i, int(j), int(d[j])) for j in np.nonzero(d <= radius)[0]}
    return out


@pytest.mark.parametrize("index", ["mih", "faiss"])
def test_range_search_is_exact(index: str) -> None:
    codes, queries, targets = planted(3000, 60, 31)
    codes[5] = queries[0]                   # one extra neighbour at distance 0
    built = MihIndex(codes, 31) if index == "mih" else FaissIndex(codes, 31)
    qi, li, dist = built.search(queries)
    found = set(zip(qi.tolist(), li.tolist(), dist.tolist(), strict=True))
    assert found == brute(codes, queries, 31)
    assert {(i, int(t)) for i, t in enumerate(targets)} <= {(a, b) for a, b, _ in found}


def test_radius_edge_and_smaller_radius() -> None:
    codes, _, _ = planted(500, 1, 0)
    bits = np.unpackbits(codes[0])
    at31, at32 = bits.copy(), bits.copy()
    at31[:31] ^= 1
    at32[:32] ^= 1
    index = MihIndex(codes, 31)
    qi, li, dist = index.search(np.stack([np.packbits(at31), np.packbits(at32)]))
    assert (0, 0, 31) in set(zip(qi.tolist(), li.tolist(), dist.tolist(), strict=True))
    assert 1 not in qi.tolist()
    qi, _, _ = index.search(np.packbits(at31)[None, :], 10)
    assert len(qi) == 0
    with pytest.raises(ValueError, match="radius 40"):
        index.search(np.packbits(at31)[None, :], 40)


def test_substrings_follow_list_size_and_empty_inputs() -> None:
    assert choose_substrings(1_000_000, 31) == 11
    assert choose_substrings(10, 31) >= 16
    empty = MihIndex(np.zeros((0, 32), np.uint8), 31)
    assert len(empty.search(np.zeros((3, 32), np.uint8))[0]) == 0


def test_hex_round_trip() -> None:
    h = "00ff" * 16
    assert bytes_to_hex(hex_to_bytes([h.upper()], 32)[0]) == h


def test_compiled_loop_gives_numpy_s_pairs_in_the_same_order(tmp_path: Path) -> None:
    """The numba loop (``mihkernel``) against numpy's passes and brute force, on a list with a
    crowd of copies of one hash (thousands of candidates and hits a query: its buffers grow) and
    families of near copies (a neighbour found on several substrings is returned once), in
    memory and mapped from disk (read-only arrays)."""
    pytest.importorskip("numba")
    rng = np.random.default_rng(11)
    codes, queries, _ = planted(6000, 40, 31, seed=5)
    codes[:5000] = codes[5000]                      # one hash listed 5,001 times
    bits = np.unpackbits(codes[5500:5600], axis=1)
    bits[rng.random(bits.shape) < 0.04] ^= 1        # near copies of listed hashes, ~10 bits away
    codes[5600:5700] = np.packbits(bits, axis=1)
    queries = np.concatenate([queries, codes[[5000, 5500, 5550]]])
    built = MihIndex(codes, 31)
    built.save(tmp_path / "index")
    for index in (built, MihIndex.open(tmp_path / "index")):
        fast = index.search(queries)
        index.use_compiled = False
        slow = index.search(queries)
        for a, b in zip(fast, slow, strict=True):
            assert a.dtype == b.dtype and np.array_equal(a, b)
        assert set(zip(*(x.tolist() for x in fast), strict=True)) == brute(codes, queries, 31)
        assert (fast[0] == 40).sum() == 5001        # the crowd: every copy, each once
