"""vPDQ video lists. Frame lines are HMA's vPDQ text format, ``frame_number,quality,hash_hex,
timestamp`` (one frame a line, as ``vpdq`` writes it). Tasman's list format puts several videos in
one file: a line ``# video key=value ...`` starts a video and names it (keys ``name``, ``md5``,
``sha1``, ``sha256``, ``category``; values without spaces). A file without such lines is one
video named after the file. Each video becomes a ``video`` entry (its file hashes, for exact
matching) and one ``frame`` entry a frame, all with the video's ``ref``::

    # video name=clip-1 md5=9e107d9d372bb6826bd81d3542a419d6 category=1
    0,100,f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,0.000
    1,98,f8f8f0cce0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,1.000
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from tasman.triage.hashsets.base import Entry, HashSetFormat, bounded_lines, clean_hex, clean_quality, head_lines

FRAME = re.compile(r"^(\d+)\s*,\s*(\d{1,3})\s*,\s*([0-9a-fA-F]{64})\s*(?:,\s*([0-9.]+))?\s*$")
HEADER = re.compile(r"^#\s*video\b(.*)$", re.IGNORECASE)
LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64}


class VpdqFormat(HashSetFormat):
    name = "vpdq"
    description = "vPDQ frame hashes (HMA frame_number,quality,hash,timestamp), '# video' lines between videos"

    @classmethod
    def detect(cls, head: bytes, filename: str) -> bool:
        text = head.decode("utf-8", errors="replace").lstrip("\ufeff").lstrip()
        if HEADER.match(text.splitlines()[0] if text else ""):
            return True
        lines = head_lines(head)
        return bool(lines) and all(FRAME.match(s) for s in lines)

    def parse(self, stream: BinaryIO) -> Iterator[Entry]:
        import io

        default_ref = Path(getattr(stream, "name", "video")).stem or "video"
        ref: str | None = None
        category: str | None = None
        videos = 0
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
        for number, raw in bounded_lines(text, self.warn):
            line = raw.strip()
            if not line:
                continue
            header = HEADER.match(line)
            if header:
                videos += 1
                video = self._video(number, header.group(1), f"{default_ref}-{videos}")
                if video is not None:
                    ref, category = video.ref, video.category  # type: ignore[assignment]
                    yield video
                else:
                    ref = None
                continue
            if line.startswith(("#", "//")):
                continue
            if ref is None:
                if videos:          # the frames of a video whose header was bad
                    continue
                videos, ref, category = 1, default_ref, None
                yield Entry(kind="video", ref=ref)
            m = FRAME.match(line)
            if not m:
                self.warn(f"line {number}", f"not a vPDQ frame line (frame,quality,hash,timestamp): {line[:80]!r}")
                continue
            try:
                quality = clean_quality(m.group(2))
                pdq = clean_hex(m.group(3), 64, "PDQ")
            except ValueError as exc:
                self.warn(f"line {number}", str(exc))
                continue
            extra = {"ts": float(m.group(4))} if m.group(4) else None
            yield Entry(pdq=pdq, quality=quality, category=category, kind="frame", ref=ref,
                        part=int(m.group(1)), extra=extra)
        text.detach()

    def _video(self, number: int, attrs: str, fallback: str) -> Entry | None:
        values: dict[str, str] = {}
        for item in attrs.split():
            key, sep, value = item.partition("=")
            if not sep:
                self.warn(f"line {number}", f"'{item}' is not key=value")
                return None
            values[key.strip().lower()] = value.strip()
        try:
            hashes = {k: clean_hex(values[k], n, k.upper()) for k, n in LENGTHS.items() if values.get(k)}
        except ValueError as exc:
            self.warn(f"line {number}", str(exc))
            return None
        ref = values.get("name") or hashes.get("md5") or hashes.get("sha256") or fallback
        extra = {"name": values["name"]} if values.get("name") else None
        return Entry(**hashes, category=values.get("category"), kind="video", ref=ref[:200],  # type: ignore[arg-type]
                     extra=extra)
