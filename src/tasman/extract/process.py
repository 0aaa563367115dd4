"""From units of text to sightings: one engine call per window or per batch of short texts,
offsets turned back into file bytes, overlap duplicates dropped."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from tasman.extract.detectors.base import Found
from tasman.extract.scan import Scanner, _to_chars, default_scanner
from tasman.extract.sources.base import Sighting, TextUnit, Unit

BATCH_BYTES = 1024 * 1024


def _byte_offsets(text: str, chars: list[int], encoding: str) -> dict[int, int]:
    """Character offsets into ``text`` -> byte offsets in ``encoding`` (one pass)."""
    out: dict[int, int] = {}
    pos = prev = 0
    for c in sorted(set(chars)):
        pos += len(text[prev:c].encode(encoding, "replace"))
        out[c] = pos
        prev = c
    return out


def _sighting(unit: TextUnit, f: Found, start: int | None) -> Sighting:
    offset = None if unit.offset is None or start is None else unit.offset + start
    meta = {**unit.meta, **f.meta} if f.meta else dict(unit.meta)
    return Sighting(f, offset, unit.message_id, unit.seen_at, meta)


def _scan_window(scanner: Scanner, unit: TextUnit, region: str | None) -> Iterator[Sighting]:
    reg = unit.region or region
    if unit.data is not None:
        finds = scanner.scan_bytes(unit.data, reg)
        starts = {f.start: f.start for f in finds}
    else:
        text = unit.text or ""
        data = text.encode("utf-8", "surrogatepass")
        finds = _to_chars(text, data, scanner.scan_bytes(data, reg))
        starts = _byte_offsets(text, [f.start for f in finds], unit.encoding or "utf-8")
    for f in finds:
        b = starts[f.start]
        if unit.own is not None and not unit.own[0] <= b < unit.own[1]:
            continue
        yield _sighting(unit, f, b)


def _scan_batch(scanner: Scanner, batch: list[TextUnit], region: str | None) -> Iterator[Sighting]:
    texts = [u.text or "" for u in batch]
    for unit, text, finds in zip(batch, texts, scanner.scan_segments(texts, region), strict=True):
        starts = _byte_offsets(text, [f.start for f in finds], unit.encoding or "utf-8") if unit.offset is not None \
            else {}
        for f in finds:
            meta_f = Found(f.identifier, f.raw, f.start, f.end, f.context, f.extractor, {**f.meta, "char": f.start})
            yield _sighting(unit, meta_f, starts.get(f.start))


def scan_units(units: Iterable[Unit], region: str | None = None, scanner: Scanner | None = None
               ) -> Iterator[Sighting]:
    """Sightings of every unit; short texts are scanned in batches (one engine call per MiB)."""
    sc = scanner or default_scanner()
    batch: list[TextUnit] = []
    size = 0
    batch_region: str | None = None
    for unit in units:
        if isinstance(unit, Sighting):
            yield unit
            continue
        if unit.data is not None or unit.own is not None:
            yield from _scan_window(sc, unit, region)
            continue
        reg = unit.region or region
        if batch and (size >= BATCH_BYTES or reg != batch_region):
            yield from _scan_batch(sc, batch, batch_region)
            batch, size = [], 0
        batch.append(unit)
        batch_region = reg
        size += len(unit.text or "")
    if batch:
        yield from _scan_batch(sc, batch, batch_region)
