"""One pass per buffer: every detector's patterns in one multi-pattern engine, then validation.

``scan_text`` is what the records stage calls; ``scan_bytes`` is what file sources call (UTF-8
bytes, byte offsets). Overlaps are settled here: a phone-looking run inside an IBAN, a card,
a transfer number, a crypto address, an e-mail or a URL is not a phone.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from functools import cache

from tasman.extract.detectors import ALL, Buffer, Detector, Found
from tasman.extract.detectors.base import CONTEXT_CHARS
from tasman.extract.engine import Engine, PatternSpec, make_engine
from tasman.extract.idtypes import IdType

__all__ = ["Found", "Scanner", "default_scanner", "scan_bytes", "scan_text"]

# types whose span hides a phone, a card or a handle found inside it
_BLOCKING = {IdType.EMAIL, IdType.URL, IdType.IBAN, IdType.CARD, IdType.MTCN, IdType.BTC, IdType.ETH, IdType.IP,
             IdType.PAYPAL, IdType.DOMAIN}
_YIELDING = {IdType.PHONE: _BLOCKING, IdType.CARD: _BLOCKING - {IdType.CARD},
             IdType.HANDLE: {IdType.EMAIL}, IdType.IP: {IdType.IBAN, IdType.CARD}}


class Scanner:
    def __init__(self, detectors: Sequence[type[Detector]] = ALL, engine: str = "hyperscan") -> None:
        self.detectors = [d() for d in detectors]
        specs: list[PatternSpec] = []
        self._route: list[tuple[Detector, int]] = []
        for det in self.detectors:
            for i, spec in enumerate(det.patterns):
                specs.append(spec)
                self._route.append((det, i))
        self.engine: Engine = make_engine(specs, engine)

    def scan_bytes(self, data: bytes, region: str | None = None) -> list[Found]:
        """Finds in UTF-8 ``data`` with byte offsets, ordered by start."""
        buf = Buffer(data + b"\n", (region or "").upper() or None)
        finds: list[Found] = []
        for pid, start, ends in self.engine.scan(buf.data):
            det, idx = self._route[pid]
            finds.extend(det.detect(buf, idx, start, ends))
        return _with_context(_resolve(finds), buf)


def _resolve(finds: list[Found]) -> list[Found]:
    finds.sort(key=lambda f: (f.start, f.end))
    seen: set[tuple[str, str, int]] = set()
    unique = []
    for f in finds:
        key = (f.type.value, f.value, f.start)
        if key not in seen:
            seen.add(key)
            unique.append(f)
    spans: dict[IdType, list[tuple[int, int]]] = {}
    for f in unique:
        spans.setdefault(f.type, []).append((f.start, f.end))
    out = []
    for f in unique:
        blockers = _YIELDING.get(f.type)
        if blockers and any(_overlaps(spans.get(t, ()), f.start, f.end) for t in blockers):
            continue
        out.append(f)
    return out


def _overlaps(spans: Sequence[tuple[int, int]], start: int, end: int) -> bool:
    """``spans`` sorted by start; True if one of them overlaps [start, end)."""
    i = bisect.bisect_left(spans, (end, end))
    return any(e > start for s, e in reversed(spans[max(0, i - 64):i]))


def _with_context(finds: list[Found], buf: Buffer) -> list[Found]:
    sensitive = sorted(buf.sensitive)
    out = []
    for f in finds:
        a, b = max(0, f.start - CONTEXT_CHARS), f.end + CONTEXT_CHARS
        window = buf.data[a:b]
        if (sensitive and _overlaps(sensitive, a, b)) or (sensitive and (a, b) in sensitive):
            window = _mask(window, a, sensitive)
        text = window.decode("utf-8", "replace").strip("\ufffd")
        out.append(Found(f.identifier, f.raw, f.start, f.end, " ".join(text.split()), f.extractor, f.meta))
    return out


def _mask(window: bytes, offset: int, sensitive: list[tuple[int, int]]) -> bytes:
    arr = bytearray(window)
    for s, e in sensitive:
        lo, hi = max(s, offset), min(e, offset + len(window))
        if lo >= hi:
            continue
        digits = [i for i in range(s, e) if 48 <= buf_byte(arr, offset, i, window) <= 57]
        for i in digits[:-4]:
            if lo <= i < hi:
                arr[i - offset] = 42  # '*'
    return bytes(arr)


def buf_byte(arr: bytearray, offset: int, i: int, window: bytes) -> int:
    j = i - offset
    return arr[j] if 0 <= j < len(arr) else 48  # outside the window: count it as a digit


@cache
def default_scanner() -> Scanner:
    """One compiled scanner per process (compiling takes a moment; each worker builds its own)."""
    return Scanner()


def scan_bytes(data: bytes, *, region: str | None = None) -> list[Found]:
    return default_scanner().scan_bytes(data, region)


def scan_text(text: str, *, region: str | None = None) -> list[Found]:
    """Every identifier in ``text``; ``start``/``end`` are character offsets into ``text``.
    ``region`` (ISO 3166 alpha-2) resolves national phone numbers and ambiguous city names."""
    data = text.encode("utf-8", "surrogatepass")
    finds = scan_bytes(data, region=region)
    if text.isascii() or not finds:
        return finds
    points = sorted({p for f in finds for p in (f.start, f.end)})
    to_char: dict[int, int] = {}
    chars = prev = 0
    for p in points:
        chars += len(data[prev:p].decode("utf-8", "surrogatepass"))
        to_char[p] = chars
        prev = p
    return [Found(f.identifier, f.raw, to_char[f.start], to_char[f.end], f.context, f.extractor, f.meta)
            for f in finds]
