"""Exact lookups of MD5 / SHA-1 / SHA-256: one sorted array of packed hashes a kind and a binary
search per batch (``np.searchsorted``), so ten million listed hashes take ~0.5 GB, not the
several GB a Python set of strings would."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from tasman.triage.perceptual.codes import hex_to_bytes, keys

LENGTHS = {"md5": 16, "sha1": 20, "sha256": 32}
HEX = re.compile(r"[0-9a-fA-F]+")


class ExactIndex:
    def __init__(self, kind: str, hexes: Sequence[str], entries: Sequence[int] | np.ndarray) -> None:
        self.kind, self.nbytes = kind, LENGTHS[kind]
        k = keys(hex_to_bytes(hexes, self.nbytes))
        order = np.argsort(k, kind="stable")
        self.keys, self.entries = k[order], np.asarray(entries, dtype=np.int64)[order]

    def __len__(self) -> int:
        return len(self.keys)

    def lookup(self, hexes: Sequence[str | None]) -> list[tuple[int, int]]:
        """(position in ``hexes``, listed entry) for every listed entry carrying that hash."""
        present = [(i, h) for i, h in enumerate(hexes) if h and len(h) == 2 * self.nbytes and HEX.fullmatch(h)]
        if not present or not len(self.keys):
            return []
        q = keys(hex_to_bytes([h for _, h in present], self.nbytes))
        lo = np.searchsorted(self.keys, q, side="left")
        hi = np.searchsorted(self.keys, q, side="right")
        out: list[tuple[int, int]] = []
        for j in np.nonzero(hi > lo)[0]:
            out.extend((present[j][0], int(e)) for e in self.entries[lo[j]:hi[j]])
        return out
