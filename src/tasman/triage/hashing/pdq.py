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
    """64 x n: PDQ's two box passes along an axis of ``n`` pixels, then its 64-point decimation.

    Built for each picture size a worker meets (and, for the hypotheses, four more sizes each):
    the compiled loop (``kernels.tent_operator``) gives numpy's scatter-and-cumsum's very floats
    at a sixteenth of its cost (~0.08 ms at 1,000 pixels)."""
    from tasman.triage.hashing import kernels

    result: np.ndarray = kernels.tent_operator(n)
    return result


@lru_cache(maxsize=512)
def folded_operator(n: int, m: int, s: int) -> np.ndarray:
    """The full-size operator for ``n`` pixels folded onto ``m`` decoded pixels of ``s`` each
    (float32; compiled: ``kernels.fold``, numpy's block sums' very floats)."""
    from tasman.triage.hashing import kernels

    out: np.ndarray = kernels.fold(axis_operator(n), m, s)
    return out


@dataclass(frozen=True)
class Band:
    """A 64 x m operator (or any k x m one) kept as its non-zero band: output sample ``r`` reads
    decoded pixels ``idx[r]`` with weights ``w[r]``. The tent is a few pixels wide, so gathering those beats a
    dense matrix product by one or two orders of magnitude."""

    idx: np.ndarray     # 64 x K
    w: np.ndarray       # 64 x K, zero past a row's band

    def rows(self, a: np.ndarray) -> np.ndarray:
        """The operator applied down the rows of ``a`` (m x c -> k x c)."""
        out: np.ndarray = np.einsum("rk,rkc->rc", self.w, a[self.idx])
        return out

    def cols(self, a: np.ndarray) -> np.ndarray:
        """The operator applied along the columns of ``a`` (r x m -> r x k)."""
        out: np.ndarray = np.einsum("ck,rck->rc", self.w, a[:, self.idx])
        return out


@lru_cache(maxsize=1024)
def folded_band(n: int, m: int, s: int) -> Band:
    return band_of(folded_operator(n, m, s))


def band_of(op: np.ndarray) -> Band:
    """The non-zero band of a k x m operator whose rows each read one run of neighbouring pixels."""
    m = op.shape[1]
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
    return folded_band(width, cols, scale).cols(folded_band(height, rows, scale).rows(luma))


_DCT = np.array([[math.sqrt(2 / 64) * math.cos(math.pi / 128 * (i + 1) * (2 * j + 1)) for j in range(64)]
                 for i in range(16)], dtype=np.float32)
_ODD_COL = (np.arange(16)[None, :] & 1).astype(bool).repeat(16, axis=0)
_ODD_ROW = _ODD_COL.T
_ODD_SUM = ((np.arange(16)[:, None] + np.arange(16)[None, :]) & 1).astype(bool)


# The DCT of each rotation/flip of the picture, from the original's DCT: sign flips by row/column
# parity, then a transpose for the four that swap the axes (the reference's order, see PdqResult).
_PLUS = np.ones((16, 16))
_COL_SIGN, _ROW_SIGN, _SUM_SIGN = (np.where(m, 1.0, -1.0) for m in (_ODD_COL, _ODD_ROW, ~_ODD_SUM))
_SIGNS = np.stack([_PLUS, _COL_SIGN, _SUM_SIGN, _ROW_SIGN, _ROW_SIGN, _COL_SIGN, _PLUS, _SUM_SIGN]).astype(np.float32)
_TRANSPOSED = [1, 3, 6, 7]


@dataclass(frozen=True)
class PdqResult:
    hash: str
    quality: int
    variants: tuple[str, ...] = ()   # the eight dihedral hashes: original, rot90, rot180, rot270,
                                     # flipX, flipY, flip+1, flip-1 (the reference's order)
    extra: tuple[tuple[str, int], ...] = ()   # (hex, quality) of the extra buffers handed in
    extra_masks: tuple[str, ...] = ()         # confident-bit masks of extra[mask_from:] (``mask_keep`` bits)


def to_hex(dct16: np.ndarray) -> str:
    return to_hexes(dct16[None])[0]


def to_hexes(dcts: np.ndarray) -> list[str]:
    """Hex hashes of a stack of 16x16 DCT outputs (k x 16 x 16) in one pass."""
    values = dcts.reshape(len(dcts), 256)
    median = np.partition(values, 127, axis=1)[:, 127:128]    # torben: the lower median of 256 values
    bits = (values > median).astype(np.uint8)[:, ::-1]
    packed = np.packbits(bits, axis=1)
    return [row.tobytes().hex() for row in packed]


def confident_masks(buffers: np.ndarray, keep: int) -> list[str]:
    """Hex masks (in :func:`to_hexes`'s bit order) of the ``keep`` bits of each buffer's hash
    (k x 64 x 64) whose DCT coefficient lies furthest from the median: the bits least likely to
    flip when the picture is disturbed (a guessed border, an in-painted box, recompression)."""
    return masks_of_dcts(_DCT @ buffers @ _DCT.T, keep)


def masks_of_dcts(dcts: np.ndarray, keep: int) -> list[str]:
    """:func:`confident_masks` of the buffers whose 16x16 DCTs are ``dcts`` (k x 16 x 16): the
    ``keep`` coefficients furthest from the median, the first of equals first (as a stable sort
    would rank them), without sorting: those beyond the ``keep``-th distance, then as many of
    those at it as are wanted, in order."""
    values = dcts.reshape(len(dcts), 256)
    median = np.partition(values, 127, axis=1)[:, 127:128]
    far = np.abs(values - median)
    kth = -np.partition(-far, keep - 1, axis=1)[:, keep - 1:keep]
    beyond = far > kth
    at = far == kth
    mask = beyond | (at & (np.cumsum(at, axis=1) <= keep - beyond.sum(axis=1, keepdims=True)))
    return [row.tobytes().hex() for row in np.packbits(mask[:, ::-1], axis=1)]


def qualities(buffers: np.ndarray) -> np.ndarray:
    """The reference's gradient count of each 64x64 buffer (k x 64 x 64): sum of int((u - v) * 100 / 255)
    magnitudes, / 90, capped at 100 (|trunc(x)| is floor(|x|), and taking |.| first is exact).
    One compiled pass (``kernels.qualities``, imported at first use as ``hypotheses`` does)."""
    from tasman.triage.hashing import kernels

    out: np.ndarray = kernels.qualities(np.ascontiguousarray(buffers, dtype=np.float32))
    return out


def quality_of(a: np.ndarray) -> int:
    return int(qualities(a[None])[0])


def hashes_of_buffers(buffers: np.ndarray) -> list[tuple[str, int]]:
    """(hex, quality) of a stack of 64x64 downsampled buffers (k x 64 x 64)."""
    dcts = _DCT @ buffers @ _DCT.T
    return list(zip(to_hexes(dcts), (int(q) for q in qualities(buffers)), strict=True))


def distinct_hashes(pairs: tuple[tuple[str, int], ...] | list[tuple[str, int]], min_quality: int) -> tuple[str, ...]:
    """The hashes of quality ``min_quality`` or more, each once, in order."""
    out: list[str] = []
    for hx, quality in pairs:
        if quality >= min_quality and hx not in out:
            out.append(hx)
    return tuple(out)


def dihedral_dcts(b: np.ndarray) -> np.ndarray:
    """The DCTs (8 x 16 x 16) of the picture's eight rotations and mirror images, from its own DCT."""
    out = b[None] * _SIGNS
    out[_TRANSPOSED] = out[_TRANSPOSED].transpose(0, 2, 1)
    return out


def pdq_from_luma(luma: np.ndarray, full_size: tuple[int, int] | None = None, scale: int = 1,
                  dihedral: bool = True, extra: np.ndarray | None = None, mask_from: int | None = None,
                  mask_keep: int = 0) -> PdqResult:
    """PDQ of a luma plane (float32, rows x cols) decoded at ``1/scale`` of ``full_size`` (width, height).

    ``extra`` (k x 64 x 64 buffers, e.g. the crop stage's regions) are hashed in the same batch:
    small numpy operations cost their call overhead, so one batch for all is markedly cheaper.
    With ``mask_from``, the extra buffers from that one on also get their :func:`confident_masks`
    of ``mask_keep`` bits, from the same DCTs."""
    rows, cols = luma.shape
    width, height = full_size or (cols, rows)
    if width < MIN_HASHABLE_DIM or height < MIN_HASHABLE_DIM:
        return PdqResult("0" * 64, 0, ("0" * 64,) * 8 if dihedral else ())
    if rows == 64 and cols == 64 and scale == 1:
        a = luma.astype(np.float32)
    else:
        a = downsample(luma, (width, height), scale)
    stack = a[None] if extra is None or not len(extra) else np.concatenate([a[None], extra], dtype=np.float32)
    dcts = _DCT @ stack @ _DCT.T
    quality = qualities(stack)
    firsts = dihedral_dcts(dcts[0]) if dihedral else dcts[:1]
    hexes = to_hexes(np.concatenate([firsts, dcts[1:]]))
    rest = zip(hexes[len(firsts):], (int(q) for q in quality[1:]), strict=True)
    masked = dcts[1 + mask_from:] if mask_from is not None else dcts[:0]
    masks = tuple(masks_of_dcts(masked, mask_keep)) if len(masked) else ()
    return PdqResult(hexes[0], int(quality[0]), tuple(hexes[:8]) if dihedral else (), tuple(rest), masks)


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()
