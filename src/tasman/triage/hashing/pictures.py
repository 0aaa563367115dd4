"""Decoding pictures just enough for PDQ: JPEGs at reduced DCT scale and luma only, others
decoded then box-reduced, both folded back onto PDQ's full-size filter (see ``pdq``).

The standard scale is the smallest of 1/8, 1/4, 1/2 that keeps the short side at ``min_side``
pixels or more; at the default 160 a 1-megapixel JPEG would decode at 1/4 and its hashes stay
within a few bits of ``pdqhash.compute`` on the full-size decode (figures in bench/triage.py).

A JPEG whose standard scale is finer than 1/8 but whose short side keeps ``EIGHTH_MIN_SIDE``
pixels at 1/8 is first decoded at 1/8 (libjpeg-turbo's 1x1 IDCT: each pixel is its 8x8 block's
DC term, no AC arithmetic). Folding PDQ's filter over 8x8 blocks is exact for pictures smooth
within a block and drifts where sharp edges or fine texture sit inside blocks (documents, app
screens, checkerboards: 14-34 bits at 1/8 where 1/4 gives 2-8). Such pictures show it in the
1/8 picture itself: its mean absolute Laplacian, relative to its standard deviation
(:func:`edge_ratio`), is about 1-2.5 for them and under 0.4 for smooth fields, landscapes and
drawn scenes. So a 1/8 decode whose ratio is over ``EDGE_LIMIT`` is thrown away and the picture
decoded again at its standard scale. The pictures kept at 1/8 move about 2 bits more than at
1/4 (p99 8-10, max 14 bits from the reference, where 1/4 gave max 6-8), for a worker about 1.16x
cheaper (figures in docs/triage.md, ``bench/triage.py --steps``). Setting ``EIGHTH_MIN_SIDE``
out of reach restores the standard scale for every picture.

JPEGs go through simplejpeg (libjpeg-turbo straight into a numpy array: the same pixels as
Pillow's draft mode, without building a Pillow image, ~12% less decode time); anything it
declines (CMYK, arithmetic coding, damage) goes to Pillow, whose messages are the reasons
reported for bad files.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import simplejpeg
from PIL import Image, UnidentifiedImageError

from tasman.triage.hashing.hypotheses import MASK_BITS, hypothesis_buffers, skip_note
from tasman.triage.hashing.pdq import distinct_hashes, pdq_from_luma

MIN_SIDE = 160
SCALES = (8, 4, 2)
EIGHTH_MIN_SIDE = 64       # a JPEG is tried at 1/8 while its short side keeps this many pixels
EDGE_LIMIT = 0.5           # ...and kept at 1/8 while its edge_ratio is at most this
RegionFn = Callable[..., np.ndarray]    # (luma, full_size=(w, h), scale=s) -> region buffers (k x 64 x 64)
REGION_MIN_QUALITY = 50
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
    hypotheses: tuple[tuple[str, str], ...] = ()   # (name, hex) of the crop/overlay hypotheses
    hypothesis_masks: tuple[str, ...] = ()           # each one's confident bits (hex), in the same order
    note: str | None = None                          # why the picture got no hypotheses
    warning: str | None = None                       # a hypothesis that failed (the hashes above stand)


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


Decoded = tuple[np.ndarray, int, int, int, str]    # luma (uint8 rows x cols), full width, full height, scale, format
JPEG_SOI = b"\xff\xd8\xff"


def edge_ratio(luma: np.ndarray) -> float:
    """Mean absolute Laplacian of a luma plane over its standard deviation: how much of its
    contrast sits in pixel-to-pixel edges. Contrast-free, as PDQ is (it thresholds at the median)."""
    a = luma.astype(np.float32)
    if min(a.shape) < 3:
        return float("inf")
    lap = 4 * a[1:-1, 1:-1] - a[:-2, 1:-1] - a[2:, 1:-1] - a[1:-1, :-2] - a[1:-1, 2:]
    return float(np.abs(lap).mean() / max(float(a.std()), 1.0))


def eighth_first(width: int, height: int, min_side: int) -> bool:
    """Whether a JPEG of this size is tried at 1/8 before its standard scale (see the module doc)."""
    return choose_scale(width, height, min_side) < 8 and min(width, height) // 8 >= EIGHTH_MIN_SIDE


def _jpeg_luma(content: bytes, width: int, height: int, scale: int) -> np.ndarray | None:
    luma = simplejpeg.decode_jpeg(content, colorspace="GRAY", min_height=-(-height // scale),
                                  min_width=-(-width // scale))
    rows, cols = luma.shape[:2]
    if (cols, rows) != (-(-width // scale), -(-height // scale)):
        return None
    return luma.reshape(rows, cols)


def _fast_jpeg(content: bytes, max_pixels: int, min_side: int) -> Decoded | None:
    """The luma plane of a plain JPEG at reduced DCT scale, or None to leave the file to Pillow."""
    if not content.startswith(JPEG_SOI):
        return None
    try:
        h, w, _, _ = simplejpeg.decode_jpeg_header(content)
        height, width = int(h), int(w)
        if width * height > max_pixels or min(width, height) < 1:
            return None                          # Pillow words the refusal
        if eighth_first(width, height, min_side):
            luma = _jpeg_luma(content, width, height, 8)
            if luma is not None and edge_ratio(luma) <= EDGE_LIMIT:
                return luma, width, height, 8, "JPEG"
        scale = choose_scale(width, height, min_side)
        luma = _jpeg_luma(content, width, height, scale)
    except ValueError:
        return None
    if luma is None:
        return None
    return luma, width, height, scale, "JPEG"


def decode_luma(content: bytes, *, max_pixels: int, min_side: int = MIN_SIDE) -> Decoded:
    """(luma plane at reduced scale as uint8 rows x cols, full width, full height, scale, format)."""
    fast = _fast_jpeg(content, max_pixels, min_side)
    if fast is not None:
        return fast
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
                luma = _reduced_luma(im, scale)
    except Image.DecompressionBombError as exc:
        raise PictureError(f"picture too large (decompression bomb?): {exc}") from None
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError) as exc:
        raise PictureError(f"truncated or corrupt {fmt} picture: {exc}") from None
    return np.asarray(luma), width, height, scale, fmt


STRIP_BYTES = 8 << 20         # a large picture is turned to luma and reduced this much at a time


def _reduced_luma(im: Image.Image, scale: int) -> Image.Image:
    """The picture's luma, box-reduced by ``scale``. Formats other than JPEG decode at full size
    (Pillow has no reduced decode for them, and keeps RGB as 4 bytes a pixel), so a large picture
    is converted and reduced in strips of whole ``scale``-row blocks: the same pixels as one
    reduce of the whole luma, without a second full-size copy (a 100-megapixel RGB PNG peaks at
    0.48 GB in a worker instead of 0.57)."""
    width, height = im.size
    if scale == 1 or width * height * 4 <= STRIP_BYTES * 4:
        luma = _to_luma(im)
        return luma.reduce(scale) if scale > 1 else luma
    im.load()
    rows = max(scale, STRIP_BYTES // (4 * width) // scale * scale)
    out = Image.new("L", (-(-width // scale), -(-height // scale)))
    for top in range(0, height, rows):
        strip = _to_luma(im.crop((0, top, width, min(height, top + rows))))
        out.paste(strip.reduce(scale), (0, top // scale))
    return out


def _actual_scale(width: int, height: int, size: tuple[int, int]) -> int:
    for s in (8, 4, 2, 1):
        if size == (-(-width // s), -(-height // s)):
            return s
    raise PictureError(f"unexpected reduced size {size} for {width} x {height}")


def hash_picture(content: bytes, *, max_pixels: int, min_side: int = MIN_SIDE,
                 regions: RegionFn | None = None, hypotheses: bool = False) -> PictureHashes:
    """The picture's PDQ with its dihedral variants, the crop stage's region hashes (``regions``)
    and, with ``hypotheses``, the crop/overlay hypotheses (see ``hypotheses``), in one batch."""
    luma, width, height, scale, fmt = decode_luma(content, max_pixels=max_pixels, min_side=min_side)
    extra = regions(luma, full_size=(width, height), scale=scale) if regions is not None else None
    luma32 = luma.astype(np.float32)
    names: tuple[str, ...] = ()
    buffers = np.zeros((0, 64, 64), dtype=np.float32)
    note = warning = None
    if hypotheses:
        note = skip_note(luma.shape[0], luma.shape[1], (width, height))
        if note is None:
            try:
                names, buffers = hypothesis_buffers(luma32, (width, height), scale)
            except (ValueError, IndexError, FloatingPointError, MemoryError) as exc:
                warning = f"warning: crop/overlay hypotheses not computed ({type(exc).__name__}: {exc}); " \
                          "the picture's own hashes stand"
            else:
                extra = buffers if extra is None or not len(extra) else np.concatenate([extra, buffers])
    split = (0 if extra is None else len(extra)) - len(names)
    result = pdq_from_luma(luma32, (width, height), scale, extra=extra, mask_from=split if names else None,
                           mask_keep=MASK_BITS)
    found = distinct_hashes(result.extra[:split], REGION_MIN_QUALITY)
    kept = [k for k, (_, q) in enumerate(result.extra[split:]) if q >= REGION_MIN_QUALITY]
    guessed = tuple((names[k], result.extra[split + k][0]) for k in kept)
    masks = tuple(result.extra_masks[k] for k in kept)
    return PictureHashes(result.hash, result.quality, result.variants, found, width, height, scale, fmt,
                         guessed, masks, note, warning)
