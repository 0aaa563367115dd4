"""Plain text in any encoding, and anything else scanned as bytes (bulk_extractor-style).

UTF-8, ASCII and undecodable binary are scanned as the raw bytes (offsets are file offsets,
nothing is copied); UTF-16 and legacy code pages (detected with charset-normalizer) are decoded
window by window. Files of any size stream in windows of 8 MiB that overlap by 4 KiB.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from typing import IO

from charset_normalizer import from_bytes

from tasman.extract.sources.base import CHUNK, OVERLAP, Blob, Source, TextUnit, Unit, Warn

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def detect_encoding(head: bytes) -> tuple[str | None, int]:
    """(codec to decode with, or None to scan raw bytes; bytes of BOM to skip)."""
    for bom, enc in _BOMS:
        if head.startswith(bom):
            return (None if enc == "utf-8" else enc), len(bom)
    if not head:
        return None, 0
    try:
        head.decode("utf-8")
        return None, 0
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:  # a character cut by the end of the sample
            return None, 0
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > len(odd) * 0.3 and even.count(0) < len(even) * 0.05:
        return "utf-16-le", 0
    if even.count(0) > len(even) * 0.3 and odd.count(0) < len(odd) * 0.05:
        return "utf-16-be", 0
    controls = sum(head.count(bytes([c])) for c in (*range(0, 9), *range(14, 32)))
    if head.count(0) > len(head) * 0.01 or controls > len(head) * 0.05:
        return None, 0  # binary: scan the bytes, ASCII identifiers show through
    best = from_bytes(head[:65536]).best()
    if best is None or best.encoding in ("utf_8", "ascii"):
        return None, 0
    return best.encoding, 0


def windows(fh: IO[bytes], start: int = 0, align: int = 1, chunk: int = CHUNK,
            overlap: int = OVERLAP) -> Iterator[tuple[int, bytes, int, int]]:
    """(file offset of data, data, own_from, own_to): windows of ``chunk`` bytes each reaching
    ``overlap`` bytes into its neighbours; a find belongs to the window where it starts."""
    overlap -= overlap % align
    fh.seek(start)
    prev_tail = b""
    pos = start
    block = fh.read(chunk)
    while block:
        nxt = fh.read(chunk)
        data = prev_tail + block + nxt[:overlap]
        yield pos - len(prev_tail), data, len(prev_tail), len(prev_tail) + len(block)
        prev_tail = block[-overlap:] if len(block) >= overlap else block
        pos += len(block)
        block = nxt


class TextSource(Source):
    name = "text"

    def accepts(self, name: str, head: bytes) -> bool:
        return True

    def read(self, blob: Blob, warn: Warn) -> Iterator[Unit]:
        with blob.open() as fh:
            head = fh.read(65536)
            encoding, skip = detect_encoding(head)
            align = 2 if encoding and encoding.startswith("utf-16") else 1
            for offset, data, a, b in windows(fh, skip, align):
                if encoding is None:
                    yield TextUnit(data=data, offset=offset, own=(a, b))
                else:
                    yield TextUnit(text=data.decode(encoding, "replace"), offset=offset, encoding=encoding, own=(a, b))
