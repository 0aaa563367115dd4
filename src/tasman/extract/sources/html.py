"""HTML: the raw markup is scanned (exact offsets, links in attributes), then the visible text
with entities decoded and tags removed, for what markup splits or escapes ("a&#64;b.org",
"+44 <b>7911</b> 123456"); values already found in the markup are not repeated."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser

from tasman.extract.sources.base import MAX_PARSE, Blob, Source, TextUnit, Unit, Warn
from tasman.extract.sources.text import TextSource, detect_encoding


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if value and name in ("href", "src", "title", "alt", "content", "value"):
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
        if tag in ("p", "div", "br", "li", "tr", "td", "th", "h1", "h2", "h3", "section", "article"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_text(markup: str) -> str:
    p = _Text()
    p.feed(markup)
    p.close()
    return " ".join(p.parts)


class HtmlSource(Source):
    name = "html"

    def accepts(self, name: str, head: bytes) -> bool:
        low = name.lower()
        return low.endswith((".html", ".htm", ".xhtml")) or b"<html" in head[:2048].lower()

    def read(self, blob: Blob, warn: Warn) -> Iterator[Unit]:
        yield from TextSource().read(blob, warn)
        with blob.open() as fh:
            data = fh.read(MAX_PARSE + 1)
        if len(data) > MAX_PARSE:
            warn(blob.path, "HTML larger than 256 MiB: markup scanned, visible text not extracted")
            return
        encoding, skip = detect_encoding(data[:65536])
        try:
            text = html_text(data[skip:].decode(encoding or "utf-8", "replace"))
        except Exception as exc:  # html.parser is lenient; anything it still chokes on is a warning
            warn(blob.path, f"HTML not parsed ({type(exc).__name__}: {exc}); markup scanned only")
            return
        yield TextUnit(text=text, meta={"layer": "html-text"})
