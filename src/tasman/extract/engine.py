"""Multi-pattern engines: every detector's patterns in one pass over a buffer.

Hyperscan (Intel's regex engine, the one bulk_extractor-style tools use) compiles all
patterns into one automaton and reports ``(pattern, start, end)`` for each match end; the
``regex`` fallback joins them into one alternation of named groups. Either way a buffer is read
once, whatever the number of patterns. Patterns are written in the subset both accept: no
look-around, no back-references, no ``\\b``; boundaries are checked by the detectors.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import os
import platform
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import regex

from tasman.core.cachedir import cache_dir

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
        expressions = [p.regex for p in self.patterns]
        cached = _cache_path(expressions, flags)
        db = _load(cached)
        if db is None:
            db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
            db.compile(expressions=expressions, ids=list(range(len(expressions))), flags=flags)
            _save(cached, db)
        self._db = db
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


# ---- the compiled database, kept on disk --------------------------------------------------------
# Compiling every detector's patterns takes seconds of CPU, in every worker process of every run;
# loading the serialised database takes milliseconds. The file is named by a hash of what went
# into it (patterns, flags, Hyperscan's version, the machine), so a changed pattern or a new
# Hyperscan makes a new file; one that does not load (truncated, another CPU) is compiled again.

def _cache_path(expressions: Sequence[bytes], flags: Sequence[int]) -> Path:
    import hyperscan

    h = hashlib.sha256()
    for part in (importlib.metadata.version("hyperscan"), platform.machine(), platform.python_version()):
        h.update(part.encode() + b"\0")
    for expression, flag in zip(expressions, flags, strict=True):
        h.update(b"%d\0%d\0%s\0" % (flag, len(expression), expression))
    h.update(b"%d" % hyperscan.HS_MODE_BLOCK)
    return cache_dir() / "hyperscan" / f"{h.hexdigest()[:32]}.hsdb"


def _load(path: Path) -> Any:
    import hyperscan

    try:
        return hyperscan.loadb(path.read_bytes(), hyperscan.HS_MODE_BLOCK)
    except FileNotFoundError:
        return None
    except (OSError, hyperscan.error) as exc:
        log.warning("compiled patterns at %s not usable (%s): compiling them again", path, exc)
        return None


def _save(path: Path, db: Any) -> None:
    """Written to a temporary name, then renamed: a worker never reads half a file."""
    import hyperscan

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".hsdb")
        with os.fdopen(fd, "wb") as fh:
            fh.write(hyperscan.dumpb(db))
        os.replace(tmp, path)
    except OSError as exc:  # a read-only home: compile every time, as without the cache
        log.info("compiled patterns not cached at %s (%s)", path, exc)


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
