"""A small benign evidence set: a folder of pictures and a zip holding another zip."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from tasman.synth.images import draw_picture, write_pictures

FIXED_TIME = (2024, 1, 1, 12, 0, 0)  # so generated archives hash the same on every run


def _put(z: zipfile.ZipFile, name: str, data: bytes | str) -> None:
    z.writestr(zipfile.ZipInfo(name, FIXED_TIME), data)


def _jpeg_bytes(seed: int) -> bytes:
    buf = io.BytesIO()
    draw_picture(seed, (320, 240)).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def make_evidence_set(root: Path) -> dict[str, Path]:
    """Write the demo's evidence under ``root`` and return the top-level items by role."""
    root.mkdir(parents=True, exist_ok=True)
    folder = root / "uploads"
    write_pictures(folder / "Pictures", range(1, 9), (320, 240))
    (folder / "notes.txt").write_text("Meeting moved to Tuesday. Contact: demo.user@example.org\n", encoding="utf-8")
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        for seed in (101, 102, 103):
            _put(z, f"DCIM/img_{seed}.jpg", _jpeg_bytes(seed))
    archive = root / "backup.zip"
    with zipfile.ZipFile(archive, "w") as z:
        _put(z, "inner.zip", inner.getvalue())
        _put(z, "readme.txt", "Backup of phone, synthetic.\n")
        _put(z, "photos/img_201.jpg", _jpeg_bytes(201))
    return {"folder": folder, "archive": archive}
