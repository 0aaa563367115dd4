"""JSON from outside, parsed with a nesting limit and a size limit.

Python's ``json`` module recurses once per level: a few hundred kilobytes of ``[[[[...`` cost
gigabytes of memory or end in ``RecursionError``. Every JSON document Tasman did not write
itself (hash lists, records, tips, packages, outcome reports, API bodies) goes through
:func:`loads`, which measures the nesting first, in one linear scan that skips string
contents, and refuses a document deeper than ``max_depth`` or larger than ``max_bytes`` with a
``ValueError`` naming the limit, before any object is built.

The defaults are generous for every format the field uses (VICS nests about 6 deep, a referral
package about 8) and small enough that a hostile document costs at most a few megabytes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

MAX_DEPTH = 64
MAX_BYTES = 256 << 20

# A string (with its escapes) or one bracket; everything else between them is skipped.
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


class DepthError(ValueError):
    """A JSON document nests deeper, or is larger, than its limit."""


def depth(data: bytes | str) -> int:
    """The deepest nesting of arrays and objects in ``data`` (0 for a scalar).

    Brackets inside strings do not count. Malformed input is measured as far as it goes; the
    parser reports what is wrong with it."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    deepest = level = 0
    for m in _TOKENS.finditer(raw):
        c = m.group()[0]
        if c in (0x5B, 0x7B):  # [ {
            level += 1
            if level > deepest:
                deepest = level
        elif c in (0x5D, 0x7D):  # ] }
            level -= 1
    return deepest


def check(data: bytes | str, max_depth: int = MAX_DEPTH, max_bytes: int = MAX_BYTES) -> None:
    """Raise :class:`DepthError` when ``data`` is over either limit."""
    size = len(data)
    if size > max_bytes:
        raise DepthError(f"JSON document of {size} bytes is over the {max_bytes}-byte limit")
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    # Counting brackets is a fast C pass; only a document with more of them than the limit is scanned.
    if max_depth and raw.count(b"[") + raw.count(b"{") > max_depth:
        found = depth(raw)
        if found > max_depth:
            raise DepthError(f"JSON nested {found} levels deep, over the limit of {max_depth}")


def read_bounded(path: Path, max_bytes: int, what: str) -> bytes:
    """A small file from outside, read with a bounded read: a pipe or device is refused before it
    is opened (it would block or never end), and a file over ``max_bytes`` is refused unread past
    the limit. ``what`` names the file's kind in the one-line errors."""
    from tasman.core.errors import InputError, NotFoundError, reason

    if path.exists() and not path.is_file():
        raise InputError(f"{str(path)!r} is not a regular file")
    try:
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise NotFoundError(f"cannot read {what} {str(path)!r}: {reason(exc)}") from exc
    if len(data) > max_bytes:
        raise InputError(f"{path.name} is not {what}: larger than the {max_bytes}-byte limit")
    return data


def loads(data: bytes | str, max_depth: int = MAX_DEPTH, max_bytes: int = MAX_BYTES) -> Any:
    """``json.loads`` after :func:`check`; raises ``ValueError`` (``DepthError`` or
    ``json.JSONDecodeError``) on anything it cannot or will not parse."""
    check(data, max_depth, max_bytes)
    return json.loads(data)
