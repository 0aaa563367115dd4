"""The extension point of scanning: a :class:`Detector` owns a few patterns and turns their
hits into validated identifiers. Adding an identifier type means adding one module here."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar

from tasman.extract.engine import PatternSpec
from tasman.extract.idtypes import Identifier, IdType

CONTEXT_CHARS = 60


@dataclass(slots=True)
class Found:
    """One identifier found in a text: ``start``/``end`` are offsets into what was scanned
    (characters for :func:`scan_text`, bytes for files), ``context`` a short window around it.

    Not frozen: the scanner fills in ``context`` and turns offsets in place (a dense text makes
    tens of thousands of these per window, and a frozen dataclass costs twice as much to build)."""

    identifier: Identifier
    raw: str
    start: int
    end: int
    context: str = ""
    extractor: str = "scan"
    meta: dict[str, object] = field(default_factory=dict, compare=False)

    @property
    def type(self) -> IdType:
        return self.identifier.type

    @property
    def value(self) -> str:
        return self.identifier.value


@dataclass
class Buffer:
    """UTF-8 bytes being scanned, with a trailing newline sentinel (patterns that need a
    terminator find one at the very end too)."""

    data: bytes
    region: str | None = None
    # spans whose text must never be shown in full (card numbers), masked in every context
    sensitive: list[tuple[int, int]] = field(default_factory=list)

    def text(self, start: int, end: int) -> str:
        return self.data[start if start > 0 else 0:end].decode("utf-8", "replace")

    def before(self, start: int, n: int) -> str:
        return self.text(start - n, start)

    def after(self, end: int, n: int) -> str:
        return self.text(end, end + n)

    def byte_before(self, start: int) -> int:
        return self.data[start - 1] if start > 0 else 10

    def byte_at(self, pos: int) -> int:
        return self.data[pos] if pos < len(self.data) else 10


class Detector(ABC):
    """Patterns (in the subset both engines accept) and what to make of their hits."""

    name: ClassVar[str]
    types: ClassVar[tuple[IdType, ...]]
    patterns: ClassVar[tuple[PatternSpec, ...]]

    @abstractmethod
    def detect(self, buf: Buffer, index: int, start: int, ends: list[int]) -> Iterable[Found]:
        """Validated finds for one hit of ``patterns[index]`` (``ends`` ascending, leftmost ``start``)."""


def found(ident: Identifier | None, buf: Buffer, start: int, end: int, detector: str,
          **meta: object) -> list[Found]:
    """A one-element list for a valid identifier, else empty (context is filled in later)."""
    if ident is None:
        return []
    return [Found(ident, buf.text(start, end), start, end, "", _EXTRACTOR.get(detector) or f"scan.{detector}", meta)]


_EXTRACTOR = {name: f"scan.{name}" for name in ("email", "paypal", "url", "domain", "phone", "phone.link", "ip",
                                                 "iban", "card", "btc", "eth", "mtcn", "handle", "handle.link",
                                                 "country", "city")}


def is_word_byte(b: int) -> bool:
    return 48 <= b <= 57 or 65 <= b <= 90 or 97 <= b <= 122 or b == 95 or b >= 128
