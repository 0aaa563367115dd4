"""Project VIC / VICS data model exports (OData JSON), 1.x (``odata.metadata``) and 2.0
(``@odata.context``). ``Media`` records sit in ``value[i].Media[j]`` (case objects) or directly
in ``value[i]`` (some 1.x exports). Read as a stream with ijson, so a multi-gigabyte export
never sits in memory. Tolerant of what real exports vary in: booleans as JSON or as strings,
upper- or lower-case hex, missing optional fields, SHA-256 and PDQ under ``AlternativeHashes``.
Another scheme's grading kept as a ``Tags`` entry ``<scheme>:<label>`` (``caid:B``, as
``tasman export vics`` writes it) comes back as ``source_scheme`` and ``source_category``.

A hostile export's memory is bounded by the limits, not by its size. Every byte is first read by
a byte-level scan (``vicsscan``, compiled) before yajl sees it: nesting deeper than
``MAX_DEPTH`` ends the import with the line it is on, one value (a string, a number, a run of
white space) over ``MAX_TOKEN`` bytes ends it too. The scan finds the ``Media`` records; runs of
them are built in C by ijson's ``items`` (whose prefixes cost nothing at the depth the scan
allows), and a record over ``MAX_RECORD`` bytes is skipped with a warning, its bytes read by yajl
only to check them. The rest of the file goes to ijson's prefix-free ``basic_parse`` and the
event loop of ``_runs`` (its ``parse`` keeps a prefix string per open level, quadratic in the
depth), which bounds the objects it builds by an estimate of their size. Records are held until
converted only a few thousand, or
``MAX_RECORD`` bytes of the file, at a time (in Python a record of many empty lists can take some
25 times its bytes, so a few hundred MB at worst), and the record shapes remembered across
imports (``_PLAIN_SHAPES``) are only short ones."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from contextlib import suppress
from itertools import chain, islice, repeat
from typing import Any, BinaryIO

import ijson
import numpy as np

from tasman.core.safejson import MAX_DEPTH, DepthError
from tasman.triage.hashsets.base import BATCH_SIZE, Batch, Entry, HashSetFormat, clean_hex, entry_columns, hex_column
from tasman.triage.hashsets.categories import SCHEME_NAME, SCHEMES
from tasman.triage.hashsets.vicsscan import (
    BIG,
    ERR,
    ERR_POS,
    REC_BIG,
    REC_DEPTH,
    REC_START,
    SLOW,
    TOO_DEEP,
    new_state,
    scan,
)

FLAGS = ("IsPrecategorized", "VictimIdentified", "OffenderIdentified", "IsDistributed", "SelfGenerated")
KEEP = ("MediaID", "MediaSize", "MimeType", "Series", "PhotoDNA")
ALT = {"sha256": ("sha256", 64), "sha-256": ("sha256", 64), "sha1": ("sha1", 40), "sha-1": ("sha1", 40),
       "md5": ("md5", 32), "pdq": ("pdq", 64)}
MAX_RECORD = 4 << 20     # bytes of one Media record (or of a case object without its Media list)
RECORDS_AT_ONCE = 5_000  # records built before they are converted (a batch is made of several such)
MAX_TOKEN = 16 << 20     # bytes read without one complete JSON value: a string or number that long
CHUNK = 1 << 20          # bytes read (and scanned) at a time
RECORDS = "records"      # the pseudo-event that hands the slow loop a run of records built by ijson's items
OPEN = frozenset(("start_map", "start_array"))
CLOSE = frozenset(("end_map", "end_array"))
SCALARS = frozenset(("string", "number", "boolean", "null"))
EMPTY: tuple[Any, ...] = (None, "", [])              # a KEEP field with one of these is left out of ``extra``
FIELDS = frozenset(("MD5", "SHA1", "SHA256", "AlternativeHashes", "Category", "Tags", *KEEP, *FLAGS))
LOWER_FIELDS = {f.lower(): f for f in FIELDS}
SHAPE_CHARS = 1024           # a shape kept in _PLAIN_SHAPES has keys of at most this many characters in all
_PLAIN_SHAPES: set[tuple[str, ...]] = set()     # records' key tuples found plain (``_plain_keys``)


def _too_deep(max_depth: int, line: int) -> str:
    return f"JSON nested more than {max_depth} levels deep by line {line:,}: refused (a VICS export nests about 6)"


def as_bool(value: object) -> bool | None:
    if isinstance(value, bool) or value is None:
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "y", "t"):
        return True
    if text in ("false", "0", "no", "n", "f", ""):
        return False
    raise ValueError(f"{value!r} is not a boolean")


def _get(record: dict[str, Any], key: str) -> Any:
    """Field names differ in case between exporters (``MD5``, ``Md5``, ``md5``)."""
    if key in record:
        return record[key]
    lowered = key.lower()
    for k, v in record.items():
        if k.lower() == lowered:
            return v
    return None


def _scheme_tag(tag: object, graded: bool) -> tuple[str, str] | None:
    """``("caid", "B")`` for a ``Tags`` entry ``caid:B``: a grading in another scheme than
    Project VIC's, as Tasman's export writes it (a built-in scheme's name, or the name a scheme
    file gave, ``vic_canada:2``, read only beside a ``Category``: another tag may look like one)."""
    if not isinstance(tag, str):
        return None
    scheme, sep, label = tag.partition(":")
    scheme = scheme.strip().lower()
    if sep and label.strip() and scheme != "vic" and (scheme in SCHEMES or (graded and SCHEME_NAME.fullmatch(scheme))):
        return scheme, label.strip()
    return None


def _items(value: object) -> list[Any]:
    """A list field (``AlternativeHashes``, ``Tags``) as a list: anything else, as nothing."""
    return value if isinstance(value, list) else []


def _alternative(alts: list[Any], hashes: dict[str, str]) -> None:
    """The hashes under ``AlternativeHashes`` added to ``hashes`` where it has none of that kind."""
    for alt in alts:
        if not isinstance(alt, dict):
            continue
        name = str(_get(alt, "HashName") or "").strip().lower()
        value = _get(alt, "HashValue")
        if name in ALT and value:
            field, n = ALT[name]
            hashes.setdefault(field, clean_hex(value, n, name.upper()))


def media_entry(record: dict[str, Any]) -> Entry:
    hashes: dict[str, str] = {}
    for key, n in (("MD5", 32), ("SHA1", 40), ("SHA256", 64)):
        value = _get(record, key)
        if value not in (None, ""):
            hashes[key.lower()] = clean_hex(value, n, key)
    _alternative(_items(_get(record, "AlternativeHashes")), hashes)
    if not hashes:
        raise ValueError("no MD5, SHA1, SHA256 or PDQ")
    extra: dict[str, Any] = {}
    for key in KEEP:
        value = _get(record, key)
        if value not in EMPTY:
            extra[key] = value
    for key in FLAGS:
        value = _get(record, key)
        if value is not None:
            extra[key] = as_bool(value)
    graded = _get(record, "Category") not in (None, "")
    for tag in _items(_get(record, "Tags")):
        scheme_label = _scheme_tag(tag, graded)
        if scheme_label is not None:        # another scheme's grading, as Tasman's export writes it
            extra["source_scheme"], extra["source_category"] = scheme_label
    category = _get(record, "Category")
    return Entry(**hashes, category=category, extra=extra or None)  # type: ignore[arg-type]


def _plain_keys(keys: tuple[str, ...]) -> bool:
    """True when ``record.get(field)`` finds what ``_get`` would for every field ``media_entry``
    reads: each is spelled as it names it, or not there in any letter case."""
    known = set(keys)
    return all(LOWER_FIELDS.get(k.lower(), k) in known for k in known)


def _hex(values: list[Any], length: int) -> list[Any] | None:
    """A hash column: lower-case hex of ``length`` digits or None (missing) in each row; None
    when any value needs ``clean_hex``'s care."""
    n = len(values)
    missing = values.count(None) + values.count("")
    if missing == n:
        return [None] * n
    filled = [v for v in values if v] if missing else values
    if len(filled) != n - missing:      # a 0 or false where a hash belongs
        return None
    checked = hex_column(filled, length)
    if checked is None:
        return None
    if not missing:
        return checked
    found = iter(checked)
    return [next(found) if v else None for v in values]


def media_columns(records: list[Any]) -> Batch | None:
    """``media_entry`` of every record, column-wise, for a batch of well-formed records (each an
    object whose fields are spelled as ``media_entry`` names them, every hash well-formed, each
    with a hash); None when any record needs ``media_entry``'s care, row by row. Field by field
    over the whole batch: a record costs a few C-level steps instead of ``media_entry``'s forty
    Python ones."""
    n = len(records)
    if not n or set(map(type, records)) != {dict}:
        return None
    shapes = set(map(tuple, records))
    for shape in shapes - _PLAIN_SHAPES:
        if not _plain_keys(shape):
            return None
        if len(_PLAIN_SHAPES) < 4096 and sum(map(len, shape)) <= SHAPE_CHARS:
            _PLAIN_SHAPES.add(shape)    # a hostile file's many long keys are checked, never kept
    present = set().union(*shapes)
    none: list[Any] = [None] * n

    def column(key: str) -> list[Any]:
        return list(map(dict.get, records, repeat(key, n))) if key in present else none

    hashes: dict[str, list[Any]] = {}
    for key, length in (("MD5", 32), ("SHA1", 40), ("SHA256", 64)):
        checked = _hex(column(key), length)
        if checked is None:
            return None
        hashes[key.lower()] = checked
    hashes["pdq"] = none
    if "AlternativeHashes" in present:
        hashes["pdq"] = [None] * n
        for i, alts in enumerate(column("AlternativeHashes")):
            if alts:
                if not isinstance(alts, list):
                    return None
                found = {k: c[i] for k, c in hashes.items() if c[i] is not None}
                try:
                    _alternative(alts, found)
                except ValueError:
                    return None
                for k, v in found.items():
                    if hashes[k] is none:
                        hashes[k] = [None] * n
                    hashes[k][i] = v
    if False in map(any, zip(*hashes.values(), strict=True)):
        return None                     # a record without a hash: its warning comes from media_entry
    category = column("Category")
    parts: list[tuple[str, list[Any]]] = []
    for key in KEEP:
        values = column(key)
        if values is not none and values.count(None) + values.count("") + values.count([]) < n:
            parts.append((key, values))
    for key in FLAGS:
        values = column(key)
        if values is none:
            continue
        try:
            typed = list(zip(map(type, values), values, strict=True))    # True, 1 and 1.0 are one set member
            flags = {tv: as_bool(tv[1]) for tv in set(typed)}
        except (TypeError, ValueError):     # a list where a flag belongs, or not a boolean
            return None
        parts.append((key, list(map(flags.__getitem__, typed))))
    names = [name for name, _ in parts]
    extra: list[dict[str, Any] | None]
    if not parts:
        extra = [None] * n
    elif all(values.count(None) + values.count("") + values.count([]) == 0 for _, values in parts):
        if len(parts) == 1:
            extra = [{names[0]: v} for v in parts[0][1]]
        else:                           # dict(zip(names, row)) for each row, without a Python step a row
            extra = list(map(dict, map(zip, repeat(names, n), zip(*(v for _, v in parts), strict=True))))
    else:
        extra = [{k: v for k, v in zip(names, row, strict=True) if v not in EMPTY} or None
                 for row in zip(*(v for _, v in parts), strict=True)]
    if "Tags" in present:
        for i, tags in enumerate(column("Tags")):
            for tag in _items(tags):
                scheme_label = _scheme_tag(tag, category[i] not in (None, ""))
                if scheme_label is not None:
                    extra[i] = {**(extra[i] or {}), "source_scheme": scheme_label[0],
                                "source_category": scheme_label[1]}
    return [hashes["md5"], hashes["sha1"], hashes["sha256"], hashes["pdq"], none, category, ["file"] * n,
            none, none, extra]


class _Counted:
    """The stream as it is read: counts bytes and lines (one value's length is bounded by the
    scan, ``_scanned``)."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.pos = 0                    # bytes read
        self.run_bytes = 0              # bytes of the runs of records the scan handed out
        self.lines = 1
        self.records = 0                # records handed out (skipped ones too)

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.pos += len(data)
        self.lines += data.count(b"\n")
        return data


class _Feed:
    """The records' bytes as ijson's ``items`` reads them: an array opened once, each run of
    records appended as it is found (``read`` hands out what is there, then nothing)."""

    def __init__(self) -> None:
        self.parts: deque[bytes] = deque([b"["])

    def read(self, n: int = -1) -> bytes:
        return self.parts.popleft() if n and self.parts else b""


class _Dropped:
    """A push parser's target that keeps nothing (a skipped record is read only to be checked)."""

    def send(self, event: Any) -> None:
        pass


def _sent(parser: Any, events: list[Any], piece: bytes) -> Iterator[tuple[str, Any]]:
    """The events of ``piece`` sent to a push parser; on a parse error, those before it first."""
    try:
        parser.send(piece)
    finally:
        yield from events
        del events[:]


def _built(run: bytes) -> list[Any]:
    """The records of a run that yajl refused, up to the one it refused (ijson's ``items`` loses
    those it had parsed from the same buffer): read again with the push parser, which keeps them."""
    records = ijson.sendable_list()
    parser = ijson.items_coro(records, "item", use_float=True)
    with suppress(ijson.JSONError):
        parser.send(b"[" + run)
    return list(records)


def _one(record: bytes) -> Any:
    """One record built from the parser's events (``_Record``: no prefixes, its size estimated as
    the event loop estimates it), for a record whose keys would cost ijson's ``items`` too much."""
    built = _Record(0)
    events = ijson.sendable_list()
    parser = ijson.basic_parse_coro(events, use_float=True)
    for at in range(0, len(record), 1 << 16):
        parser.send(record[at:at + (1 << 16)])
        for event, value in events:
            built.add(event, value)
        del events[:]
    parser.close()
    return TooLarge() if built.builder is None else built.builder.value


def _scanned(counted: _Counted, max_depth: int) -> Iterator[tuple[str, Any]]:
    """The parser's events for the file, but with each run of ``Media`` records found by the scan
    (``vicsscan``) handed out as one ``(RECORDS, [record, ...])`` event, the records built in C by
    ijson's ``items`` (a record over ``MAX_RECORD`` bytes as ``TooLarge``, its bytes only checked
    by a parser of its own; a record whose keys would cost ``items`` too much built by ``_one``).
    The rest of the file (the *skeleton*: the case objects and their keys, 1.x records
    directly under ``value``, anything in a file the scan gave up on) goes to ``basic_parse``
    event by event, each run replaced there by an empty string whose event is dropped. The scan
    bounds the depth and one value's length for every byte before yajl sees it; a record still
    open at the end of what was read is held (at most ``MAX_RECORD`` bytes) until it closes."""
    max_token, max_record = MAX_TOKEN, MAX_RECORD
    state, stack = new_state(max_depth)
    found = np.empty((CHUNK // 2 + 4, 4), dtype=np.int64)
    events = ijson.sendable_list()
    skeleton = ijson.basic_parse_coro(events, use_float=True)
    feed = _Feed()
    built = ijson.items(feed, "item", use_float=True)
    sep = b""                           # the comma before the next run in ``feed``
    checker: Any = None                 # yajl reading a record over MAX_RECORD, its events dropped
    carry = b""                         # an open record's bytes so far
    base = cur = 0                      # the file offset of buf[0]; the skeleton has had the file up to cur
    while True:
        data = counted.read(CHUNK)
        buf = carry + data if carry else data
        n = scan(np.frombuffer(buf, dtype=np.uint8), len(carry), base, state, stack, found,
                 max_depth, max_token, max_record)
        for kind, start, end, count in found[:n].tolist():
            if start > cur:
                yield from _sent(skeleton, events, buf[cur - base:start - base])
            if kind == BIG:                     # skipped, but still read by yajl: a broken file stays refused
                if checker is None:
                    checker = ijson.basic_parse_coro(_Dropped())
                checker.send(buf[max(start - base, 0):end - base])
                checker.close()
                checker = None
                records: list[Any] = [TooLarge()]
            elif kind == SLOW:
                records = [_one(buf[start - base:end - base])]
            else:
                run = buf[start - base:end - base]
                counted.run_bytes += end - start
                feed.parts.append(sep + run)
                sep = b","
                try:
                    records = list(islice(built, count))
                except ijson.JSONError:
                    yield RECORDS, _built(run)  # the records before the one yajl refused
                    raise
            yield RECORDS, records
            skeleton.send(b'""')                # the run's place in the skeleton: one event, dropped
            del events[:]
            cur = end
        open_record = state[REC_DEPTH] >= 0
        if state[ERR]:
            pos = int(state[ERR_POS])
            if not open_record and pos > cur:
                yield from _sent(skeleton, events, buf[cur - base:pos - base])
            line = counted.lines - buf.count(b"\n", pos - base)
            if state[ERR] == TOO_DEEP:
                raise DepthError(_too_deep(max_depth, line))
            raise ValueError(f"one JSON value is over {max_token >> 20} MiB by line {line:,}: refused")
        if open_record:
            rec_start = int(state[REC_START])
            if rec_start > cur:
                yield from _sent(skeleton, events, buf[cur - base:rec_start - base])
                cur = rec_start
            if state[REC_BIG]:                  # its bytes checked and dropped as they come
                if checker is None:
                    checker = ijson.basic_parse_coro(_Dropped())
                checker.send(buf[rec_start - base:] if rec_start >= base else buf)
                carry, base = b"", base + len(buf)
            else:
                carry, base = buf[rec_start - base:], rec_start
        else:
            if len(buf) > cur - base:
                yield from _sent(skeleton, events, buf[cur - base:])
            carry, base = b"", base + len(buf)
            cur = base
        if not data:
            break
    if carry:                           # the file ends inside a record: yajl says how
        parser = ijson.items_coro(ijson.sendable_list(), "item", use_float=True)
        parser.send(b"[" + carry)       # a record yajl refuses ends it here
    skeleton.close()
    yield from events


class _Record:
    """One record being built, with a running estimate of its size; over ``MAX_RECORD`` it is
    dropped and the rest of its events ignored."""

    def __init__(self, level: int) -> None:
        self.level = level              # the length of the record's own prefix
        self.builder: Any = ijson.ObjectBuilder()
        self.size = 0

    def add(self, event: str, value: Any) -> None:
        if self.builder is None:
            return
        self.size += 16 + (len(value) if isinstance(value, str) else 0)
        if self.size > MAX_RECORD:
            self.builder = None
        else:
            self.builder.event(event, value)


    @classmethod
    def replay(cls, level: int, stack: list[Any], under: list[Any]) -> _Record:
        """A record that has been given the events of what ``stack`` holds (containers still
        open, outermost first, each but the first sitting under ``under``'s key in the one before)."""
        record = cls(level)
        for event, value in _replayed(stack, under):
            record.add(event, value)
        return record


def _events(value: Any) -> Iterator[tuple[str, Any]]:
    """The parser's events for a value built from them."""
    if type(value) is dict:
        yield "start_map", None
        for k, v in value.items():
            yield "map_key", k
            yield from _events(v)
        yield "end_map", None
    elif type(value) is list:
        yield "start_array", None
        for v in value:
            yield from _events(v)
        yield "end_array", None
    else:
        yield ("null" if value is None else "boolean" if type(value) is bool else
               "string" if type(value) is str else "number"), value


_LAST = object()


def _replayed(stack: list[Any], under: list[Any]) -> Iterator[tuple[str, Any]]:
    """The events that built the open containers on ``stack`` so far."""
    for i, container in enumerate(stack):
        child = stack[i + 1] if i + 1 < len(stack) else _LAST    # the open one inside it
        if type(container) is dict:
            yield "start_map", None
            for k, v in container.items():
                if v is not child:
                    yield "map_key", k
                    yield from _events(v)
            if child is not _LAST:
                yield "map_key", under[i + 1]
        else:
            yield "start_array", None
            for v in container:
                if v is not child:
                    yield from _events(v)


def _keys(stack: list[Any], under: list[Any], key: Any) -> list[Any]:
    """The entries of ``path`` for the open containers on ``stack``: an object's current key, None
    for an array."""
    current = [*under[1:], key]
    return [(k if c else "") if type(c) is dict else None for c, k in zip(stack, current, strict=True)]


class TooLarge:
    """Stands for a record skipped for its size."""


def _broken(counted: _Counted, exc: Exception) -> ValueError:
    """The one-line error for JSON that cannot be parsed, with how far it got."""
    count = counted.records
    first = (str(exc).strip().splitlines() or ["cannot be parsed"])[0]   # yajl adds an excerpt and a caret
    if "premature EOF" in first or first.startswith("Incomplete"):
        return ValueError(f"broken JSON, truncated: the file ends at line {counted.lines:,} inside "
                          f"Media[{count}], after {count} complete Media records")
    return ValueError(f"broken JSON after {count} Media records: {first} (by line {counted.lines:,}, "
                      f"in or after Media[{count}])")


class VicsFormat(HashSetFormat):
    name = "vics"
    description = "Project VIC / VICS JSON export (1.x odata.metadata or 2.0 @odata.context)"

    @classmethod
    def detect(cls, head: bytes, filename: str) -> bool:
        text = head[:8192].lstrip(b"\xef\xbb\xbf \t\r\n")
        return text.startswith((b"{", b"[")) and (b"odata" in text or b'"Media"' in text or b'"MD5"' in text)

    def parse(self, stream: BinaryIO) -> Iterator[Entry]:
        for batch in self.batches(stream):
            yield from map(Entry._make, zip(*batch, strict=True))

    def batches(self, stream: BinaryIO, size: int = BATCH_SIZE) -> Iterator[Batch]:
        """Records ``size`` at a time, converted field by field (``media_columns``); a batch with
        any record that needs more (another letter case, a bad hash, no hash, a record skipped
        for its size) is converted record by record, each bad one a warning."""
        counted = _Counted(stream)
        runs = self._runs(counted)
        held: list[Any] = []            # records read, not converted yet (their warnings if the file breaks off)
        taken = 0                       # records converted so far: the number of held[0]
        try:
            while True:
                parts: list[Batch] = []
                rows = 0
                while rows < size:      # records held a few thousand at a time: a full record is a few KB
                    start, most = counted.pos + counted.run_bytes, min(RECORDS_AT_ONCE, size - rows)
                    while len(held) < most and counted.pos + counted.run_bytes - start <= MAX_RECORD:
                        run = next(runs, None)      # a few thousand records, or a few MiB of a hostile file's
                        if run is None:
                            break
                        held += run
                    if not held:
                        break
                    chunk, held = (held, []) if len(held) <= most else (held[:most], held[most:])
                    batch = media_columns(chunk)
                    if batch is None:
                        batch = entry_columns(list(self._entries(chunk, taken)))
                    taken += len(chunk)
                    if batch:
                        parts.append(batch)
                        rows += len(batch[0])
                if not parts:
                    break
                yield parts[0] if len(parts) == 1 else [list(chain.from_iterable(c)) for c in zip(*parts, strict=True)]
        except Exception as exc:
            for _ in self._entries(held, taken):
                pass                    # the warnings of the records read before it
            if isinstance(exc, ijson.JSONError):
                raise _broken(counted, exc) from exc
            raise

    def _entries(self, records: list[Any], start: int) -> Iterator[Entry]:
        for number, record in enumerate(records, start):
            where = f"Media[{number}]"
            if isinstance(record, TooLarge):
                self.warn(where, f"record over {MAX_RECORD >> 20} MiB: skipped")
            elif not isinstance(record, dict):
                self.warn(where, "not an object")
            else:
                try:
                    yield media_entry(record)
                except ValueError as exc:
                    self.warn(where, str(exc))

    @staticmethod
    def _records(stream: BinaryIO | _Counted, max_depth: int = MAX_DEPTH) -> Iterator[Any]:
        """Media objects wherever they sit, one by one (``_runs``)."""
        return chain.from_iterable(VicsFormat._runs(stream, max_depth))

    @staticmethod
    def _runs(stream: BinaryIO | _Counted, max_depth: int = MAX_DEPTH) -> Iterator[list[Any]]:
        """Media objects wherever they sit, in lists: a run of records the scan found (built by
        ijson's C ``items``), or one built here from the parser's events, one record at a time: a
        case object is built without its ``Media`` list, whose records are built and handed out one by one.

        ``path`` holds one entry per open container outside the record being built: the current
        key of an object, ``None`` for an array (ijson's prefix, as a list). An event's prefix is
        ``path[:level]``. A record's own events (nine in ten of an export's) take the short way at
        the top of the loop: its containers are built in place on ``stack`` (ijson's
        ``ObjectBuilder`` spent half the import's time on them), its size counted as they come.
        An object directly under ``value`` (or a top-level array) is built that way too, as a 1.x
        record; when it turns out to be a case object (a ``Media`` key) or too large, what was
        built of it goes to ``_Record``, which builds it without its ``Media`` list."""
        counted = stream if isinstance(stream, _Counted) else _Counted(stream)
        path: list[str | None] = []
        outer: _Record | None = None    # a case object (or an over-large object) under value, built without Media
        stack: list[Any] = []           # the record being built: its open containers, outermost first
        under: list[Any] = []           # the key each of them sits under in the one before (None: in a list)
        top: Any = None                 # stack[-1]
        in_map = False                  # top is a dict
        key: Any = None                 # the key the next value of ``top`` goes under
        size = 0                        # the record's estimated size so far
        skipping = 0                    # containers open in a Media record skipped for its size
        candidate = False               # the record on ``stack`` is an object under value (a 1.x record?)
        max_record, scalars, opening = MAX_RECORD, SCALARS, OPEN     # read once: the loop runs per event
        for event, value in _scanned(counted, max_depth):
            if event == RECORDS:        # a run of Media records built by ijson (never inside one built here)
                counted.records += len(value)
                yield value
                continue
            if stack:
                if event == "map_key":
                    size += 16 + len(value)
                    if size <= max_record and not (candidate and value == "Media"):
                        key = value
                        continue
                else:
                    size += 16 + len(value) if event == "string" else 16
                    if size <= max_record:
                        if event in scalars:
                            if in_map:
                                top[key] = value
                            else:
                                top.append(value)
                        elif event in opening:
                            if len(path) + len(stack) >= max_depth:
                                raise DepthError(_too_deep(max_depth, counted.lines))
                            new: Any = {} if event == "start_map" else []
                            if in_map:
                                top[key] = new
                                under.append(key)
                            else:
                                top.append(new)
                                under.append(None)
                            stack.append(new)
                            top, in_map = new, event == "start_map"
                        else:
                            record = stack.pop()
                            under.pop()
                            if stack:
                                top = stack[-1]
                                in_map = type(top) is dict
                            elif not candidate:
                                counted.records += 1
                                yield [record]
                            else:
                                candidate = False
                                if any(_get(record, k) for k in ("MD5", "SHA1", "SHA256")):
                                    counted.records += 1
                                    yield [record]     # a 1.x export with Media records directly under value
                        continue
                # The record leaves the short way, and this event goes the long way below: a Media
                # record over MAX_RECORD is skipped (its events only counted); an object under
                # value that is a case object (a Media key) or over MAX_RECORD goes on as _Record.
                if candidate:
                    outer = _Record.replay(len(path), stack, under)
                    if size > max_record:
                        outer.builder = None
                    path.extend(_keys(stack, under, key))
                    candidate = False
                else:
                    skipping = len(stack)
                top = None
                stack.clear()
                under.clear()
            if skipping:
                if event in OPEN:
                    if len(path) + skipping >= max_depth:
                        raise DepthError(_too_deep(max_depth, counted.lines))
                    skipping += 1
                elif event in CLOSE:
                    skipping -= 1
                    if not skipping:
                        counted.records += 1
                        yield [TooLarge()]
                continue
            if event in OPEN:
                level = len(path)
                if level >= max_depth:
                    raise DepthError(_too_deep(max_depth, counted.lines))
                if event == "start_map" and level >= 2 and path[-1] is None and path[-2] == "Media":
                    top, in_map, size = {}, True, 16
                    stack.append(top)
                    under.append(None)
                    continue
                if event == "start_map" and outer is None and (path == [None] or path == ["value", None]):
                    top, in_map, size, candidate = {}, True, 16, True
                    stack.append(top)
                    under.append(None)
                    continue
                path.append(None if event == "start_array" else "")
            elif event in CLOSE:
                path.pop()
                level = len(path)
            elif event == "map_key":
                path[-1] = value
                level = len(path) - 1
            else:
                level = len(path)
            if outer is None:
                continue
            if level > outer.level and path[outer.level] == "Media":
                continue                # the case's Media list: its records are built one by one above
            outer.add(event, value)
            if event == "end_map" and level == outer.level:
                if outer.builder is None:
                    counted.records += 1
                    yield [TooLarge()]
                else:
                    obj = outer.builder.value
                    if isinstance(obj, dict) and any(_get(obj, k) for k in ("MD5", "SHA1", "SHA256")):
                        counted.records += 1
                        yield [obj]    # a case object with hashes of its own: read as a record too
                outer = None
