from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw

from tasman.synth.images import draw_picture
from tasman.triage.hashing import HashOptions, WorkItem, hash_item
from tasman.triage.hashing.pictures import decode_luma
from tasman.triage.hashing.regions import region_hashes as fast
from tasman.triage.match.regions import region_hashes as reference


def captioned(seed: int, top: bool) -> Image.Image:
    im = draw_picture(seed, (640, 480))
    d = ImageDraw.Draw(im)
    box = (0, 0, 640, 70) if top else (0, 410, 640, 480)
    d.rectangle(box, fill=(250, 250, 250))
    d.text((20, box[1] + 25), "a caption added by a re-poster", fill=(0, 0, 0))
    return im


@pytest.mark.parametrize("picture", [draw_picture(1, (1024, 768)), draw_picture(2, (300, 500)),
                                     captioned(3, top=False), captioned(4, top=True)])
def test_fast_region_hashes_equal_the_match_stage_reference(picture: Image.Image) -> None:
    buf = io.BytesIO()
    picture.save(buf, "JPEG", quality=90)
    luma = decode_luma(buf.getvalue(), max_pixels=10**9)[0]        # what the runner hands over
    assert fast(luma) == reference(luma)
    assert fast(luma, grid=False) == reference(luma, grid=False)


def test_the_runner_fills_pdq_regions(tmp_path) -> None:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    captioned(5, top=False).save(buf, "JPEG", quality=90)
    data = buf.getvalue()
    with_crop = hash_item(WorkItem("a.jpg", len(data), data=data), HashOptions(temp_dir=str(tmp_path)))
    without = hash_item(WorkItem("a.jpg", len(data), data=data), HashOptions(temp_dir=str(tmp_path), regions=False))
    assert len(with_crop.hashes.pdq_regions) >= 2 and without.hashes.pdq_regions == ()
