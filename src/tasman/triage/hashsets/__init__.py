"""Hash sets: lists of known material (or known-good files) in the formats partners use.

One module per format; :data:`FORMATS` lists them in detection order (the most specific first).
Adding a format means adding one module and one line here.
"""

from __future__ import annotations

from tasman.triage.hashsets.base import Entry, HashSetFormat, ParseWarning
from tasman.triage.hashsets.caidvics import CaidVicsFormat
from tasman.triage.hashsets.csvlist import CsvFormat
from tasman.triage.hashsets.hashdeep import HashdeepFormat
from tasman.triage.hashsets.icse import IcseFormat
from tasman.triage.hashsets.nsrl import NsrlFormat
from tasman.triage.hashsets.pdqlist import PdqFormat
from tasman.triage.hashsets.plain import PlainFormat
from tasman.triage.hashsets.vics import VicsFormat
from tasman.triage.hashsets.vpdqlist import VpdqFormat

FORMATS: tuple[type[HashSetFormat], ...] = (
    NsrlFormat, CaidVicsFormat, VicsFormat, HashdeepFormat, VpdqFormat, PdqFormat, IcseFormat, CsvFormat, PlainFormat,
)
HEAD_BYTES = 65536


def format_names() -> list[str]:
    return [f.name for f in FORMATS]


def get_format(name: str) -> type[HashSetFormat]:
    for fmt in FORMATS:
        if fmt.name == name.lower():
            return fmt
    raise ValueError(f"unknown hash-set format {name!r}: use one of {', '.join(format_names())}")


def detect_format(head: bytes, filename: str) -> type[HashSetFormat] | None:
    for fmt in FORMATS:
        if fmt.detect(head, filename):
            return fmt
    return None


__all__ = ["FORMATS", "Entry", "HashSetFormat", "ParseWarning", "detect_format", "format_names", "get_format"]
