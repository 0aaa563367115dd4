"""The extension point for where text comes from: a :class:`Source` turns one file into units
of text to scan (with where each lies) or into identifiers it reads directly (EXIF).

Sources never touch storage; a problem with the input is a warning tied to the file's path,
never an exception out of ``read`` (plaso's "not my format" is an ordinary outcome).
"""

from __future__ import annotations

import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, ClassVar, Protocol

from tasman.extract.detectors.base import Found

Warn = Callable[[str, str], None]  # (path, message)

CHUNK = 8 * 1024 * 1024   # bytes scanned at once in a large file
OVERLAP = 4096            # each window reaches this far into its neighbours, so nothing is cut in two
MAX_PARSE = 256 * 1024 * 1024  # structured files larger than this are scanned as text instead


@dataclass(frozen=True)
class TextUnit:
    """Text to scan. Either ``data`` (UTF-8 or raw bytes exactly as in the file, so offsets are
    file offsets) or ``text`` (decoded; ``encoding`` maps its offsets back to file bytes)."""

    text: str | None = None
    data: bytes | None = None
    offset: int | None = None            # file byte offset of the unit's first byte, when known
    encoding: str | None = None          # codec of the file bytes behind ``text``
    own: tuple[int, int] | None = None   # keep finds starting in [a, b) of this unit (chunk overlaps)
    message_id: str | None = None
    seen_at: datetime | None = None
    region: str | None = None            # a country the unit itself states (a CSV row's country column)
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Sighting:
    """One identifier found in a file, with where: what a scan of units yields, and what a
    source that reads identifiers directly (EXIF) yields itself."""

    found: Found
    offset: int | None = None            # file byte offset
    message_id: str | None = None
    seen_at: datetime | None = None
    meta: dict[str, Any] = field(default_factory=dict)


Unit = TextUnit | Sighting


class Blob(Protocol):
    """One file to read: a file of the evidence, a member of a container, or a test file."""

    path: str  # the !/ path shown in warnings and stored with observations

    def open(self) -> IO[bytes]: ...


@dataclass
class FileBlob:
    """A file on disk, opened read-only."""

    file: Path
    path: str = ""

    def __post_init__(self) -> None:
        self.path = self.path or self.file.name

    def open(self) -> IO[bytes]:
        return self.file.open("rb")


@dataclass
class BytesBlob:
    data: bytes
    path: str

    def open(self) -> IO[bytes]:
        import io

        return io.BytesIO(self.data)


@contextmanager
def local_copy(blob: Blob, suffix: str = "") -> Iterator[Path]:
    """A real file with the blob's bytes, for libraries that want a path (SQLite, mailbox,
    libpff). A file on disk is used in place (read-only); anything else is copied to a temp file."""
    if isinstance(blob, FileBlob):
        yield blob.file
        return
    with tempfile.TemporaryDirectory(prefix="tasman-extract-") as tmp:
        dest = Path(tmp) / f"blob{suffix}"
        with blob.open() as src, dest.open("wb") as out:
            shutil.copyfileobj(src, out, 1024 * 1024)
        yield dest


class Source(ABC):
    name: ClassVar[str]

    @abstractmethod
    def accepts(self, name: str, head: bytes) -> bool:
        """Whether this file looks like ours, from its name and first bytes."""

    @abstractmethod
    def read(self, blob: Blob, warn: Warn) -> Iterator[Unit]:
        """Units of the file; problems go to ``warn(path, message)``."""
