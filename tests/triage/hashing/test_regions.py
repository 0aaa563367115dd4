from __future__ import annotations

import io

import numpy as np
import pytest
import simplejpeg
from PIL import Image, ImageDraw

from tasman.synth.images import draw_picture
from tasman.triage.hashing import HashOptions, WorkItem, hamming, hash_item, pdq_from_luma
from tasman.triage.hashing.pdq import hashes_of_buffers
from tasman.triage.hashing.pictures import decode_luma
from tasman.triage.hashing.regions import caption_boxes, region_buffers, resize_matrix, working_size
from tasman.triage.hashing.regions import region_hashes as fast
from tasman.triage.perceptual.regions import RESAMPLE, caption_band, listed_region_hashes, working_copy
from tasman.triage.perceptual.regions import region_hashes as reference


def captioned(seed: int, top: bool) -> Image.Image:
    im = draw_picture(seed, (640, 480))
    d = ImageDraw.Draw(im)
    box = (0, 0, 640, 70) if top else (0, 410, 640, 480)
    d.rectangle(box, fill=(250, 250, 250))
    d.text((20, box[1] + 25), "a caption added by a re-poster", fill=(0, 0, 0))
    return im


@pytest.mark.parametrize("picture", [draw_picture(1, (1024, 768)), draw_picture(2, (300, 500)),
                                     captioned(3, top=False), captioned(4, top=True),
                                     draw_picture(5, (2000, 500)), draw_picture(6, (200, 150))])
@pytest.mark.parametrize("grid", [False, True])
def test_fast_region_hashes_follow_the_match_stage_reference(picture: Image.Image, grid: bool) -> None:
    """Same regions (caption strips found alike), each within a few bits of the reference's hash:
    the fast path never rounds the working copy to 8 bits, nothing else differs."""
    buf = io.BytesIO()
    picture.save(buf, "JPEG", quality=90)
    luma = decode_luma(buf.getvalue(), max_pixels=10**9)[0]        # what the runner hands over
    ours, ref = fast(luma, grid=grid), reference(luma, grid=grid)
    assert len(ours) == len(ref) >= 1
    assert max(hamming(a, b) for a, b in zip(ours, ref, strict=True)) <= 6


def test_captions_are_cut_off_alike() -> None:
    for top in (True, False):
        buf = io.BytesIO()
        captioned(7, top=top).save(buf, "JPEG", quality=90)
        luma = decode_luma(buf.getvalue(), max_pixels=10**9)[0]
        arr = np.asarray(luma)
        ours = caption_boxes(arr.astype(np.float32), *working_size(*arr.shape))
        band = caption_band(working_copy(luma), from_top=top)
        assert band > 0 and len(ours) == 1
        cut = ours[0][1] if top else ours[0][3]
        assert abs(cut * working_size(*arr.shape)[0] - band) <= 1


def test_region_buffers_are_hashed_with_the_picture_in_one_batch() -> None:
    buf = io.BytesIO()
    captioned(8, top=False).save(buf, "JPEG", quality=90)
    luma, width, height, scale, _ = decode_luma(buf.getvalue(), max_pixels=10**9)
    alone = pdq_from_luma(luma.astype(np.float32), (width, height), scale)
    batched = pdq_from_luma(luma.astype(np.float32), (width, height), scale, extra=region_buffers(luma))
    assert (batched.hash, batched.quality, batched.variants) == (alone.hash, alone.quality, alone.variants)
    assert [h for h, q in batched.extra if q >= 50] == list(fast(luma))


def test_the_runner_fills_pdq_regions(tmp_path) -> None:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    captioned(5, top=False).save(buf, "JPEG", quality=90)
    data = buf.getvalue()
    with_crop = hash_item(WorkItem("a.jpg", len(data), data=data), HashOptions(temp_dir=str(tmp_path)))
    without = hash_item(WorkItem("a.jpg", len(data), data=data), HashOptions(temp_dir=str(tmp_path), regions=False))
    assert len(with_crop.hashes.pdq_regions) >= 2 and without.hashes.pdq_regions == ()


@pytest.mark.parametrize("n,m", [(1152, 256), (1153, 256), (867, 193), (4000, 256), (144, 256), (97, 256), (257, 256)])
def test_resize_weights_are_pillows_own(n: int, m: int) -> None:
    """The impulse rows read off the same weights as resizing a whole identity matrix would."""
    eye = Image.fromarray(np.eye(n, dtype=np.float32)).resize((m, n), RESAMPLE, reducing_gap=2.0)
    assert np.array_equal(resize_matrix.__wrapped__(n, m), np.asarray(eye, dtype=np.float64).T)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("scale", [4, 8])
def test_regions_of_a_reduced_decode_follow_the_listed_side(seed: int, scale: int) -> None:
    """The listed side hashes the whole picture's working copy; the query side, given the full
    size, folds that working copy's resize over the decoded blocks and lands within a few bits
    of it, where a 1/8 decode's own-size working copy lands far off."""
    picture = captioned(seed, top=seed % 2 == 0).resize((1152, 864)) if seed == 3 else draw_picture(seed, (1152, 864))
    buf = io.BytesIO()
    picture.save(buf, "JPEG", quality=90)
    data = buf.getvalue()
    listed = dict((n, h) for n, h, _ in listed_region_hashes(Image.open(io.BytesIO(data)).convert("RGB")))
    luma = simplejpeg.decode_jpeg(data, colorspace="GRAY", min_height=864 // scale, min_width=1152 // scale)[:, :, 0]
    folded = hashes_of_buffers(region_buffers(luma, full_size=(1152, 864), scale=scale)[:1])[0][0]
    assert hamming(folded, listed[0]) <= 6
    if scale == 8:
        own_size = hashes_of_buffers(region_buffers(luma)[:1])[0][0]
        assert hamming(own_size, listed[0]) > hamming(folded, listed[0])
