"""The matcher's PDQ index kept on disk, so that a large list is indexed once and every worker
maps the same files (numpy memmap: one copy in the page cache, however many processes).

A folder ``<root>/<key>`` answers for exactly one list of PDQ hashes: ``key`` is a BLAKE2b
digest of the hashes themselves (in the order the loader gives them), the radius and the file
layout, so an index is never used for a list it was not built for: any change to the selected
hash sets' PDQ content gives another key. An entry names its main index (``<root>/main-<key>``,
the arrays of :class:`MihIndex`) and, when it was derived from an older list, the hashes added
since (``added.npy``, indexed in memory when opened), a tombstone bitmap of the main index's
hashes removed since (``dead.npy``) and which loaded row each index position is (``rows.npy``).
A list that changed by at most ``MERGE_SHARE`` of the main index (added plus removed) is derived
that way in seconds; a larger change, or no main index to derive from, builds a new main index
(the merge). Folders are written under a temporary name and renamed into place, so a reader
sees a complete folder or none; two processes building the same key at once both succeed and
one folder is kept. Only the two newest main indexes (and the entries on them) are kept."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from pathlib import Path

import numpy as np

from tasman.triage.perceptual.pdqindex import FORMAT, LiveIndex, MihIndex, PdqIndex

MIN_MAPPED = 200_000     # PDQ hashes from which the matcher keeps its index on disk
MERGE_SHARE = 0.05       # added + removed above this share of the main index: build a new main
KEEP_MAINS = 2


def content_key(codes: np.ndarray, radius: int) -> str:
    h = hashlib.blake2b(digest_size=16)
    h.update(f"tasman-pdq-index/{FORMAT}/{radius}/{len(codes)}/".encode())
    h.update(np.ascontiguousarray(codes, dtype=np.uint8).data)
    return h.hexdigest()


def _fingerprint(codes: np.ndarray) -> np.ndarray:
    w = np.ascontiguousarray(codes, dtype=np.uint8).view(np.uint64).reshape(-1, 4)
    with np.errstate(over="ignore"):
        return (w[:, 0] ^ (w[:, 1] * np.uint64(0x9E3779B97F4A7C15)) ^ (w[:, 2] * np.uint64(0xC2B2AE3D27D4EB4F))
                ^ (w[:, 3] * np.uint64(0x165667B19E3779F9)))


def _sorted(fp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions in fingerprint order and the fingerprints so sorted. The position rides in the
    fingerprint's low bits (one integer sort, ~9x faster than an argsort at ten million); the
    fingerprint keeps its high bits, and rows paired by it are compared in full anyway."""
    shift = max(1, len(fp).bit_length())
    if shift > 32:
        order = np.argsort(fp, kind="stable")
        return order, fp[order]
    low = np.uint64((1 << shift) - 1)
    packed = np.sort((fp & ~low) | np.arange(len(fp), dtype=np.uint64))
    return (packed & low).astype(np.int64), packed & ~low


def match_rows(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """For each row of ``new``, a row of ``old`` holding the same hash (each old row used at most
    once, duplicates paired in turn), or -1."""
    out = np.full(len(new), -1, dtype=np.int64)
    if not len(old) or not len(new):
        return out
    so, fo = _sorted(_fingerprint(old))
    sn, fn = _sorted(_fingerprint(new))
    rank = np.arange(len(fn)) - np.searchsorted(fn, fn, "left")          # nth of its value in new
    lo, hi = np.searchsorted(fo, fn, "left"), np.searchsorted(fo, fn, "right")
    ok = np.flatnonzero(lo + rank < hi)
    old_rows, new_rows = so[lo[ok] + rank[ok]], sn[ok]
    same = (np.asarray(old)[old_rows] == np.asarray(new)[new_rows]).all(axis=1)   # a fingerprint collision
    out[new_rows[same]] = old_rows[same]
    return out


def _write_json(path: Path, data: dict[str, object]) -> None:
    path.write_text(json.dumps(data), encoding="utf-8")
    os.chmod(path, 0o600)


def _publish(tmp: Path, final: Path) -> bool:
    """Renames a finished folder into place; False (and the folder removed) when another process won."""
    try:
        os.rename(tmp, final)
        return True
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not final.is_dir():
            raise
        return False


class IndexCache:
    def __init__(self, root: Path, merge_share: float = MERGE_SHARE) -> None:
        self.root = root
        self.merge_share = merge_share
        self.last: str = ""       # what the last open_or_build did: opened, derived, built

    def _tmp(self, name: str) -> Path:
        return self.root / f".tmp-{name}-{os.getpid()}-{time.monotonic_ns()}"

    def open_or_build(self, codes: np.ndarray, radius: int) -> tuple[PdqIndex, np.ndarray]:
        """The index for ``codes`` at ``radius`` and, for each index position, its row of
        ``codes`` (-1 for a removed one, never returned by a search)."""
        codes = np.ascontiguousarray(codes, dtype=np.uint8).reshape(-1, 32)
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = content_key(codes, radius)
        entry = self.root / key
        if (entry / "entry.json").is_file():
            try:
                opened = self._open(entry)
                self.last = "opened"
                return opened
            except (OSError, ValueError, KeyError):
                shutil.rmtree(entry, ignore_errors=True)     # damaged: rebuilt below
        base = self._newest_main(radius)
        if base is not None:
            derived = self._derive(base, codes, key)
            if derived is not None:
                self.last = "derived"
                return derived
        self.last = "built"
        return self._build(codes, radius, key)

    def _open(self, entry: Path) -> tuple[PdqIndex, np.ndarray]:
        meta = json.loads((entry / "entry.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            raise ValueError("another layout")
        main = MihIndex.open(self.root / meta["main"])
        if not meta.get("derived"):
            return main, np.arange(len(main), dtype=np.int64)
        added = np.load(entry / "added.npy")
        dead = np.unpackbits(np.load(entry / "dead.npy"), count=len(main) + len(added)).astype(bool)
        rows = np.load(entry / "rows.npy").astype(np.int64)
        if len(rows) != len(main) + len(added):
            raise ValueError("rows do not fit")
        return LiveIndex(main, added, dead), rows

    def _newest_main(self, radius: int) -> Path | None:
        mains = []
        for folder in self.root.glob("main-*"):
            try:
                meta = json.loads((folder / "index.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if meta.get("format") == FORMAT and meta.get("radius") == radius:
                mains.append((folder.stat().st_mtime, folder))
        return max(mains)[1] if mains else None

    def _derive(self, base: Path, codes: np.ndarray, key: str) -> tuple[PdqIndex, np.ndarray] | None:
        main = MihIndex.open(base)
        old_of_new = match_rows(main.codes, codes)
        kept = old_of_new >= 0
        added_rows = np.flatnonzero(~kept)
        removed = len(main) - int(kept.sum())
        if len(added_rows) + removed > self.merge_share * max(len(main), 1):
            return None
        rows = np.full(len(main) + len(added_rows), -1, dtype=np.int64)
        rows[old_of_new[kept]] = np.flatnonzero(kept)
        rows[len(main):] = added_rows
        dead = rows < 0
        added = codes[added_rows]
        tmp = self._tmp(key)
        tmp.mkdir(mode=0o700)
        np.save(tmp / "added.npy", added)
        np.save(tmp / "dead.npy", np.packbits(dead))
        np.save(tmp / "rows.npy", rows.astype(np.int32 if len(codes) < 2**31 else np.int64))
        for f in tmp.iterdir():
            os.chmod(f, 0o600)
        _write_json(tmp / "entry.json", {"format": FORMAT, "main": base.name, "derived": True,
                                         "added": len(added_rows), "removed": removed})
        _publish(tmp, self.root / key)
        return LiveIndex(main, added, dead), rows

    def _build(self, codes: np.ndarray, radius: int, key: str) -> tuple[PdqIndex, np.ndarray]:
        index = MihIndex(codes, radius)
        main = self.root / f"main-{key}"
        if not (main / "index.json").is_file():
            tmp = self._tmp(f"main-{key}")
            index.save(tmp)
            _publish(tmp, main)
        tmp = self._tmp(key)
        tmp.mkdir(mode=0o700)
        _write_json(tmp / "entry.json", {"format": FORMAT, "main": main.name, "derived": False})
        _publish(tmp, self.root / key)
        self._prune()
        return MihIndex.open(main), np.arange(len(codes), dtype=np.int64)

    def _prune(self) -> None:
        """Keeps the newest mains and the entries on them (a process still mapping a removed
        file keeps reading it: the files go when the last mapping does)."""
        mains = sorted(self.root.glob("main-*"), key=lambda p: p.stat().st_mtime, reverse=True)
        keep = {p.name for p in mains[:KEEP_MAINS]}
        for entry in self.root.iterdir():
            if entry.name.startswith((".tmp-", "main-")):
                continue
            try:
                meta = json.loads((entry / "entry.json").read_text(encoding="utf-8"))
                stale = meta.get("main") not in keep
            except (OSError, ValueError):
                stale = True
            if stale:
                shutil.rmtree(entry, ignore_errors=True)
        for p in mains[KEEP_MAINS:]:
            shutil.rmtree(p, ignore_errors=True)
        for tmp in self.root.glob(".tmp-*"):       # left by a process that died mid-write, an hour on
            with contextlib.suppress(OSError):
                if time.time() - tmp.stat().st_mtime > 3600:
                    shutil.rmtree(tmp, ignore_errors=True)
