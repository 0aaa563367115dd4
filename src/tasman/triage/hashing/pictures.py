"""Decoding pictures just enough for PDQ: JPEGs at reduced DCT scale and luma only, others
decoded then box-reduced, both folded back onto PDQ's full-size filter (see ``pdq``).

The scale is the smallest of 1/8, 1/4, 1/2 that keeps the short side at ``min_side`` pixels or
more; at the default 160 a 1-megapixel JPEG decodes at 1/4 and its hashes stay within a few
bits of ``pdqhash.compute`` on the full-size decode (figures in bench/triage.py).
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, UnidentifiedImageError

from tasman.triage.hashing.pdq import pdq_from_luma

MIN_SIDE = 160
SCALES = (8, 4, 2)
RegionFn = Callable[[Image.Image], tuple[str, ...]]
_heif_registered = False


class PictureError(Exception):
    """The picture cannot be decoded (truncated, corrupt, too large); the message is the reason."""


@dataclass(frozen=True)
class PictureHashes:
    pdq: str
    quality: int
    variants: tuple[str, ...]
    regions: tuple[str, ...]
    width: int
    height: int
    scale: int
    format: str


def _register_heif() -> None:
    global _heif_registered
    if not _heif_registered:
        try:
            import pillow_heif

            pillow_heif.register_heif_opener()
        except ImportError:  # pragma: no cover - optional at run time
            pass
        _heif_registered = True


def choose_scale(width: int, height: int, min_side: int = MIN_SIDE) -> int:
    short = min(width, height)
    for s in SCALES:
        if short // s >= min_side:
            return s
    return 1


def _open(content: bytes, max_pixels: int) -> Image.Image:
    _register_heif()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            im = Image.open(io.BytesIO(content))
        except Image.DecompressionBombError as exc:
            raise PictureError(f"picture too large (decompression bomb?): {exc}") from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
            raise PictureError(f"not a picture the decoder reads: {exc}") from None
    width, height = im.size
    if width * height > max_pixels:
        raise PictureError(f"{width} x {height} pixels is over the {max_pixels}-pixel limit "
                           "(decompression bomb?); not decoded")
    return im


def _to_luma(im: Image.Image) -> Image.Image:
    if im.mode == "L":
        return im
    if im.mode in ("RGB", "RGBA", "RGBX", "P", "PA", "LA", "1"):
        return im.convert("L")
    return im.convert("RGB").convert("L")


def decode_luma(content: bytes, *, max_pixels: int, min_side: int = MIN_SIDE) -> tuple[Image.Image, int, int, int, str]:
    """(luma picture at reduced scale, full width, full height, scale, format)."""
    im = _open(content, max_pixels)
    width, height = im.size
    fmt = im.format or "?"
    scale = choose_scale(width, height, min_side)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            if fmt == "JPEG":
                im.draft("L", (max(1, width // scale), max(1, height // scale)))
                scale = _actual_scale(width, height, im.size)
                im.load()
                luma = _to_luma(im)
            else:
                im.seek(0)
                luma = _to_luma(im)
                if scale > 1:
                    luma = luma.reduce(scale)
    except Image.DecompressionBombError as exc:
        raise PictureError(f"picture too large (decompression bomb?): {exc}") from None
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError) as exc:
        raise PictureError(f"truncated or corrupt {fmt} picture: {exc}") from None
    return luma, width, height, scale, fmt


def _actual_scale(width: int, height: int, size: tuple[int, int]) -> int:
    for s in (8, 4, 2, 1):
        if size == (-(-width // s), -(-height // s)):
            return s
    raise PictureError(f"unexpected reduced size {size} for {width} x {height}")


def hash_picture(content: bytes, *, max_pixels: int, min_side: int = MIN_SIDE,
                 regions: RegionFn | None = None) -> PictureHashes:
    luma, width, height, scale, fmt = decode_luma(content, max_pixels=max_pixels, min_side=min_side)
    result = pdq_from_luma(np.asarray(luma, dtype=np.float32), (width, height), scale)
    found: tuple[str, ...] = ()
    if regions is not None:
        found = tuple(regions(luma))
    return PictureHashes(result.hash, result.quality, result.variants, found, width, height, scale, fmt)
