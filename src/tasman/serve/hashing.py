"""Hashes of an uploaded file: MD5, SHA-1, SHA-256, and PDQ for pictures (the triage hash names)."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

import numpy as np
import pdqhash
from PIL import Image

MAX_PIXELS = 40_000_000  # a bigger picture is refused as a possible decompression bomb


@dataclass(frozen=True)
class UploadHashes:
    size: int
    md5: str
    sha1: str
    sha256: str
    pdq: str | None = None
    pdq_quality: int | None = None


def pdq_of(data: bytes) -> tuple[str, int] | None:
    """PDQ hex (ThreatExchange bit order) and quality, or None if Pillow cannot decode it safely."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                if img.width * img.height > MAX_PIXELS:
                    return None
                rgb = np.asarray(img.convert("RGB"))
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None
    vector, quality = pdqhash.compute(rgb)
    return np.packbits(vector.astype(np.uint8)).tobytes().hex(), int(quality)


def hash_upload(data: bytes, picture: bool) -> UploadHashes:
    pdq = pdq_of(data) if picture else None
    return UploadHashes(
        size=len(data), md5=hashlib.md5(data).hexdigest(), sha1=hashlib.sha1(data).hexdigest(),
        sha256=hashlib.sha256(data).hexdigest(), pdq=pdq[0] if pdq else None, pdq_quality=pdq[1] if pdq else None,
    )
