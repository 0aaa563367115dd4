"""PDQ, computed the way Meta's reference does it, from a picture decoded at reduced scale.

The reference (``pdqhash.compute``) blurs the full-size luma with two passes of box filters
(Jarosz tent) whose windows come from the FULL size, samples 64x64 points, takes a 16x16 DCT
and thresholds at the median. All of that is linear up to the DCT, so along each axis it is one
64 x n matrix. When the picture was decoded at 1/s scale (JPEG DCT scaling, Pillow ``reduce``),
each decoded pixel stands for an s x s block of the full picture, so we fold the full-size
matrix over those blocks: the same weights, applied to block averages. Hashes stay within a
few bits of the reference (see bench/triage.py) at a fraction of the decode cost.

Hex form: bit ``k`` (row-major over the 16x16 DCT, as in ``Hash256::setBit``) is bit ``k`` of a
256-bit integer printed as 64 hex digits, the ThreatExchange/HMA convention.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

MIN_HASHABLE_DIM = 5


@lru_cache(maxsize=512)
def axis_operator(n: int) -> np.ndarray:
    """64 x n: PDQ's two box passes along an axis of ``n`` pixels, then its 64-point decimation."""
    full = (n + 127) // 128                       # computeJaroszFilterWindowSize(n, 64)
    half = (full + 2) // 2
    k = np.arange(n)
    lo = np.maximum(0, k - (full - half))
    hi = np.minimum(n - 1, k + half - 1)
    cnt = (hi - lo + 1).astype(np.float64)
    picks = ((np.arange(64) + 0.5) * n / 64).astype(np.int64)
    first = np.zeros((64, n))
    for r, c in enumerate(picks):                  # one box pass: row ``c`` of the box matrix
        first[r, lo[c]:hi[c] + 1] = 1.0 / cnt[c]
    weights = first / cnt                          # second box pass, as a scatter
    diff = np.zeros((n + 1, 64))
    np.add.at(diff, lo, weights.T)
    np.add.at(diff, hi + 1, -weights.T)
    result: np.ndarray = np.cumsum(diff, axis=0)[:n].T
    return result


@lru_cache(maxsize=512)
def folded_operator(n: int, m: int, s: int) -> np.ndarray:
    """The full-size operator for ``n`` pixels folded onto ``m`` decoded pixels of ``s`` each."""
    op = axis_operator(n)
    padded = np.zeros((64, m * s))
    width = min(n, m * s)
    padded[:, :width] = op[:, :width]
    return np.ascontiguousarray(padded.reshape(64, m, s).sum(axis=2), dtype=np.float32)


@dataclass(frozen=True)
class Band:
    """A 64 x m operator kept as its non-zero band: output sample ``r`` reads decoded pixels
    ``idx[r]`` with weights ``w[r]``. The tent is a few pixels wide, so gathering those beats a
    dense matrix product by one or two orders of magnitude."""

    idx: np.ndarray     # 64 x K
    w: np.ndarray       # 64 x K, zero past a row's band


@lru_cache(maxsize=1024)
def folded_band(n: int, m: int, s: int) -> Band:
    op = folded_operator(n, m, s)
    nonzero = np.abs(op) > 1e-7 * np.abs(op).max(axis=1, keepdims=True)   # cumsum leaves ~1e-17 residues
    first = nonzero.argmax(axis=1)
    last = m - 1 - nonzero[:, ::-1].argmax(axis=1)
    width = int((last - first).max()) + 1
    pos = first[:, None] + np.arange(width)[None, :]
    idx = np.minimum(pos, m - 1)
    w = np.where(pos <= last[:, None], np.take_along_axis(op, idx, axis=1), 0.0).astype(np.float32)
    return Band(idx, w)


def downsample(luma: np.ndarray, full_size: tuple[int, int], scale: int) -> np.ndarray:
    """PDQ's 64x64 buffer (tent-filtered, decimated) of a luma plane decoded at ``1/scale``."""
    rows, cols = luma.shape
    width, height = full_size
    rb = folded_band(height, rows, scale)
    cb = folded_band(width, cols, scale)
    r = np.einsum("rk,rkc->rc", rb.w, luma[rb.idx])
    return np.einsum("ck,rck->rc", cb.w, r[:, cb.idx])


_DCT = np.array([[math.sqrt(2 / 64) * math.cos(math.pi / 128 * (i + 1) * (2 * j + 1)) for j in range(64)]
                 for i in range(16)], dtype=np.float32)
_ODD_COL = (np.arange(16)[None, :] & 1).astype(bool).repeat(16, axis=0)
_ODD_ROW = _ODD_COL.T
_ODD_SUM = ((np.arange(16)[:, None] + np.arange(16)[None, :]) & 1).astype(bool)


@dataclass(frozen=True)
class PdqResult:
    hash: str
    quality: int
    variants: tuple[str, ...] = ()   # the eight dihedral hashes: original, rot90, rot180, rot270,
                                     # flipX, flipY, flip+1, flip-1 (the reference's order)


def to_hex(dct16: np.ndarray) -> str:
    return to_hexes(dct16[None])[0]


def to_hexes(dcts: np.ndarray) -> list[str]:
    """Hex hashes of a stack of 16x16 DCT outputs (k x 16 x 16) in one pass."""
    values = dcts.reshape(len(dcts), 256)
    median = np.partition(values, 127, axis=1)[:, 127:128]    # torben: the lower median of 256 values
    bits = (values > median).astype(np.uint8)[:, ::-1]
    packed = np.packbits(bits, axis=1)
    return [row.tobytes().hex() for row in packed]


def quality_of(a: np.ndarray) -> int:
    """The reference's gradient count: sum of int((u - v) * 100 / 255) magnitudes, / 90, capped at 100
    (|trunc(x)| is floor(|x|), and taking |.| first is exact)."""
    dv = np.floor(np.abs(a[:-1, :] - a[1:, :]) * 100 / 255).sum()
    dh = np.floor(np.abs(a[:, :-1] - a[:, 1:]) * 100 / 255).sum()
    return min(100, int(dv + dh) // 90)


def hashes_of_buffers(buffers: np.ndarray) -> list[tuple[str, int]]:
    """(hex, quality) of a stack of 64x64 downsampled buffers (k x 64 x 64)."""
    dcts = _DCT @ buffers @ _DCT.T
    return list(zip(to_hexes(dcts), (quality_of(b) for b in buffers), strict=True))


def _dihedral(b: np.ndarray) -> tuple[np.ndarray, ...]:
    """The DCT of each rotation/flip of the picture, from the original's DCT (sign flips, transposes)."""
    return (
        b,
        np.where(_ODD_COL, b, -b).T,       # rotate 90
        np.where(_ODD_SUM, -b, b),         # rotate 180
        np.where(_ODD_ROW, b, -b).T,       # rotate 270
        np.where(_ODD_ROW, b, -b),         # flip x
        np.where(_ODD_COL, b, -b),         # flip y
        b.T,                               # flip +1 (transpose)
        np.where(_ODD_SUM, -b, b).T,       # flip -1
    )


def pdq_from_luma(luma: np.ndarray, full_size: tuple[int, int] | None = None, scale: int = 1,
                  dihedral: bool = True) -> PdqResult:
    """PDQ of a luma plane (float32, rows x cols) decoded at ``1/scale`` of ``full_size`` (width, height)."""
    rows, cols = luma.shape
    width, height = full_size or (cols, rows)
    if width < MIN_HASHABLE_DIM or height < MIN_HASHABLE_DIM:
        return PdqResult("0" * 64, 0, ("0" * 64,) * 8 if dihedral else ())
    if rows == 64 and cols == 64 and scale == 1:
        a = luma.astype(np.float32)
    else:
        a = downsample(luma, (width, height), scale)
    b = _DCT @ a @ _DCT.T
    variants = tuple(to_hexes(np.stack(_dihedral(b)))) if dihedral else ()
    return PdqResult(variants[0] if variants else to_hex(b), quality_of(a), variants)


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()
