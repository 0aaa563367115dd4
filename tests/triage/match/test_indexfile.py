"""The PDQ index on disk: exact against brute force on random and clustered (near-neighbour)
lists, saved and memory-mapped, shared by two processes, updated with a delta and tombstones,
and kept by content (a changed list never opens the old index) for the matcher."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import numpy as np
import pytest

from tasman.core.workspace import Workspace
from tasman.triage.hashsets.store import import_hashset
from tasman.triage.match import indexcache as ic
from tasman.triage.match import load_matcher
from tasman.triage.match.indexcache import IndexCache, content_key, match_rows
from tasman.triage.perceptual.codes import bytes_to_hex, hamming
from tasman.triage.perceptual.pdqindex import LiveIndex, MihIndex, plan_for
from tasman.triage.types import FileHashes


def flipped(codes: np.ndarray, rng: np.random.Generator, low: int, high: int) -> np.ndarray:
    out = codes.copy()
    for i in range(len(out)):
        bits = np.unpackbits(out[i])
        bits[rng.choice(256, int(rng.integers(low, high + 1)), replace=False)] ^= 1
        out[i] = np.packbits(bits)
    return out


def clustered(n: int, seed: int = 3) -> np.ndarray:
    """A list like a real one: families of near-duplicates (0-40 bits from their centre) beside
    unrelated hashes, so buckets hold several hashes and queries have many true neighbours."""
    rng = np.random.default_rng(seed)
    centres = rng.integers(0, 256, (n // 40, 32), dtype=np.uint8)
    family = flipped(np.repeat(centres, 20, axis=0), rng, 0, 40)
    return np.concatenate([family, rng.integers(0, 256, (n - len(family), 32), dtype=np.uint8)])


def brute(codes: np.ndarray, queries: np.ndarray, radius: int, alive: np.ndarray | None = None) -> set[tuple[int, ...]]:
    out = set()
    for i, q in enumerate(queries):
        d = hamming(codes, np.broadcast_to(q, codes.shape))
        hits = np.flatnonzero((d <= radius) & (True if alive is None else alive))
        out |= {(i, int(j), int(d[j])) for j in hits}
    return out


def found(hits: tuple[np.ndarray, ...]) -> set[tuple[int, ...]]:
    return set(zip(*(h.tolist() for h in hits), strict=True))


@pytest.mark.parametrize(("kind", "radius", "substrings"),
                         [("random", 31, None), ("clustered", 31, None), ("clustered", 31, 12),
                          ("clustered", 31, 16), ("clustered", 8, None), ("random", 0, None)])
def test_exact_against_brute_force(kind: str, radius: int, substrings: int | None) -> None:
    rng = np.random.default_rng(11)
    codes = clustered(4000) if kind == "clustered" else rng.integers(0, 256, (4000, 32), dtype=np.uint8)
    queries = np.concatenate([flipped(codes[rng.choice(len(codes), 80)], rng, 0, radius + 2),
                              rng.integers(0, 256, (20, 32), dtype=np.uint8)])
    index = MihIndex(codes, radius, substrings)
    expected = brute(codes, queries, radius)
    assert found(index.search(queries)) == expected
    assert len(expected) >= (60 if radius else 1)   # true neighbours were there to find
    assert sum(t.flips + 1 for t in index.tables) == radius + 1     # the pigeonhole budget, no more


def test_plan_drops_tables_with_no_budget_and_smaller_radius() -> None:
    assert [t.flips for t in plan_for(16, 5)] == [0] * 6
    assert sorted(t.flips for t in plan_for(11, 31)) == [1] + [2] * 10
    codes = clustered(2000)
    index = MihIndex(codes, 31)
    queries = codes[:50]
    assert found(index.search(queries, 12)) == brute(codes, queries, 12)


def test_saved_index_is_mapped_and_equal(tmp_path: Path) -> None:
    codes = clustered(3000)
    built = MihIndex(codes, 31)
    built.save(tmp_path / "ix")
    opened = MihIndex.open(tmp_path / "ix")
    assert isinstance(opened.order, np.memmap) and isinstance(opened.codes, np.memmap)
    assert not opened.order.flags.writeable
    queries = flipped(codes[:60], np.random.default_rng(1), 0, 31)
    assert found(opened.search(queries)) == found(built.search(queries)) == brute(codes, queries, 31)
    (tmp_path / "ix" / "index.json").write_text('{"format": 1}', encoding="utf-8")
    with pytest.raises(ValueError, match="another layout"):
        MihIndex.open(tmp_path / "ix")


def test_live_index_adds_and_tombstones() -> None:
    rng = np.random.default_rng(5)
    codes = clustered(3000)
    live = LiveIndex(MihIndex(codes, 31))
    extra = flipped(codes[:30], rng, 1, 20)             # near the listed ones: found twice over
    positions = live.add(extra)
    assert positions.tolist() == list(range(3000, 3030))
    live.remove(np.array([0, 1, 2, 3001]))
    everything = np.concatenate([codes, extra])
    alive = np.ones(len(everything), bool)
    alive[[0, 1, 2, 3001]] = False
    queries = flipped(everything[:40], rng, 0, 25)
    assert found(live.search(queries)) == brute(everything, queries, 31, alive)
    assert live.live == 3026
    with pytest.raises(ValueError, match="out of range"):
        live.remove(np.array([5000]))


def test_match_rows_pairs_duplicates_in_turn() -> None:
    old = np.array([[1] * 32, [2] * 32, [1] * 32, [3] * 32], np.uint8)
    new = np.array([[1] * 32, [1] * 32, [1] * 32, [4] * 32, [3] * 32], np.uint8)
    rows = match_rows(old, new)
    assert sorted(rows[:3].tolist()) == [-1, 0, 2] and rows[3] == -1 and rows[4] == 3


def child_search(folder: str, queries: np.ndarray) -> tuple[list[tuple[int, ...]], bool]:
    index = MihIndex.open(Path(folder))
    hits = sorted(found(index.search(queries)))
    maps = Path("/proc/self/maps").read_text(encoding="utf-8") if Path("/proc/self/maps").exists() else ""
    return hits, str(Path(folder) / "order.npy") in maps or not maps


def test_two_processes_map_one_file(tmp_path: Path) -> None:
    codes = clustered(3000)
    cache = IndexCache(tmp_path / "cache")
    index, _ = cache.open_or_build(codes, 31)
    folder = Path(index.order.filename).parent      # type: ignore[attr-defined]
    queries = flipped(codes[:40], np.random.default_rng(2), 0, 31)
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        hits, mapped = pool.apply(child_search, (str(folder), queries))
    assert mapped                                     # the child mapped the same file
    assert hits == sorted(found(index.search(queries))) == sorted(brute(codes, queries, 31))


def test_cache_opens_derives_and_rebuilds_by_content(tmp_path: Path) -> None:
    rng = np.random.default_rng(9)
    codes = clustered(4000)
    cache = IndexCache(tmp_path / "cache")
    _, rows = cache.open_or_build(codes, 31)
    assert cache.last == "built" and rows.tolist() == list(range(4000))
    cache.open_or_build(codes, 31)
    assert cache.last == "opened"
    # 1% changed: 40 removed, 40 added (some near the old ones), the order shuffled
    new = np.concatenate([np.delete(codes, range(100, 140), axis=0), flipped(codes[:40], rng, 1, 10)])
    new = new[rng.permutation(len(new))]
    assert content_key(new, 31) != content_key(codes, 31)
    index, rows = cache.open_or_build(new, 31)
    assert cache.last == "derived" and isinstance(index, LiveIndex)
    queries = flipped(new[:60], rng, 0, 31)
    mapped = {(q, int(rows[p]), d) for q, p, d in found(index.search(queries))}
    assert mapped == brute(new, queries, 31)
    reopened, rows2 = IndexCache(tmp_path / "cache").open_or_build(new, 31)
    assert {(q, int(rows2[p]), d) for q, p, d in found(reopened.search(queries))} == mapped
    # a large change builds a new main index instead (the merge), and the old mains are pruned
    big = np.concatenate([codes[:3000], rng.integers(0, 256, (1000, 32), dtype=np.uint8)])
    _, rows = cache.open_or_build(big, 31)
    assert cache.last == "built" and len(rows) == 4000
    assert len(list((tmp_path / "cache").glob("main-*"))) <= ic.KEEP_MAINS


def test_matcher_keeps_a_large_index_on_disk(ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tasman.triage.match.matcher.MIN_MAPPED", 100)
    codes = clustered(400)
    path = tmp_path / "list.csv"
    path.write_text("pdq,category\n" + "".join(f"{bytes_to_hex(c)},1\n" for c in codes), encoding="utf-8")
    with ws.session() as s:
        import_hashset(s, ws.actor, path, "big")
    queries = flipped(codes[:30], np.random.default_rng(4), 0, 20)
    files = [FileHashes(path=f"q{i}.jpg", size=1, pdq=bytes_to_hex(q), pdq_quality=100) for i, q in enumerate(queries)]
    with ws.session() as s:
        memory = load_matcher(s, ["big"])
        on_disk = load_matcher(s, ["big"], index_dir=tmp_path / "ix")
        again = load_matcher(s, ["big"], index_dir=tmp_path / "ix")
    assert (memory.index_state, on_disk.index_state, again.index_state) == ("memory", "built", "opened")
    def key(ms: list) -> list:  # type: ignore[type-arg]
        return [(m.path, m.distance, m.match_type) for m in ms]
    assert key(on_disk.match(files)) == key(again.match(files)) == key(memory.match(files))
    assert len(memory.match(files)) == 30


def test_complement_is_256_bits_away_not_0() -> None:
    rng = np.random.default_rng(12)
    codes = rng.integers(0, 256, (500, 32), dtype=np.uint8)
    codes[7] = ~codes[3]                               # popcounts 64+64+64+64 must not wrap to 0
    _, li, dist = MihIndex(codes, 31).search(codes[3:4])
    assert list(zip(li.tolist(), dist.tolist(), strict=True)) == [(3, 0)]
