"""Clustering: connected components of the links above the threshold, with analysts' decisions.

Edges are taken strongest first (analysts' "together" decisions, then deterministic rules,
then Fellegi-Sunter links by weight) into a union-find, Kruskal style. Without decisions this
gives exactly the connected components; with them, an edge that would put two parts of a split
into one subject is refused. The edges that joined something form a maximum spanning forest:
for every subject, the strongest chain of links that explains why each member is in it, which
is what is stored and shown (not every pair above the threshold).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np


@dataclass
class Constraints:
    """Compiled decisions, in party uids: groups kept together (newest decision first) and
    pairs of sides kept apart."""

    together: list[list[int]] = field(default_factory=list)
    apart: list[tuple[set[int], set[int]]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.together or self.apart)


@dataclass
class Clusters:
    uids: np.ndarray          # every party, sorted
    labels: np.ndarray        # cluster index per party (0..n_clusters-1)
    chosen: list[int]         # indexes into the edge arrays of the spanning-forest edges
    refused: int = 0          # edges refused by a split decision

    @property
    def count(self) -> int:
        return int(self.labels.max()) + 1 if len(self.labels) else 0


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))
        self.size = [1] * n
        self.tags: dict[int, dict[int, int]] = {}  # root -> {constraint: side bits}

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def can_union(self, ra: int, rb: int) -> bool:
        ta, tb = self.tags.get(ra), self.tags.get(rb)
        if not ta or not tb:
            return True
        if len(ta) > len(tb):
            ta, tb = tb, ta
        return all((bits | tb.get(c, 0)) != 3 for c, bits in ta.items())

    def union(self, ra: int, rb: int) -> None:
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]
        tb = self.tags.pop(rb, None)
        if tb:
            ta = self.tags.setdefault(ra, {})
            for c, bits in tb.items():
                ta[c] = ta.get(c, 0) | bits


def cluster(uids: np.ndarray, edge_a: np.ndarray, edge_b: np.ndarray, constraints: Constraints | None = None
            ) -> Clusters:
    """``uids`` sorted; edges already ordered strongest first (``edge_a``/``edge_b`` in uids)."""
    n = len(uids)
    uf = _UnionFind(n)
    if constraints:
        for cid, (side_a, side_b) in enumerate(constraints.apart):
            for bit, side in ((1, side_a), (2, side_b)):
                for u in side:
                    i = int(np.searchsorted(uids, u))
                    if i < n and uids[i] == u:
                        t = uf.tags.setdefault(i, {})
                        t[cid] = t.get(cid, 0) | bit
    ia = np.searchsorted(uids, edge_a).tolist()
    ib = np.searchsorted(uids, edge_b).tolist()
    chosen: list[int] = []
    refused = 0
    find, can_union, union = uf.find, uf.can_union, uf.union
    check = bool(constraints and constraints.apart)
    for k, (a, b) in enumerate(zip(ia, ib, strict=True)):
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        if check and not can_union(ra, rb):
            refused += 1
            continue
        union(ra, rb)
        chosen.append(k)
    roots = np.fromiter((find(i) for i in range(n)), dtype=np.int64, count=n)
    _, labels = np.unique(roots, return_inverse=True)
    return Clusters(uids=uids, labels=labels.astype(np.int64), chosen=chosen, refused=refused)


def together_edges(groups: Iterable[list[int]]) -> tuple[list[int], list[int]]:
    """Chain each group (``a-b``, ``b-c``...) into edges: enough to hold it together."""
    ea: list[int] = []
    eb: list[int] = []
    for g in groups:
        for x, y in pairwise(g):
            ea.append(x)
            eb.append(y)
    return ea, eb
