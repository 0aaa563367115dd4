"""PDQ lists as ThreatExchange / HMA pass them around: one 64-hex PDQ hash a line, optionally
followed by its quality and further fields (``HASH``, ``HASH,QUALITY``, ``HASH QUALITY ...``,
``pdq HASH``). A PDQ hash thresholds 256 DCT values at their median, so it has exactly 128 bits
set: that is how a PDQ list is told from a SHA-256 list when there is no quality column."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

from tasman.triage.hashsets.base import Entry, HashSetFormat, clean_hex, clean_quality, head_lines, text_lines

LINE = re.compile(r"^(?:pdq[\s,;]+)?([0-9a-fA-F]{64})(?:[\s,;]+(\d{1,3}))?(?:[\s,;]+(.*))?$", re.IGNORECASE)


def popcount_hex(value: str) -> int:
    return int(value, 16).bit_count()


class PdqFormat(HashSetFormat):
    name = "pdq"
    description = "PDQ hashes, one a line, optionally with quality (ThreatExchange/HMA)"

    @classmethod
    def detect(cls, head: bytes, filename: str) -> bool:
        lines = head_lines(head)
        matches = [LINE.match(s) for s in lines]
        if not lines or not all(matches):
            return False
        if any(m.group(2) for m in matches if m):
            return True
        balanced = sum(popcount_hex(m.group(1)) == 128 for m in matches if m)
        return (len(lines) >= 3 and balanced >= 0.8 * len(lines)) or filename.lower().endswith(".pdq")

    def parse(self, stream: BinaryIO) -> Iterator[Entry]:
        for number, line in text_lines(stream, self.warn):
            m = LINE.match(line)
            if not m:
                self.warn(f"line {number}", f"not a PDQ hash (64 hex digits): {line[:80]!r}")
                continue
            try:
                pdq = clean_hex(m.group(1), 64, "PDQ")
                quality = clean_quality(m.group(2)) if m.group(2) else None
            except ValueError as exc:
                self.warn(f"line {number}", str(exc))
                continue
            extra = {"note": m.group(3).strip()} if m.group(3) and m.group(3).strip() else None
            yield Entry(pdq=pdq, quality=quality, extra=extra)
