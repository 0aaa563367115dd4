from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
import pdqhash
import pytest
import simplejpeg
from PIL import Image

from tasman.synth.images import draw_picture
from tasman.synth.triage_set import jpeg
from tasman.synth.video import make_video
from tasman.triage.hashing import HashOptions, WorkItem, hamming, hash_item, pdq_from_luma
from tasman.triage.hashing.pictures import EDGE_LIMIT, choose_scale, edge_ratio, eighth_first
from tests.triage.badinput import huge_png_header


def ref_hex(bits: np.ndarray) -> str:
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex()


def encode(im: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


@pytest.fixture
def opts(tmp_path: Path) -> HashOptions:
    return HashOptions(temp_dir=str(tmp_path / "t"))


def run(data: bytes, name: str, opts: HashOptions):  # type: ignore[no-untyped-def]
    return hash_item(WorkItem(name, len(data), data=data), opts)


def test_crypto_hashes_in_one_read(tmp_path: Path, opts: HashOptions) -> None:
    data = b"evidence " * 300_000          # several read chunks
    p = tmp_path / "f.bin"
    p.write_bytes(data)
    r = hash_item(WorkItem("f.bin", len(data), file=str(p)), opts)
    h = r.hashes
    assert (h.md5, h.sha1, h.sha256) == (hashlib.md5(data).hexdigest(), hashlib.sha1(data).hexdigest(),
                                         hashlib.sha256(data).hexdigest())
    assert h.size == len(data) and h.mime == "text/plain" and r.kind == "other" and not r.errors


@pytest.mark.parametrize("big", [False, True])
def test_a_picture_hashes_alike_from_a_file_and_from_a_readers_bytes(tmp_path: Path, opts: HashOptions,
                                                                     big: bool) -> None:
    """One read of a file (in one piece, or in chunks past the first 1 MiB) and a reader's bytes
    hashed in place give the same digests and the same PDQ."""
    rng = np.random.default_rng(3)
    im = Image.fromarray(rng.integers(0, 255, (900, 700, 3), dtype=np.uint8)) if big else draw_picture(9, (640, 480))
    data = encode(im, "PNG")
    assert (len(data) > (1 << 20)) == big
    p = tmp_path / "p.png"
    p.write_bytes(data)
    from_file = hash_item(WorkItem("p.png", len(data), file=str(p)), opts)
    from_bytes = hash_item(WorkItem("p.png", len(data), data=data), opts)
    assert from_file.hashes == from_bytes.hashes and not from_file.errors
    assert from_file.hashes.sha256 == hashlib.sha256(data).hexdigest() and from_file.hashes.pdq


def test_pdq_matches_the_reference_exactly_at_full_scale() -> None:
    rgb = np.asarray(draw_picture(5, (400, 300)))
    luma = (rgb[:, :, 0] * 0.299 + rgb[:, :, 1] * 0.587 + rgb[:, :, 2] * 0.114).astype(np.float32)
    mine = pdq_from_luma(luma)
    hashes, quality = pdqhash.compute_dihedral(rgb)
    assert mine.quality == quality
    assert list(mine.variants) == [ref_hex(h) for h in hashes]       # all eight dihedral hashes


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_reduced_scale_pdq_stays_within_10_bits_of_full_decode(seed: int, opts: HashOptions) -> None:
    data = jpeg(seed, (1152, 864), quality=90)                      # ~1 megapixel, smooth: decoded at 1/8
    assert choose_scale(1152, 864) == 4 and eighth_first(1152, 864, 160)
    ref_bits, ref_quality = pdqhash.compute(np.asarray(Image.open(io.BytesIO(data)).convert("RGB")))
    r = run(data, "p.jpg", opts)
    assert r.meta["scale"] == 8
    assert r.hashes.pdq_quality is not None and abs(r.hashes.pdq_quality - ref_quality) <= 5
    if ref_quality >= 80:
        assert r.hashes.pdq is not None and hamming(r.hashes.pdq, ref_hex(ref_bits)) <= 10


def page(seed: int, size: tuple[int, int]) -> Image.Image:
    """A document-like page: rows of dark word-shaped blocks on white, edges inside every 8x8 block."""
    rng = np.random.default_rng(seed)
    w, h = size
    arr = np.full((h, w), 245, dtype=np.uint8)
    for top in range(40, h - 40, 22):
        x = 40
        while x < w - 80:
            word = int(rng.integers(15, 70))
            arr[top:top + 11, x:x + word] = int(rng.integers(10, 60))
            x += word + int(rng.integers(6, 12))
    return Image.fromarray(arr).convert("RGB")


@pytest.mark.parametrize("seed", [1, 2])
def test_sharp_pictures_are_decoded_again_at_the_standard_scale(seed: int, opts: HashOptions) -> None:
    """Edges inside the 8x8 blocks make the 1/8 decode's edge ratio high: such a picture is
    hashed from its standard-scale decode, and stays within 10 bits of the reference."""
    data = encode(page(seed, (1152, 864)), "JPEG", quality=90)
    eighth = simplejpeg.decode_jpeg(data, colorspace="GRAY", min_height=108, min_width=144)[:, :, 0]
    assert edge_ratio(eighth) > EDGE_LIMIT
    smooth = Image.open(io.BytesIO(jpeg(seed, (1152, 864)))).convert("L").reduce(8)   # a drawn scene
    assert edge_ratio(np.asarray(smooth)) <= EDGE_LIMIT
    ref_bits, _ = pdqhash.compute(np.asarray(Image.open(io.BytesIO(data)).convert("RGB")))
    r = run(data, "page.jpg", opts)
    assert r.meta["scale"] == 4
    assert r.hashes.pdq is not None and hamming(r.hashes.pdq, ref_hex(ref_bits)) <= 10


@pytest.mark.parametrize("fmt,kw", [("PNG", {}), ("GIF", {}), ("BMP", {}), ("WEBP", {"quality": 95}),
                                    ("HEIF", {"quality": 95}), ("TIFF", {})])
def test_every_picture_format_gets_pdq(fmt: str, kw: dict[str, object], opts: HashOptions) -> None:
    im = draw_picture(6, (640, 480))
    if fmt == "HEIF":
        pytest.importorskip("pillow_heif").register_heif_opener()
    data = encode(im, fmt, **kw)
    r = run(data, f"x.{fmt.lower()}", opts)
    assert r.kind == "picture" and not r.errors, r.errors
    assert r.hashes.mime is not None and r.hashes.mime.startswith("image/")
    ref_bits, _ = pdqhash.compute(np.asarray(Image.open(io.BytesIO(data)).convert("RGB")))
    assert r.hashes.pdq is not None and hamming(r.hashes.pdq, ref_hex(ref_bits)) <= 16
    assert len(r.hashes.pdq_variants) == 8


def test_type_by_content_not_name(opts: HashOptions) -> None:
    png = encode(draw_picture(7, (200, 150)), "PNG")
    r = run(png, "holiday.jpg", opts)
    assert r.hashes.mime == "image/png" and r.hashes.pdq and not r.errors
    r = run(jpeg(8), "report.txt", opts)
    assert r.hashes.mime == "image/jpeg" and r.hashes.pdq


@pytest.mark.parametrize("data,name,reason", [
    (jpeg(9)[:1500], "cut.jpg", "truncated"),
    (b"", "empty.jpg", "empty file named as a picture"),
    (b"plain words\n" * 20, "photo.jpg", "named as a picture (.jpg) but the content is text/plain"),
    (huge_png_header(), "huge.png", "decompression bomb"),
    (b"\0" * 500, "clip.mp4", "named as a video"),
])
def test_bad_pictures_are_reasons_not_crashes(data: bytes, name: str, reason: str, opts: HashOptions) -> None:
    r = run(data, name, opts)
    assert r.errors and reason in r.errors[0]
    assert r.hashes.md5 == hashlib.md5(data).hexdigest()       # still inventoried, exact hashes kept
    assert r.hashes.pdq is None


def test_decompression_bomb_limit_is_configurable(opts: HashOptions) -> None:
    data = jpeg(10, (400, 300))
    small = HashOptions(temp_dir=opts.temp_dir, max_pixels=100_000)
    assert "pixel limit" in run(data, "a.jpg", small).errors[0]


def test_video_gets_vpdq_one_frame_a_second(tmp_path: Path, opts: HashOptions) -> None:
    clip = make_video(tmp_path / "c.mp4", seed=3, seconds=3)
    r = hash_item(WorkItem("c.mp4", clip.stat().st_size, file=str(clip)), opts)
    assert r.kind == "video" and not r.errors
    assert r.hashes.md5 == hashlib.md5(clip.read_bytes()).hexdigest()
    assert len(r.hashes.vpdq) == 3
    assert all(len(h) == 64 for _, h, _ in r.hashes.vpdq)
    from_memory = run(clip.read_bytes(), "inside.zip!/c.mp4", opts)   # a member: hashed from a temp copy
    assert from_memory.hashes.vpdq == r.hashes.vpdq
    assert not list(Path(opts.temp_dir).iterdir())
