"""Hashes of an uploaded file: MD5, SHA-1, SHA-256, and PDQ for pictures (the triage hash names)."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image

from tasman.triage.perceptual.dihedral import dihedral_variants

MAX_PIXELS = 40_000_000  # a bigger picture is refused as a possible decompression bomb


@dataclass(frozen=True)
class UploadHashes:
    size: int
    md5: str
    sha1: str
    sha256: str
    pdq: str | None = None
    pdq_quality: int | None = None
    pdq_variants: tuple[str, ...] = ()   # the 8 dihedral hashes (rotated / mirrored copies match too)


def pdq_of(data: bytes) -> tuple[tuple[str, ...], int] | None:
    """The 8 dihedral PDQ hashes (the first is the picture's own, ThreatExchange hex) and quality,
    computed as the triage runner does; None if Pillow cannot decode the file safely."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                if img.width * img.height > MAX_PIXELS:
                    return None
                rgb = img.convert("RGB")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None
    return dihedral_variants(rgb)


def hash_upload(data: bytes, picture: bool) -> UploadHashes:
    pdq = pdq_of(data) if picture else None
    return UploadHashes(
        size=len(data), md5=hashlib.md5(data).hexdigest(), sha1=hashlib.sha1(data).hexdigest(),
        sha256=hashlib.sha256(data).hexdigest(), pdq=pdq[0][0] if pdq else None,
        pdq_quality=pdq[1] if pdq else None, pdq_variants=pdq[0] if pdq else (),
    )
