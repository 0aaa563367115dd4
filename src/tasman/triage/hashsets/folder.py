"""Hash sets built from pictures the lab holds (``tasman hashset build FOLDER``): every file's
MD5/SHA-1/SHA-256, and for every picture Pillow decodes its full PDQ and the region hashes of the
crop-tolerant stage (``tasman.triage.perceptual.regions``). The files are only read, never shown."""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError

from tasman.triage.hashsets.base import Entry, HashSetFormat
from tasman.triage.perceptual.dihedral import pdq_hash
from tasman.triage.perceptual.regions import listed_region_hashes

MAX_PIXELS = 200_000_000


def file_hashes(path: Path) -> dict[str, str]:
    md5, sha1, sha256 = hashlib.md5(), hashlib.sha1(), hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            md5.update(chunk)
            sha1.update(chunk)
            sha256.update(chunk)
    return {"md5": md5.hexdigest(), "sha1": sha1.hexdigest(), "sha256": sha256.hexdigest()}


class FolderSource(HashSetFormat):
    name = "folder"
    description = "pictures in a folder (tasman hashset build): crypto hashes, PDQ and region PDQs"

    def __init__(self, folder: Path, category: str | int | None = None) -> None:
        super().__init__()
        self.folder, self.category = folder, category

    @classmethod
    def detect(cls, head: bytes, filename: str) -> bool:
        return False          # never a file's format; chosen by 'hashset build'

    def _files(self) -> list[Path]:
        """Every regular file below the folder (symbolic links not followed); a folder that cannot be
        listed is reported like a file that cannot be read, not left out in silence."""
        def unlisted(exc: OSError) -> None:
            where = Path(exc.filename) if exc.filename else self.folder
            rel = where.relative_to(self.folder).as_posix() if where.is_relative_to(self.folder) else str(where)
            self.warn(rel, f"cannot list folder: {exc.strerror or exc}")

        files: list[Path] = []
        for dirpath, _dirs, names in os.walk(self.folder, onerror=unlisted):
            files.extend(p for p in (Path(dirpath) / n for n in names) if p.is_file() and not p.is_symlink())
        return sorted(files)

    def parse(self, stream: BinaryIO | None = None) -> Iterator[Entry]:
        for path in self._files():
            rel = path.relative_to(self.folder).as_posix()
            try:
                hashes = file_hashes(path)
            except OSError as exc:
                self.warn(rel, f"cannot read: {exc.strerror or exc}")
                continue
            md5, sha1, sha256 = hashes["md5"], hashes["sha1"], hashes["sha256"]
            picture = self._picture(path, rel)
            if picture is None:
                yield Entry(md5=md5, sha1=sha1, sha256=sha256, category=self.category, ref=sha1, extra={"name": rel})
                continue
            pdq, quality = pdq_hash(picture)
            yield Entry(md5=md5, sha1=sha1, sha256=sha256, pdq=pdq, quality=quality, category=self.category,
                        ref=sha1, extra={"name": rel})
            for part, hx, q in listed_region_hashes(picture):
                yield Entry(pdq=hx, quality=q, category=self.category, kind="region", ref=sha1, part=part)

    def _picture(self, path: Path, rel: str) -> Image.Image | None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                with Image.open(path) as im:
                    if im.width * im.height > MAX_PIXELS:
                        self.warn(rel, f"{im.width}x{im.height} pixels is too large to hash; crypto hashes only")
                        return None
                    return im.convert("RGB")
        except (UnidentifiedImageError, Image.DecompressionBombError):
            return None             # not a picture: crypto hashes only
        except (OSError, ValueError, SyntaxError) as exc:
            self.warn(rel, f"picture cannot be decoded ({exc}); crypto hashes only")
            return None
