"""Project VIC / VICS data model exports (OData JSON), 1.x (``odata.metadata``) and 2.0
(``@odata.context``). ``Media`` records sit in ``value[i].Media[j]`` (case objects) or directly
in ``value[i]`` (some 1.x exports). Read as a stream with ijson, so a multi-gigabyte export
never sits in memory. Tolerant of what real exports vary in: booleans as JSON or as strings,
upper- or lower-case hex, missing optional fields, SHA-256 and PDQ under ``AlternativeHashes``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

import ijson

from tasman.triage.hashsets.base import Entry, HashSetFormat, clean_hex

FLAGS = ("IsPrecategorized", "VictimIdentified", "OffenderIdentified", "IsDistributed", "SelfGenerated")
KEEP = ("MediaID", "MediaSize", "MimeType", "Series", "PhotoDNA")
ALT = {"sha256": ("sha256", 64), "sha-256": ("sha256", 64), "sha1": ("sha1", 40), "sha-1": ("sha1", 40),
       "md5": ("md5", 32), "pdq": ("pdq", 64)}


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
    category = _get(record, "Category")
    return Entry(**hashes, category=category, extra=extra or None)  # type: ignore[arg-type]


class VicsFormat(HashSetFormat):
    name = "vics"
    description = "Project VIC / VICS JSON export (1.x odata.metadata or 2.0 @odata.context)"

    @classmethod
    def detect(cls, head: bytes, filename: str) -> bool:
        text = head[:8192].lstrip(b"\xef\xbb\xbf \t\r\n")
        return text.startswith((b"{", b"[")) and (b"odata" in text or b'"Media"' in text or b'"MD5"' in text)

    def parse(self, stream: BinaryIO) -> Iterator[Entry]:
        count = 0
        try:
            for record in self._records(stream):
                count += 1
                where = f"Media[{count - 1}]"
                if not isinstance(record, dict):
                    self.warn(where, "not an object")
                    continue
                try:
                    yield media_entry(record)
                except ValueError as exc:
                    self.warn(where, str(exc))
        except ijson.JSONError as exc:
            first = (str(exc).strip().splitlines() or ["cannot be parsed"])[0]   # yajl adds an excerpt and a caret
            raise ValueError(f"broken JSON after {count} Media records: {first}") from exc

    @staticmethod
    def _records(stream: BinaryIO) -> Iterator[Any]:
        """Media objects wherever they sit, building only one record at a time: a case object is
        built without its ``Media`` list, whose records are built and handed out one by one."""
        inner: Any = None
        outer: Any = None
        inner_at = outer_at = ""
        for prefix, event, value in ijson.parse(stream, use_float=True):
            if inner is not None:
                inner.event(event, value)
                if event == "end_map" and prefix == inner_at:
                    yield inner.value
                    inner = None
                continue
            if event == "start_map" and (prefix == "Media.item" or prefix.endswith(".Media.item")):
                inner, inner_at = ijson.ObjectBuilder(), prefix
                inner.event(event, value)
                continue
            if outer is None:
                if event == "start_map" and prefix in ("value.item", "item"):
                    outer, outer_at = ijson.ObjectBuilder(), prefix
                    outer.event(event, value)
                continue
            if prefix == outer_at + ".Media" or prefix.startswith(outer_at + ".Media."):
                continue
            outer.event(event, value)
            if event == "end_map" and prefix == outer_at:
                obj, outer = outer.value, None
                if isinstance(obj, dict) and any(_get(obj, k) for k in ("MD5", "SHA1", "SHA256")):
                    yield obj      # a 1.x export with Media records directly under value
