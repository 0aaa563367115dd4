"""The eight dihedral PDQ hashes of a picture (rotations by 90 degrees and mirror images), which
the runner puts in ``FileHashes.pdq_variants`` so that a rotated or mirrored copy of a listed
picture matches. pdqhash computes them from one DCT, at about the cost of one hash."""

from __future__ import annotations

import numpy as np
import pdqhash
from PIL import Image

from tasman.triage.perceptual.codes import pdq_bits_to_hex

# pdqhash's order (rotations counter-clockwise, as PIL.Image.Transpose names them)
DIHEDRAL = ("original", "rotate90", "rotate180", "rotate270", "flip_top_bottom", "flip_left_right", "transpose",
            "transverse")


def as_rgb_array(image: Image.Image | np.ndarray) -> np.ndarray:
    if isinstance(image, np.ndarray):
        arr = image
    else:
        arr = np.asarray(image if image.mode == "RGB" else image.convert("RGB"))
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    return np.ascontiguousarray(arr[:, :, :3], dtype=np.uint8)


def pdq_hash(image: Image.Image | np.ndarray) -> tuple[str, int]:
    """(hex, quality) as ThreatExchange writes them."""
    bits, quality = pdqhash.compute(as_rgb_array(image))
    return pdq_bits_to_hex(bits), int(quality)


def dihedral_variants(image: Image.Image | np.ndarray) -> tuple[tuple[str, ...], int]:
    """(the 8 hashes in :data:`DIHEDRAL` order, quality); the first is the picture's own PDQ."""
    hashes, quality = pdqhash.compute_dihedral(as_rgb_array(image))
    return tuple(pdq_bits_to_hex(h) for h in hashes), int(quality)
