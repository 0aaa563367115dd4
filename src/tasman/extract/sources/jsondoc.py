"""JSON and JSON Lines: every string (and key) of the document, walked without recursion.

Every document is parsed with ``tasman.core.safejson``: one nested deeper than its limit (64),
too large (> 256 MiB) or not JSON at all is scanned as text instead, with a warning on that file
(never the end of the run). Each string's JSON path is its message id.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tasman.core import safejson
from tasman.extract.sources.base import MAX_PARSE, Blob, Source, TextUnit, Unit, Warn
from tasman.extract.sources.text import TextSource

MAX_LINE = 16 * 1024 * 1024
MAX_NODES = 50_000_000


def walk_strings(doc: Any, root: str = "$") -> Iterator[tuple[str, str]]:
    """(json path, string) for every string value and key, depth-first, iteratively."""
    stack: list[tuple[str, Any]] = [(root, doc)]
    seen = 0
    while stack:
        path, node = stack.pop()
        seen += 1
        if seen > MAX_NODES:
            return
        if isinstance(node, str):
            yield path, node
        elif isinstance(node, dict):
            for k, v in reversed(list(node.items())):
                if len(k) > 3:
                    yield f"{path}.<key>", k
                stack.append((f"{path}.{k}", v))
        elif isinstance(node, list):
            for i in range(len(node) - 1, -1, -1):
                stack.append((f"{path}[{i}]", node[i]))


def load_json(blob: Blob, warn: Warn) -> Any | None:
    """The parsed document, or None (with a warning) when it cannot or should not be parsed."""
    with blob.open() as fh:
        data = fh.read(MAX_PARSE + 1)
    if len(data) > MAX_PARSE:
        warn(blob.path, "JSON larger than 256 MiB: scanned as text")
        return None
    try:
        return safejson.loads(data.decode("utf-8-sig", "replace"))
    except safejson.DepthError as exc:
        warn(blob.path, f"{exc}: scanned as text")
    except ValueError as exc:
        warn(blob.path, f"not valid JSON ({exc}): scanned as text")
    return None


class JsonSource(Source):
    name = "json"

    def accepts(self, name: str, head: bytes) -> bool:
        # a brace first and no NUL byte: binary data that merely starts with "{" is not sniffed as JSON
        return name.lower().endswith(".json") or (head.lstrip()[:1] in (b"{", b"[") and b"\x00" not in head)

    def read(self, blob: Blob, warn: Warn) -> Iterator[Unit]:
        doc = load_json(blob, warn)
        if doc is None:
            yield from TextSource().read(blob, warn)
            return
        for path, text in walk_strings(doc):
            yield TextUnit(text=text, message_id=path[:200])


class JsonLinesSource(Source):
    name = "jsonl"

    def accepts(self, name: str, head: bytes) -> bool:
        return name.lower().endswith((".jsonl", ".ndjson"))

    def read(self, blob: Blob, warn: Warn) -> Iterator[Unit]:
        with blob.open() as fh:
            offset, number = 0, 0
            while True:
                line = fh.readline(MAX_LINE)
                if not line:
                    break
                number += 1
                start = offset
                offset += len(line)
                if not line.endswith(b"\n") and len(line) >= MAX_LINE:
                    warn(blob.path, f"line {number} longer than 16 MiB: scanned as text, not parsed")
                    yield TextUnit(data=line, offset=start)
                    while True:  # the rest of the line, piece by piece (a find cut in two is lost)
                        piece = fh.readline(MAX_LINE)
                        if not piece:
                            break
                        yield TextUnit(data=piece, offset=offset)
                        offset += len(piece)
                        if piece.endswith(b"\n"):
                            break
                    continue
                if not line.strip():
                    continue
                try:
                    doc = safejson.loads(line)
                except ValueError as exc:
                    why = str(exc) if isinstance(exc, safejson.DepthError) else type(exc).__name__
                    warn(blob.path, f"line {number} is not JSON ({why}): scanned as text")
                    yield TextUnit(data=line, offset=start)
                    continue
                for path, text in walk_strings(doc, f"line {number} $"):
                    yield TextUnit(text=text, message_id=path[:200])

