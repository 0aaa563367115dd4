"""One pass per buffer: every detector's patterns in one multi-pattern engine, then validation.

``scan_text`` is what the records stage calls; ``scan_bytes`` is what file sources call (UTF-8
bytes, byte offsets). Overlaps are settled here: a phone-looking run inside an IBAN, a card,
a transfer number, a crypto address, an e-mail or a URL is not a phone.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from functools import cache
from itertools import accumulate
from operator import attrgetter

from tasman.core.gcpause import collector_paused
from tasman.extract.detectors import ALL, Buffer, Detector, Found
from tasman.extract.detectors.base import CONTEXT_CHARS
from tasman.extract.engine import Engine, PatternSpec, make_engine
from tasman.extract.idtypes import IdType

__all__ = ["Found", "Scanner", "default_scanner", "scan_bytes", "scan_text"]

# types whose span hides a phone, a card or a handle found inside it
_BLOCKING = {IdType.EMAIL, IdType.URL, IdType.IBAN, IdType.CARD, IdType.MTCN, IdType.BTC, IdType.ETH, IdType.IP,
             IdType.PAYPAL, IdType.DOMAIN}
_YIELDING = {IdType.PHONE: frozenset(_BLOCKING), IdType.CARD: frozenset(_BLOCKING - {IdType.CARD}),
             IdType.HANDLE: frozenset({IdType.EMAIL}), IdType.IP: frozenset({IdType.IBAN, IdType.CARD})}


class Scanner:
    def __init__(self, detectors: Sequence[type[Detector]] = ALL, engine: str = "hyperscan") -> None:
        self.detectors = [d() for d in detectors]
        self._engines: dict[bool, tuple[Engine, list[tuple[Detector, int]]]] = {}
        for regional in (False, True):
            specs: list[PatternSpec] = []
            route: list[tuple[Detector, int]] = []
            for det in self.detectors:
                for i, spec in enumerate(det.patterns):
                    if regional or not spec.regional:
                        specs.append(spec)
                        route.append((det, i))
            self._engines[regional] = (make_engine(specs, engine), route)
        self.engine = self._engines[False][0]

    def scan_bytes(self, data: bytes, region: str | None = None, bounds: Sequence[int] = ()) -> list[Found]:
        """Finds in UTF-8 ``data`` with byte offsets, ordered by start. ``bounds`` (sorted
        segment starts) keeps each context inside its own segment."""
        buf = Buffer(data + b"\n", (region or "").upper() or None)
        engine, route = self._engines[buf.region is not None]
        finds: list[Found] = []
        # tens of thousands of small tuples and no cycles (a third of the time on dense text)
        with collector_paused():
            for pid, start, ends in engine.scan(buf.data):
                det, idx = route[pid]
                finds.extend(det.detect(buf, idx, start, ends))
            return _with_context(_resolve(finds), buf, bounds)

    def scan_segments(self, texts: Sequence[str], region: str | None = None) -> list[list[Found]]:
        """Many short texts (messages, cells, JSON strings) in one engine call; finds per text,
        offsets in characters of that text."""
        parts = [t.encode("utf-8", "surrogatepass") for t in texts]
        starts, pos = [], 0
        for p in parts:
            starts.append(pos)
            pos += len(p) + len(_SEP)
        out: list[list[Found]] = [[] for _ in texts]
        for f in self.scan_bytes(_SEP.join(parts), region, starts):
            i = bisect.bisect_right(starts, f.start) - 1
            a = f.start - starts[i]
            b = f.end - starts[i]
            if b > len(parts[i]):
                continue  # ran across the separator
            f.start, f.end = a, b
            out[i].append(f)
        return [_to_chars(t, p, fs) for t, p, fs in zip(texts, parts, out, strict=True)]


class Spans:
    """Intervals sorted by start with a running maximum of ends: "does any overlap [s, e)?" in
    one bisection."""

    def __init__(self, spans: Iterable[tuple[int, int]], presorted: bool = False) -> None:
        ordered = spans if presorted and isinstance(spans, list) else sorted(spans)
        self.starts = [s for s, _ in ordered]
        self.max_end = list(accumulate((e for _, e in ordered), max))

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_left(self.starts, end) - 1
        return i >= 0 and self.max_end[i] > start


_BY_SPAN = attrgetter("start", "end")


def _resolve(finds: list[Found]) -> list[Found]:
    """Duplicates (same type, value and start) dropped, then every find of a yielding type that
    overlaps a find of one of its blocker types. One sweep in start order: what started before
    a find overlaps it when the furthest end of its type reaches past the find's start; what
    starts inside it is the next few finds."""
    finds.sort(key=_BY_SPAN)
    seen: set[tuple[IdType, str, int]] = set()
    unique = []
    for f in finds:
        ident = f.identifier
        key = (ident.type, ident.value, f.start)
        if key not in seen:
            seen.add(key)
            unique.append(f)
    reach: dict[IdType, int] = {}  # the furthest end of each blocking type so far
    out = []
    for i, f in enumerate(unique):
        t = f.identifier.type
        blockers = _YIELDING.get(t)
        if blockers is None or not _blocked(unique, i, blockers, reach):
            out.append(f)
        if t in _BLOCKING and f.end > reach.get(t, -1):
            reach[t] = f.end
    return out


def _blocked(finds: list[Found], i: int, blockers: frozenset[IdType], reach: dict[IdType, int]) -> bool:
    """Whether a find of a ``blockers`` type overlaps ``finds[i]`` (sorted by start, then end)."""
    start, end = finds[i].start, finds[i].end
    if any(reach.get(t, -1) > start for t in blockers):
        return True
    for j in range(i + 1, len(finds)):
        g = finds[j]
        if g.start >= end:
            return False
        if g.identifier.type in blockers:
            return True
    return False


_SEP = b"\n\x1e\n"


def _with_context(finds: list[Found], buf: Buffer, bounds: Sequence[int] = ()) -> list[Found]:
    sensitive = sorted(buf.sensitive)
    masked = Spans(sensitive, presorted=True)
    out = []
    last: tuple[int, int] = (-1, -1)
    context = ""
    for f in finds:
        a, b = max(0, f.start - CONTEXT_CHARS), f.end + CONTEXT_CHARS
        if bounds:
            i = bisect.bisect_right(bounds, f.start) - 1
            a = max(a, bounds[i])
            if i + 1 < len(bounds):
                b = min(b, bounds[i + 1] - len(_SEP))
        if (a, b) != last:  # a URL and its domain, an address and its PayPal account share one
            window = buf.data[a:b]
            if sensitive and masked.overlaps(a, b):
                window = _mask(window, a, sensitive)
            context, last = _one_line(window), (a, b)
        f.context = context
        out.append(f)
    return out


# the ASCII bytes str.split() takes for whitespace and bytes.split() does not
_SEPARATORS_AS_SPACE = bytes.maketrans(b"\x1c\x1d\x1e\x1f", b"    ")


def _one_line(window: bytes) -> str:
    """The window as one line of text, runs of white space made one space (``str.split`` rules;
    ASCII, most windows, is split as bytes, which is the same and several times cheaper)."""
    if window.isascii():
        return b" ".join(window.translate(_SEPARATORS_AS_SPACE).split()).decode("ascii")
    return " ".join(window.decode("utf-8", "replace").strip("\ufffd").split())


_STAR_DIGITS = bytes.maketrans(b"0123456789", b"*" * 10)


def _mask(window: bytes, offset: int, sensitive: list[tuple[int, int]]) -> bytes:
    """Digits of every sensitive span in the window replaced by '*', but a span's last four."""
    arr = bytearray(window)
    end = offset + len(window)
    i = bisect.bisect_left(sensitive, (offset - 4096, 0))
    while i < len(sensitive) and sensitive[i][0] < end:
        s, e = sensitive[i]
        i += 1
        if e <= offset:
            continue
        lo, hi = max(s, offset) - offset, min(e, end) - offset
        # the last four digits of the span stay; bytes of it past the window's end are counted
        # as digits (they are not seen here), which can only mask more
        keep, cut = 4 - (e - offset - hi), hi
        while keep > 0 and cut > lo:
            cut -= 1
            keep -= 48 <= arr[cut] <= 57
        arr[lo:cut] = arr[lo:cut].translate(_STAR_DIGITS)
    return bytes(arr)


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
    return _to_chars(text, data, scan_bytes(data, region=region))


def _to_chars(text: str, data: bytes, finds: list[Found]) -> list[Found]:
    """Byte offsets into ``data`` (``text`` encoded) turned into character offsets into ``text``."""
    if text.isascii() or not finds:
        return finds
    points = sorted({p for f in finds for p in (f.start, f.end)})
    to_char: dict[int, int] = {}
    chars = prev = 0
    for p in points:
        chars += len(data[prev:p].decode("utf-8", "surrogatepass"))
        to_char[p] = chars
        prev = p
    for f in finds:
        f.start, f.end = to_char[f.start], to_char[f.end]
    return finds
