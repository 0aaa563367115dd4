"""Plain hash lists: one MD5, SHA-1 or SHA-256 a line, as well as the output of md5sum /
sha1sum / sha256sum (``HASH  name``, ``HASH *name``), BSD ``MD5 (name) = HASH`` and md5deep /
sha1deep / sha256deep (``HASH  path``; ``SIZE  HASH  path`` with ``-z``). The hash kind comes
from its length; a file name, when given, is kept in ``extra["name"]``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO

from tasman.triage.hashsets.base import HASH_LENGTHS, HEX, Entry, HashSetFormat, head_lines, text_lines

BSD = re.compile(r"^(MD5|SHA1|SHA256|SHA-1|SHA-256)\s*\((.*)\)\s*=\s*([0-9a-fA-F]+)$", re.IGNORECASE)


def split_line(line: str) -> tuple[str, str | None] | None:
    """(hash, name) of one line, or None if no hash can be found in it."""
    m = BSD.match(line)
    if m:
        return m.group(3), m.group(2)
    parts = line.split(None, 2)
    first = parts[0].lstrip("\\")      # md5sum escapes names with a leading backslash
    if len(first) in HASH_LENGTHS and HEX.match(first):
        return first, (line[len(parts[0]):].strip().lstrip("*") or None) if len(parts) > 1 else None
    if len(parts) >= 2 and parts[0].isdigit() and len(parts[1]) in HASH_LENGTHS and HEX.match(parts[1]):
        return parts[1], parts[2].strip() if len(parts) > 2 else None   # md5deep -z: size first
    return None


class PlainFormat(HashSetFormat):
    name = "plain"
    description = "one MD5/SHA-1/SHA-256 a line; md5sum, sha*sum, BSD and md5deep output"

    @classmethod
    def detect(cls, head: bytes, filename: str) -> bool:
        lines = head_lines(head)
        return bool(lines) and all(split_line(s) is not None for s in lines)

    def parse(self, stream: BinaryIO) -> Iterator[Entry]:
        for number, line in text_lines(stream, self.warn):
            found = split_line(line)
            if found is None:
                self.warn(f"line {number}", f"no MD5, SHA-1 or SHA-256 in {line[:80]!r}")
                continue
            value, name = found
            kind = HASH_LENGTHS.get(len(value))
            if kind is None:
                self.warn(f"line {number}", f"hash {value[:80]!r} is not 32, 40 or 64 hex digits")
                continue
            extra = {"name": name} if name else None
            yield Entry(**{kind: value.lower()}, extra=extra)  # type: ignore[arg-type]
