"""A run's links held column-wise and explained a batch at a time when read.

A run keeps every link that joined two parties and every probable link, each with its
explanation (:mod:`tasman.link.explain`). Built all at once as Python objects (a dictionary of
dictionaries a link) they cost some 5 KB each: at a million records, millions of links and 17 GB.
A :class:`LinkSet` keeps instead what the explanations are made from, as the engine returned it
(an Arrow table of the pairs and their fields' weights, or of the identifiers a rule shared),
and makes :class:`Link` objects only while it is read, ``BATCH`` at a time; storing the links
(:func:`tasman.link.subjects.store_links`) writes each batch and lets it go. Reading it twice
gives the same links twice, equal to what building them all at once gave.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, islice
from typing import Any, overload

import pyarrow as pa

from tasman.core.gcpause import collector_paused
from tasman.link.explain import LevelLabels, Memo, explain_columns, explain_columns_json, explain_deterministic

BATCH = 5000
DETERMINISTIC_WEIGHT = 99.0  # stored as the match weight of a deterministic link (documented)


@dataclass
class Link:
    a: int
    b: int
    rule: str
    weight: float
    probability: float
    explanation: dict[str, Any]


# a link as stored: (a, b, rule, weight, probability, the explanation as JSON text)
Stored = tuple[int, int, str, float, float, str]


class _Part:
    """Some of a set's links, in their order, made ``size`` at a time."""

    def __len__(self) -> int:
        raise NotImplementedError

    def batches(self, size: int) -> Iterator[list[Link]]:
        raise NotImplementedError

    def stored(self, size: int) -> Iterator[list[Stored]]:
        """The same links as ``batches``, each with its explanation as ``json.dumps`` writes it."""
        for batch in self.batches(size):
            yield [(lk.a, lk.b, lk.rule, lk.weight, lk.probability, json.dumps(lk.explanation)) for lk in batch]


class _Listed(_Part):
    def __init__(self, links: list[Link]) -> None:
        self.links = links

    def __len__(self) -> int:
        return len(self.links)

    def batches(self, size: int) -> Iterator[list[Link]]:
        for i in range(0, len(self.links), size):
            yield self.links[i : i + size]


class _Deterministic(_Part):
    """Rule links from a table ``(a, b, why)``: ``why`` the identifiers shared (``kind=value``)."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table.select(["a", "b", "why"])

    def __len__(self) -> int:
        return int(self.table.num_rows)

    def batches(self, size: int) -> Iterator[list[Link]]:
        for start in range(0, self.table.num_rows, size):
            part = self.table.slice(start, size)
            with collector_paused():
                out = []
                for a, b, why in zip(
                    part.column("a").to_pylist(),
                    part.column("b").to_pylist(),
                    part.column("why").to_pylist(),
                    strict=True,
                ):
                    rule, expl = explain_deterministic(why)
                    out.append(Link(a, b, rule, DETERMINISTIC_WEIGHT, 1.0, expl))
            yield out


class _Scored(_Part):
    """Fellegi-Sunter links from a table of ``a, b, match_weight, match_probability`` and each
    field's ``mw_`` (and ``mw_tf_adj_``) weight: the explanation's parts."""

    def __init__(self, table: pa.Table, labels: LevelLabels, rule: str) -> None:
        self.table, self.labels, self.rule = table, labels, rule
        self.memo: Memo = {}  # each field's parts by their weights, worked out once for all batches

    def __len__(self) -> int:
        return int(self.table.num_rows)

    def _columns(self, size: int) -> Iterator[dict[str, list[Any]]]:
        names = self.table.column_names
        for start in range(0, self.table.num_rows, size):
            part = self.table.slice(start, size)
            yield {name: part.column(name).to_pylist() for name in names}

    def batches(self, size: int) -> Iterator[list[Link]]:
        for columns in self._columns(size):
            with collector_paused():  # a dict of dicts a link, no cycles among them
                out = [
                    Link(a, b, self.rule, expl["match_weight"], expl["probability"], expl)
                    for a, b, expl in zip(
                        columns["a"], columns["b"], explain_columns(columns, self.labels, self.memo), strict=True
                    )
                ]
            yield out

    def stored(self, size: int) -> Iterator[list[Stored]]:
        rule = self.rule
        for columns in self._columns(size):
            yield [
                (a, b, rule, weight, probability, text)
                for a, b, (weight, probability, text) in zip(
                    columns["a"], columns["b"], explain_columns_json(columns, self.labels, self.memo), strict=True
                )
            ]


class LinkSet(Sequence[Link]):
    """Links in a fixed order, made from their parts while read (``batches``, or one at a time)."""

    def __init__(self, parts: Sequence[_Part] = ()) -> None:
        self._parts = [p for p in parts if len(p)]

    @classmethod
    def listed(cls, links: list[Link]) -> LinkSet:
        return cls([_Listed(links)])

    @classmethod
    def deterministic(cls, table: pa.Table) -> LinkSet:
        """Rule links from a table ``(a, b, why)``."""
        return cls([_Deterministic(table)])

    @classmethod
    def scored(cls, table: pa.Table, labels: LevelLabels, rule: str) -> LinkSet:
        """Scored links (rule ``rule``) from a table of pairs and their fields' weights."""
        return cls([_Scored(table, labels, rule)])

    def __add__(self, other: object) -> LinkSet:
        if isinstance(other, LinkSet):
            return LinkSet(self._parts + other._parts)
        if isinstance(other, list):
            return LinkSet([*self._parts, _Listed(other)])
        return NotImplemented

    def __len__(self) -> int:
        return sum(len(p) for p in self._parts)

    def batches(self, size: int = BATCH) -> Iterator[list[Link]]:
        """The links, at most ``size`` at a time (a part's last batch may be shorter)."""
        for p in self._parts:
            yield from p.batches(size)

    def stored(self, size: int = BATCH) -> Iterator[list[Stored]]:
        """The links as stored (their explanations as JSON text, exactly ``json.dumps`` of
        ``Link.explanation``), at most ``size`` at a time: for writing many, faster than
        making each explanation's dictionaries and then their text."""
        for p in self._parts:
            yield from p.stored(size)

    def __iter__(self) -> Iterator[Link]:
        return chain.from_iterable(self.batches())

    @overload
    def __getitem__(self, index: int) -> Link: ...

    @overload
    def __getitem__(self, index: slice) -> list[Link]: ...

    def __getitem__(self, index: int | slice) -> Link | list[Link]:
        """One link, or a list of them (made by reading the set up to there: for tests and
        look-ups, not for going through the set)."""
        if isinstance(index, slice):
            return list(self)[index]
        n = len(self)
        i = index + n if index < 0 else index
        if not 0 <= i < n:
            raise IndexError("link index out of range")
        for p in self._parts:
            if i < len(p):
                return next(islice(chain.from_iterable(p.batches(BATCH)), i, None))
            i -= len(p)
        raise IndexError("link index out of range")  # pragma: no cover - the length says otherwise

    def __repr__(self) -> str:
        return f"LinkSet({len(self)} links)"
