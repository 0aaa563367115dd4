"""Multi-pattern engines: every detector's patterns in one pass over a buffer.

Hyperscan (Intel's regex engine, the one bulk_extractor-style tools use) compiles all
patterns into one automaton and reports ``(pattern, start, end)`` for each match end; the
``regex`` fallback joins them into one alternation of named groups. Either way a buffer is read
once, whatever the number of patterns. Patterns are written in the subset both accept: no
look-around, no back-references, no ``\\b``; boundaries are checked by the detectors.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import regex

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PatternSpec:
    regex: bytes
    caseless: bool = False
    regional: bool = False  # only worth running when a region is known (national phone numbers)
    # Where the leftmost match ending at ``end`` starts, for a pattern whose start is cheap to
    # find from its end (the '@' of an e-mail address): Hyperscan then scans it without
    # start-of-match tracking, which for an unbounded leading repeat costs many times the
    # search itself (twenty times for the e-mail pattern). Must return the leftmost start.
    start_of: Callable[[bytes, int], int] | None = None


# One candidate: pattern index, leftmost start, and every end reported for that start (ascending).
Hit = tuple[int, int, list[int]]


class Engine(ABC):
    name: str = "engine"

    def __init__(self, patterns: Sequence[PatternSpec]) -> None:
        self.patterns = list(patterns)

    @abstractmethod
    def scan(self, data: bytes) -> list[Hit]:
        """Hits, in no particular order."""


class HyperscanEngine(Engine):
    name = "hyperscan"

    def __init__(self, patterns: Sequence[PatternSpec]) -> None:
        import hyperscan

        super().__init__(patterns)
        som, caseless = hyperscan.HS_FLAG_SOM_LEFTMOST, hyperscan.HS_FLAG_CASELESS
        flags = [(0 if p.start_of else som) | (caseless if p.caseless else 0) for p in self.patterns]
        self._start_of = [p.start_of for p in self.patterns]
        self._db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        self._db.compile(expressions=[p.regex for p in self.patterns], ids=list(range(len(self.patterns))),
                         flags=flags)
        self._scratch = hyperscan.Scratch(self._db)

    def scan(self, data: bytes) -> list[Hit]:
        ends: dict[tuple[int, int], list[int]] = {}
        start_of = self._start_of

        def on_match(pid: int, start: int, end: int, _flags: int, _ctx: object) -> None:
            find_start = start_of[pid]
            if find_start is not None:
                start = find_start(data, end)
            key = (start, pid)
            got = ends.get(key)
            if got is None:
                ends[key] = [end]
            else:
                got.append(end)  # Hyperscan reports ends in ascending order

        self._db.scan(data, match_event_handler=on_match, scratch=self._scratch)
        # in order of first end: detectors need no order, the scanner sorts what they find
        return [(pid, start, e) for (start, pid), e in ends.items()]


class RegexEngine(Engine):
    """One compiled alternation; one match per start position (the longest alternative), so
    it can miss a candidate that starts inside another. The fallback, not the default."""

    name = "regex"

    def __init__(self, patterns: Sequence[PatternSpec]) -> None:
        super().__init__(patterns)
        parts = [b"(?P<p%d>%s%s)" % (i, b"(?i:" if p.caseless else b"(?:", p.regex + b")")
                 for i, p in enumerate(self.patterns)]
        self._rx = regex.compile(b"|".join(parts))

    def scan(self, data: bytes) -> list[Hit]:
        hits: list[Hit] = []
        for m in self._rx.finditer(data, overlapped=True):
            name = m.lastgroup
            if name is None:
                continue
            hits.append((int(name[1:]), m.start(), [m.end()]))
        hits.sort(key=lambda h: (h[1], h[0]))
        return hits


def make_engine(patterns: Sequence[PatternSpec], prefer: str = "hyperscan") -> Engine:
    if prefer == "hyperscan":
        try:
            return HyperscanEngine(patterns)
        except ImportError:
            log.warning("hyperscan is not installed; scanning with the slower regex alternation")
    return RegexEngine(patterns)
