"""What every reader shares: the entries it yields, the limits it obeys, the context it reports to.

Readers follow plaso/dfVFS: they never touch storage, "not my format" is an ordinary outcome,
and a corrupt file is a warning tied to its path (``ReadContext.warn``), never the end of a run.
"""

from __future__ import annotations

import io
import os
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, ClassVar

OnError = Callable[[str, str], None]
HEAD_BYTES = 8192


class ReaderError(Exception):
    """A container could not be read (any further); the message is the one-line reason."""


GIB = 1 << 30


@dataclass(frozen=True)
class Limits:
    """Guards against hostile input (zip bombs, endless nesting, decompression bombs): the run's
    budget, shared by every container of every evidence item of one walk (see :class:`Budget`)."""

    max_depth: int = 16                     # containers inside containers
    max_members: int = 10_000_000           # members of every container of the run, together
    max_inflated: int | None = None         # bytes out of every container of the run, together; None: ...
    ratio_floor: int = GIB                  # ... this much ...
    max_ratio: float = 100.0                # ... plus this many times the evidence bytes walked so far
    max_member_bytes: int = 64 << 30        # one member, uncompressed
    spill_bytes: int = 16 << 20             # nested members larger than this go to a temp file
    max_pixels: int = 100_000_000           # pictures with more pixels are refused, not decoded


class BudgetSpent(Exception):
    """The run's budget is spent: the outermost container being read stops (one warning tied to
    its path, naming the budget); the walk goes on with the evidence's other files."""


class Budget:
    """What one walk has spent of its :class:`Limits`: bytes out of containers (archive members
    inflated, files read out of disk images) and members yielded, over every container of every
    evidence item. Readers charge it as they read; the walk runs in one process, so plain
    counters are enough (the hashing workers only ever see the members it let through)."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.inflated = 0            # bytes out of containers, every one
        self.charged = 0             # the same, less the blocks that crossed the budget (see ``spend_bytes``)
        self.members = 0
        self.evidence_bytes = 0      # the evidence's own files walked so far (the ratio's base)

    def inflated_limit(self) -> int:
        if self.limits.max_inflated is not None:
            return self.limits.max_inflated
        return self.limits.ratio_floor + int(self.limits.max_ratio * self.evidence_bytes)

    def describe_inflated(self) -> str:
        if self.limits.max_inflated is not None:
            return f"the run's inflation budget of {self.limits.max_inflated:,} bytes (--max-inflated)"
        lim = self.limits
        return (f"the run's inflation budget of {self.inflated_limit():,} bytes ({lim.ratio_floor:,} + "
                f"{lim.max_ratio:g} x the {self.evidence_bytes:,} evidence bytes walked so far; --max-inflated)")

    def spend_bytes(self, n: int) -> None:
        """Charge ``n`` bytes out of a container. The block that crosses the budget is not charged
        (its container stops there) and the budget grows by ``max_ratio`` times each evidence file
        walked, so every container walked later still gets that many times its own size: a bomb
        early in the evidence cannot hide the archives after it."""
        self.inflated += n
        limit = self.inflated_limit()
        if self.charged + n > limit:
            self.charged = max(self.charged, limit)
            raise BudgetSpent(f"{self.describe_inflated()} is spent (zip bomb?); stopped reading this container")
        self.charged += n

    def spend_member(self) -> None:
        self.members += 1
        if self.members > self.limits.max_members:
            raise BudgetSpent(f"the run's budget of {self.limits.max_members:,} container members (--max-members) "
                              "is spent; stopped reading this container")


class Entry:
    """One file seen in the evidence, with its ``!/`` path relative to the evidence argument's parent.

    The content lives either in a real file (``file``: an original file, or a temporary spill
    that stays valid until the iterator moves on) or in memory (``data``). ``open()`` is always a
    read-only stream.
    """

    __slots__ = ("_head", "_mime", "data", "deleted", "file", "meta", "path", "size", "temp")

    def __init__(self, path: str, size: int, *, file: Path | None = None, data: bytes | None = None,
                 deleted: bool = False, temp: bool = False, meta: dict[str, object] | None = None) -> None:
        if (file is None) == (data is None):
            raise ValueError(f"entry {path!r} needs exactly one of file or data")
        self.path = path
        self.size = size
        self.file = file
        self.data = data
        self.deleted = deleted
        self.temp = temp
        self.meta: dict[str, object] = meta or {}
        self._head: bytes | None = None
        self._mime: str | None = None

    def __repr__(self) -> str:
        return f"Entry({self.path!r}, size={self.size}, deleted={self.deleted})"

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    def open(self) -> BinaryIO:
        if self.data is not None:
            return io.BytesIO(self.data)
        assert self.file is not None
        return open(self.file, "rb")  # read-only, always

    def head(self, n: int = HEAD_BYTES) -> bytes:
        if self._head is None or len(self._head) < min(n, self.size):
            if self.data is not None:
                self._head = self.data[:n]
            else:                    # once per file of the walk: the bare system calls, no file object
                assert self.file is not None
                fd = os.open(self.file, os.O_RDONLY)
                try:
                    self._head = os.read(fd, n)
                finally:
                    os.close(fd)
        return self._head[:n]

    @property
    def mime(self) -> str:
        """The content type by content (libmagic), never by name."""
        if self._mime is None:
            from tasman.triage.filetypes import mime_of

            self._mime = mime_of(self.head())
        return self._mime


@dataclass
class ReadContext:
    on_error: OnError
    temp_dir: Path
    limits: Limits = field(default_factory=Limits)
    budget: Budget | None = None

    def __post_init__(self) -> None:
        if self.budget is None:
            self.budget = Budget(self.limits)

    @property
    def spent(self) -> Budget:
        assert self.budget is not None
        return self.budget

    def warn(self, path: str, reason: str) -> None:
        self.on_error(path, " ".join(str(reason).split()) or "unreadable")

    def spill(self, suffix: str = "") -> tuple[BinaryIO, Path]:
        """A new temporary file in the workspace (never elsewhere) for a large nested member."""
        self.temp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="member-", suffix=_safe_suffix(suffix), dir=self.temp_dir)
        return os.fdopen(fd, "w+b"), Path(name)


def child_path(container_path: str, inner: str) -> str:
    """The ``!/`` path of a file inside a container (``inner`` already made safe)."""
    from tasman.evidence.paths import SEP

    return f"{container_path}{SEP}{inner.strip('/').replace(SEP, '%21/')}"


def _safe_suffix(suffix: str) -> str:
    return "".join(c for c in suffix if c.isalnum() or c == ".")[-16:]


class Sink:
    """Collects one member's bytes in memory, moving to a temporary file past ``spill_bytes``."""

    def __init__(self, ctx: ReadContext, name: str) -> None:
        self.ctx, self.name = ctx, name
        self.buf: io.BytesIO | None = io.BytesIO()
        self.fh: BinaryIO | None = None
        self.tmp: Path | None = None
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.buf is not None and self.size > self.ctx.limits.spill_bytes:
            self.fh, self.tmp = self.ctx.spill(Path(self.name).suffix)
            self.fh.write(self.buf.getvalue())
            self.buf = None
        if self.buf is not None:
            self.buf.write(chunk)
        else:
            assert self.fh is not None
            self.fh.write(chunk)

    def entry(self, path: str, deleted: bool = False, meta: dict[str, object] | None = None) -> Entry:
        if self.buf is not None:
            return Entry(path, self.size, data=self.buf.getvalue(), deleted=deleted, meta=meta)
        assert self.fh is not None and self.tmp is not None
        self.fh.close()
        return Entry(path, self.size, file=self.tmp, temp=True, deleted=deleted, meta=meta)

    def discard(self) -> None:
        if self.fh is not None:
            self.fh.close()
        if self.tmp is not None:
            self.tmp.unlink(missing_ok=True)


def release(entry: Entry) -> None:
    """Delete a temporary spill once nobody needs it any more."""
    if entry.temp and entry.file is not None:
        entry.file.unlink(missing_ok=True)


class Reader(ABC):
    """One container format family. ``entries`` yields the files inside ``container``."""

    name: ClassVar[str]

    @abstractmethod
    def entries(self, container: Entry, ctx: ReadContext) -> Iterator[Entry]:
        """Yield the members; raise :class:`ReaderError` when the container itself is unreadable."""
