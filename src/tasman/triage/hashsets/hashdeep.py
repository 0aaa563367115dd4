"""hashdeep output: a ``%%%% HASHDEEP-1.0`` header, a ``%%%% size,md5,sha256,filename`` column
line, ``##`` comments, then one comma-separated row per file (the file name may hold commas)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from tasman.triage.hashsets.base import Entry, HashSetFormat, clean_hex, text_lines

LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64}


class HashdeepFormat(HashSetFormat):
    name = "hashdeep"
    description = "hashdeep -r output (%%%% HASHDEEP-1.0 header)"

    @classmethod
    def detect(cls, head: bytes, filename: str) -> bool:
        return head.lstrip(b"\xef\xbb\xbf").startswith(b"%%%% HASHDEEP-")

    def parse(self, stream: BinaryIO) -> Iterator[Entry]:
        columns: list[str] | None = None
        for number, line in text_lines(stream, self.warn):
            if line.startswith("%%%%"):
                body = line[4:].strip()
                if not body.upper().startswith("HASHDEEP"):
                    columns = [c.strip().lower() for c in body.split(",")]
                continue
            if columns is None:
                raise ValueError(f"line {number}: no '%%%% size,md5,...' column line before the first row")
            # the file name is last and may contain commas: split only as often as needed
            values = line.split(",", len(columns) - 1)
            if len(values) != len(columns):
                self.warn(f"line {number}", f"{len(values)} fields where {len(columns)} were expected")
                continue
            row = dict(zip(columns, values, strict=True))
            try:
                hashes = {k: clean_hex(row[k], n, k.upper()) for k, n in LENGTHS.items() if row.get(k)}
            except ValueError as exc:
                self.warn(f"line {number}", str(exc))
                continue
            if not hashes:
                self.warn(f"line {number}", "no md5, sha1 or sha256 column")
                continue
            extra = {k: row[k] for k in ("filename", "size") if row.get(k)}
            yield Entry(**hashes, extra=extra or None)  # type: ignore[arg-type]
