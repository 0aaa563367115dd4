"""The extension point for hash-set formats: one small class per format (python-threatexchange
style). A format says whether a file looks like its own (``detect``) and streams entries out of
it (``parse``). Parsers never touch storage and never crash on a bad row: they record a warning
tied to the line and go on (plaso style); the importer decides what to do with the entries."""

from __future__ import annotations

import io
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any, BinaryIO, ClassVar, NamedTuple

HEX = re.compile(r"^[0-9a-fA-F]+$")
HASH_LENGTHS = {32: "md5", 40: "sha1", 64: "sha256"}
MAX_LINE = 1 << 20          # characters of one line of a text list; a longer line is skipped, never held


class Entry(NamedTuple):
    """One listed item as the list gives it; the category is still in the list's own scheme.
    (A named tuple: a million of them are made per import, at a fifth of a dataclass's cost.)"""

    md5: str | None = None
    sha1: str | None = None
    sha256: str | None = None
    pdq: str | None = None
    quality: int | None = None
    category: str | int | None = None
    kind: str = "file"              # file | video | frame | region
    ref: str | None = None          # groups a video's frames / a picture's regions
    part: int | None = None         # frame number or region index
    extra: Mapping[str, Any] | None = None


# A batch of entries column-wise: one sequence per field of ``Entry``, in its order, all as long.
# The importer takes entries this way, so that a million rows cost a few C-level passes per
# column instead of a Python step per value.
Batch = list[Sequence[Any]]
BATCH_SIZE = 50_000


def entry_columns(entries: list[Entry]) -> Batch:
    """``entries`` column-wise (one C-level transpose); no entries give ``[]``."""
    return list(zip(*entries, strict=True))


def entry_batches(entries: Iterator[Entry], size: int = BATCH_SIZE) -> Iterator[Batch]:
    """``entries`` in batches of ``size``, each turned column-wise."""
    while chunk := list(islice(entries, size)):
        yield entry_columns(chunk)


@dataclass(frozen=True, slots=True)
class ParseWarning:
    where: str                      # "line 12", "Media[3]"
    message: str


def clean_hex(value: object, length: int, what: str) -> str:
    """Lower-case hex of exactly ``length`` digits, or ValueError quoting the value."""
    if type(value) is str and len(value) == length:      # the fast path: a million of these an import
        try:
            if len(bytes.fromhex(value)) * 2 == length:
                return value.lower()
        except ValueError:
            pass
    text = str(value).strip()
    if text.lower().startswith("0x"):
        text = text[2:]
    if len(text) != length or not HEX.match(text):
        raise ValueError(f"{what} {str(value)[:80]!r} is not {length} hex digits")
    return text.lower()


def hex_column(values: list[Any], length: int) -> list[Any] | None:
    """A column of hashes checked at C speed: every value a string of ``length`` hex digits
    (lower-cased), or every value empty or None (``[None, ...]``); None when any value needs
    ``clean_hex``'s care, row by row."""
    n = len(values)
    if values.count("") + values.count(None) == n:
        return [None] * n
    if set(map(type, values)) != {str} or set(map(len, values)) != {length}:
        return None
    joined = "".join(values)
    try:
        if len(bytes.fromhex(joined)) * 2 != length * n:        # fromhex skips spaces: count what it read
            return None
    except ValueError:
        return None
    return values if joined.lower() == joined else list(map(str.lower, values))


def clean_quality(value: object) -> int:
    try:
        q = int(float(str(value).strip()))
    except ValueError:
        raise ValueError(f"quality {str(value)[:20]!r} is not a number") from None
    if not 0 <= q <= 100:
        raise ValueError(f"quality {q} is not between 0 and 100")
    return q


def bounded_lines(text: io.TextIOBase, warn: Callable[[str, str], None] | None = None,
                  limit: int | None = None) -> Iterator[tuple[int, str]]:
    """(line number, line) for every line of ``text``; a line over ``limit`` characters is read
    past piece by piece, never held whole, and reported to ``warn`` instead of being yielded
    (``limit`` defaults to ``MAX_LINE``)."""
    limit = limit or MAX_LINE
    number = 0
    while line := text.readline(limit + 1):
        number += 1
        if len(line) > limit and not line.endswith(("\n", "\r")):
            while (piece := text.readline(limit)) and not piece.endswith(("\n", "\r")):
                pass
            if warn is not None:
                warn(f"line {number}", f"longer than {limit:,} characters: skipped")
            continue
        yield number, line


def text_lines(stream: BinaryIO, warn: Callable[[str, str], None] | None = None) -> Iterator[tuple[int, str]]:
    """(line number, stripped line) for every line that is not blank or a comment; a line over
    ``MAX_LINE`` characters is skipped with a warning (a list's lines are a few hundred)."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
    for number, line in bounded_lines(text, warn):
        line = line.strip()
        if line and not line.startswith(("#", "//")):
            yield number, line
    text.detach()


def head_lines(head: bytes, limit: int = 20) -> list[str]:
    """The first complete, non-comment lines of a file's head, for ``detect``."""
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    lines = text.splitlines()
    if len(head) >= 4096 and lines and not text.endswith("\n"):
        lines = lines[:-1]          # the last one may be cut
    return [s.strip() for s in lines if s.strip() and not s.strip().startswith(("#", "//"))][:limit]


class HashSetFormat(ABC):
    name: ClassVar[str]             # stable: stored with the hash set and given to --format
    description: ClassVar[str]
    known_good: ClassVar[bool] = False   # lists of this format are known-good by nature (NSRL)
    default_scheme: ClassVar[str] = "vic"  # how its lists name categories unless told (CAID's: caid)
    max_warnings: ClassVar[int] = 1000

    def __init__(self) -> None:
        self.warnings: list[ParseWarning] = []
        self.warning_count = 0

    def warn(self, where: str, message: str) -> None:
        self.warning_count += 1
        if len(self.warnings) < self.max_warnings:
            self.warnings.append(ParseWarning(where, message))

    @classmethod
    @abstractmethod
    def detect(cls, head: bytes, filename: str) -> bool:
        """True if the first bytes (up to 64 KiB) look like this format."""

    @abstractmethod
    def parse(self, stream: BinaryIO) -> Iterator[Entry]:
        """Stream the entries; bad rows become warnings, a wrong format raises ValueError."""

    def batches(self, stream: BinaryIO, size: int = BATCH_SIZE) -> Iterator[Batch]:
        """The entries of ``parse`` column-wise, ``size`` at a time (a format may read its
        common rows straight into columns: see ``CsvFormat``)."""
        return entry_batches(self.parse(stream), size)
