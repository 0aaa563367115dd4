"""Project VIC / VICS data model exports (OData JSON), 1.x (``odata.metadata``) and 2.0
(``@odata.context``). ``Media`` records sit in ``value[i].Media[j]`` (case objects) or directly
in ``value[i]`` (some 1.x exports). Read as a stream with ijson, so a multi-gigabyte export
never sits in memory. Tolerant of what real exports vary in: booleans as JSON or as strings,
upper- or lower-case hex, missing optional fields, SHA-256 and PDQ under ``AlternativeHashes``.
Another scheme's grading kept as a ``Tags`` entry ``<scheme>:<label>`` (``caid:B``, as
``tasman export vics`` writes it) comes back as ``source_scheme`` and ``source_category``.

A hostile export costs at most a few megabytes: the stream is read with ijson's prefix-free
``basic_parse`` (its ``parse`` keeps a prefix string per open level, quadratic in the depth),
nesting deeper than ``MAX_DEPTH`` ends the import with the line it was reached by, one value
(a string or a number) over ``MAX_TOKEN`` bytes ends it too, and a record over ``MAX_RECORD``
bytes is skipped with a warning."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

import ijson

from tasman.core.safejson import MAX_DEPTH, DepthError
from tasman.triage.hashsets.base import Entry, HashSetFormat, clean_hex
from tasman.triage.hashsets.categories import SCHEME_NAME, SCHEMES

FLAGS = ("IsPrecategorized", "VictimIdentified", "OffenderIdentified", "IsDistributed", "SelfGenerated")
KEEP = ("MediaID", "MediaSize", "MimeType", "Series", "PhotoDNA")
ALT = {"sha256": ("sha256", 64), "sha-256": ("sha256", 64), "sha1": ("sha1", 40), "sha-1": ("sha1", 40),
       "md5": ("md5", 32), "pdq": ("pdq", 64)}
MAX_RECORD = 4 << 20     # bytes of one Media record (or of a case object without its Media list)
MAX_TOKEN = 16 << 20     # bytes read without one complete JSON value: a string or number that long
OPEN = frozenset(("start_map", "start_array"))
CLOSE = frozenset(("end_map", "end_array"))


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


def media_entry(record: dict[str, Any]) -> Entry:
    hashes: dict[str, str] = {}
    for key, n in (("MD5", 32), ("SHA1", 40), ("SHA256", 64)):
        value = _get(record, key)
        if value not in (None, ""):
            hashes[key.lower()] = clean_hex(value, n, key)
    for alt in _get(record, "AlternativeHashes") or []:
        if not isinstance(alt, dict):
            continue
        name = str(_get(alt, "HashName") or "").strip().lower()
        value = _get(alt, "HashValue")
        if name in ALT and value:
            field, n = ALT[name]
            hashes.setdefault(field, clean_hex(value, n, name.upper()))
    if not hashes:
        raise ValueError("no MD5, SHA1, SHA256 or PDQ")
    extra: dict[str, Any] = {}
    for key in KEEP:
        value = _get(record, key)
        if value not in (None, "", []):
            extra[key] = value
    for key in FLAGS:
        value = _get(record, key)
        if value is not None:
            extra[key] = as_bool(value)
    graded = _get(record, "Category") not in (None, "")
    for tag in _get(record, "Tags") or []:
        scheme_label = _scheme_tag(tag, graded)
        if scheme_label is not None:        # another scheme's grading, as Tasman's export writes it
            extra["source_scheme"], extra["source_category"] = scheme_label
    category = _get(record, "Category")
    return Entry(**hashes, category=category, extra=extra or None)  # type: ignore[arg-type]


class _Counted:
    """The stream as ijson reads it: counts bytes and lines, and refuses to read on while one
    value has taken more than ``MAX_TOKEN`` bytes (yajl would hold all of it)."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.pos = self.mark = 0        # bytes read; bytes read when the last event came out
        self.lines = 1

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.pos += len(data)
        self.lines += data.count(b"\n")
        if self.pos - self.mark > MAX_TOKEN:
            raise ValueError(f"one JSON value is over {MAX_TOKEN >> 20} MiB by line {self.lines:,}: refused")
        return data


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


class TooLarge:
    """Stands for a record skipped for its size."""


class VicsFormat(HashSetFormat):
    name = "vics"
    description = "Project VIC / VICS JSON export (1.x odata.metadata or 2.0 @odata.context)"

    @classmethod
    def detect(cls, head: bytes, filename: str) -> bool:
        text = head[:8192].lstrip(b"\xef\xbb\xbf \t\r\n")
        return text.startswith((b"{", b"[")) and (b"odata" in text or b'"Media"' in text or b'"MD5"' in text)

    def parse(self, stream: BinaryIO) -> Iterator[Entry]:
        count = 0
        counted = _Counted(stream)
        try:
            for record in self._records(counted):
                count += 1
                where = f"Media[{count - 1}]"
                if isinstance(record, TooLarge):
                    self.warn(where, f"record over {MAX_RECORD >> 20} MiB: skipped")
                    continue
                if not isinstance(record, dict):
                    self.warn(where, "not an object")
                    continue
                try:
                    yield media_entry(record)
                except ValueError as exc:
                    self.warn(where, str(exc))
        except ijson.JSONError as exc:
            first = (str(exc).strip().splitlines() or ["cannot be parsed"])[0]   # yajl adds an excerpt and a caret
            if "premature EOF" in first or first.startswith("Incomplete"):
                raise ValueError(f"broken JSON, truncated: the file ends at line {counted.lines:,} inside "
                                 f"Media[{count}], after {count} complete Media records") from exc
            raise ValueError(f"broken JSON after {count} Media records: {first} (by line {counted.lines:,}, "
                             f"in or after Media[{count}])") from exc

    @staticmethod
    def _records(stream: BinaryIO | _Counted, max_depth: int = MAX_DEPTH) -> Iterator[Any]:
        """Media objects wherever they sit, building only one record at a time: a case object is
        built without its ``Media`` list, whose records are built and handed out one by one.

        ``path`` holds one entry per open container: the current key of an object, ``None`` for
        an array (ijson's prefix, as a list). An event's prefix is ``path[:level]``."""
        counted = stream if isinstance(stream, _Counted) else _Counted(stream)
        path: list[str | None] = []
        inner: _Record | None = None
        outer: _Record | None = None
        for event, value in ijson.basic_parse(counted, use_float=True):
            counted.mark = counted.pos
            if event in OPEN:
                level = len(path)
                if level >= max_depth:
                    raise DepthError(f"JSON nested more than {max_depth} levels deep by line {counted.lines:,}: "
                                     f"refused (a VICS export nests about 6)")
                if event == "start_map" and inner is None and level >= 2 and path[-1] is None \
                        and path[-2] == "Media":
                    inner = _Record(level)
                elif event == "start_map" and outer is None and inner is None and \
                        (path == [None] or path == ["value", None]):
                    outer = _Record(level)
                path.append(None if event == "start_array" else "")
            elif event in CLOSE:
                path.pop()
                level = len(path)
            elif event == "map_key":
                path[-1] = value
                level = len(path) - 1
            else:
                level = len(path)
            if inner is not None:
                inner.add(event, value)
                if event == "end_map" and level == inner.level:
                    yield TooLarge() if inner.builder is None else inner.builder.value
                    inner = None
                continue
            if outer is None:
                continue
            if level > outer.level and path[outer.level] == "Media":
                continue                # the case's Media list: its records are built one by one above
            outer.add(event, value)
            if event == "end_map" and level == outer.level:
                if outer.builder is None:
                    yield TooLarge()
                else:
                    obj = outer.builder.value
                    if isinstance(obj, dict) and any(_get(obj, k) for k in ("MD5", "SHA1", "SHA256")):
                        yield obj      # a 1.x export with Media records directly under value
                outer = None
