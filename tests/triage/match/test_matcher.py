"""The matcher the runner calls: exact, collisions, known-good, perceptual with threshold and
quality rules, dihedral variants, video (vPDQ rule), the crop stage, and the audit of each use."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageOps
from sqlalchemy import select

from tasman.core.errors import NotFoundError
from tasman.core.models import AuditEvent
from tasman.core.workspace import Workspace
from tasman.synth.images import draw_picture
from tasman.triage.hashsets.store import build_hashset, import_hashset
from tasman.triage.match import dihedral_variants, load_matcher, pdq_hash
from tasman.triage.perceptual.regions import caption_band, region_hashes
from tasman.triage.types import FileHashes

SIZE = (320, 240)
MD5, SHA1, SHA256 = "a" * 32, "b" * 40, "c" * 64


def pictures(seeds: range) -> list[Image.Image]:
    return [draw_picture(s, SIZE) for s in seeds if pdq_hash(draw_picture(s, SIZE))[1] >= 80][:len(seeds)]


def jpeg(img: Image.Image, quality: int = 60) -> Image.Image:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def query(path: str, img: Image.Image, regions: bool = False) -> FileHashes:
    variants, quality = dihedral_variants(img)
    return FileHashes(path=path, size=1, pdq=variants[0], pdq_quality=quality, pdq_variants=variants[1:],
                      pdq_regions=region_hashes(img) if regions else ())


def imported(ws: Workspace, tmp_path: Path, name: str, text: str, **kw: object) -> None:
    path = tmp_path / f"{name}.txt"
    path.write_text(text, encoding="utf-8")
    with ws.session() as s:
        import_hashset(s, ws.actor, path, name, **kw)  # type: ignore[arg-type]


def test_exact_collisions_and_known_good(ws: Workspace, tmp_path: Path) -> None:
    imported(ws, tmp_path, "vic", f"md5,sha1,category\n{MD5},{SHA1},1\n,{'d' * 40},2\n")
    imported(ws, tmp_path, "good", f"{SHA256}\n", known_good=True)
    with ws.session() as s:
        m = load_matcher(s, actor="tester", case_ref="OP-1")
    files = [
        FileHashes(path="a.jpg", size=1, md5=MD5, sha1=SHA1),
        FileHashes(path="b.jpg", size=1, md5=MD5, sha1="e" * 40),      # md5 collision: sha1 disagrees
        FileHashes(path="c.jpg", size=1, md5=MD5),                      # only md5 known: a match
        FileHashes(path="d.jpg", size=1, sha1="D" * 40),
        FileHashes(path="e.exe", size=1, sha256=SHA256),
        FileHashes(path="f.jpg", size=1, md5="f" * 32),
    ]
    got = {(x.path, x.hash_name, x.hashset, x.category, x.known_good) for x in m.match(files)}
    assert got == {("a.jpg", "sha1", "vic", 1, False), ("c.jpg", "md5", "vic", 1, False),
                   ("d.jpg", "sha1", "vic", 2, False), ("e.exe", "sha256", "good", None, True)}
    with ws.session() as s:
        use = s.scalars(select(AuditEvent).where(AuditEvent.action == "hashset.use")).one()
        assert use.case_ref == "OP-1" and use.target == "good,vic"
        with pytest.raises(NotFoundError, match="'nope'"):
            load_matcher(s, ["vic", "nope"])
        only = load_matcher(s, ["good"])
    assert [x.hashset for x in only.match(files)] == ["good"]


def test_perceptual_threshold_quality_and_dihedral(ws: Workspace, tmp_path: Path) -> None:
    listed, other = pictures(range(10, 16))[:2], pictures(range(40, 43))[0]
    rows = [f"{pdq_hash(p)[0]},{pdq_hash(p)[1]}" for p in listed]
    flat = Image.new("RGB", SIZE, (90, 90, 90))
    ImageDraw.Draw(flat).rectangle((0, 0, 20, 20), fill=(95, 95, 95))
    low, low_q = pdq_hash(flat)
    assert low_q < 50
    imported(ws, tmp_path, "pdq", "\n".join([*rows, f"{low},{low_q}"]) + "\n", category=1)
    with ws.session() as s:
        m = load_matcher(s)
        strict = load_matcher(s, pdq_threshold=0)
    copy = jpeg(listed[0].resize((200, 150)), 50)
    rotated, mirrored = listed[1].transpose(Image.Transpose.ROTATE_90), ImageOps.mirror(listed[1])
    files = [query("copy.jpg", copy), query("rot.jpg", rotated), query("mirror.jpg", mirrored),
             query("other.jpg", other), query("flat.jpg", flat)]
    got = {x.path: x for x in m.match(files)}
    assert set(got) == {"copy.jpg", "rot.jpg", "mirror.jpg"}
    assert got["copy.jpg"].match_type == "perceptual" and 0 < got["copy.jpg"].distance <= 31
    assert got["rot.jpg"].detail["variant"] == "rotate270" and got["rot.jpg"].category == 1   # rotating back
    assert not strict.match(files[:1])
    h, q = pdq_hash(listed[0])
    assert m.match([FileHashes(path="same.jpg", size=1, pdq=h, pdq_quality=q)])[0].distance == 0


def _flipped(h: str, bits: int) -> str:
    return f"{int(h, 16) ^ ((1 << bits) - 1):064x}"


def test_a_low_quality_picture_matches_only_near(ws: Workspace, tmp_path: Path) -> None:
    """A picture (or listed hash) under PDQ quality 50 matches within low_quality_threshold (16)
    bits only, never under quality_floor (5: a blank picture), and never at all with -1 (HMA's
    rule); a listed hash under 50 takes no part in the hypotheses."""
    good, flat_listed = pictures(range(10, 16))[:2]
    h, q = pdq_hash(good)
    g = pdq_hash(flat_listed)[0]
    imported(ws, tmp_path, "pdq", f"{h},{q}\n{g},30\n{'f' * 64},3\n", category=1)
    with ws.session() as s:
        m = load_matcher(s)
        hma = load_matcher(s, low_quality_threshold=-1)

    def at(path: str, code: str, quality: int | None) -> FileHashes:
        return FileHashes(path=path, size=1, pdq=code, pdq_quality=quality)

    files = [at("weak-near.jpg", _flipped(h, 16), 40), at("weak-far.jpg", _flipped(h, 17), 40),
             at("good-near-flat.jpg", _flipped(g, 16), 90), at("good-far-flat.jpg", _flipped(g, 20), 90),
             at("blank.jpg", _flipped(h, 2), 4), at("blank-listed.jpg", "f" * 64, 100),
             at("good.jpg", _flipped(h, 31), 90)]
    got = {x.path: x.distance for x in m.match(files)}
    assert got == {"weak-near.jpg": 16, "good-near-flat.jpg": 16, "good.jpg": 31}
    assert {x.path for x in hma.match(files)} == {"good.jpg"}
    assert m._hyp is not None and len(m._hyp[1]) == 1      # the hypotheses' index holds the good hash alone


def test_video_rule(ws: Workspace, tmp_path: Path) -> None:
    frames = [pdq_hash(p)[0] for p in pictures(range(60, 75))][:10]
    text = "# video name=clip md5=" + "1" * 32 + " category=1\n"
    text += "".join(f"{i},100,{h},{i}.0\n" for i, h in enumerate(frames))
    imported(ws, tmp_path, "videos", text)
    with ws.session() as s:
        m = load_matcher(s)
        loose = load_matcher(s, video_query_pct=50.0)
    others = [pdq_hash(p)[0] for p in pictures(range(90, 100))]
    nine = FileHashes(path="v9.mp4", size=1, vpdq=tuple((i, h, 100) for i, h in enumerate(frames[:9] + others[:1])))
    half = FileHashes(path="v5.mp4", size=1, vpdq=tuple((i, h, 100) for i, h in enumerate(frames[:5] + others[:5])))
    exact = FileHashes(path="same.mp4", size=1, md5="1" * 32)
    # 30 frames a second, one hashed a second: the matched part starts at the second hashed frame
    # (a low-quality frame before it does not count)
    late = FileHashes(path="late.mp4", size=1, vpdq=((0, frames[0], 10), (30, others[1], 100),
                                                     *((30 * (i + 2), h, 100) for i, h in enumerate(frames[:9]))))
    got = {x.path: x for x in m.match([nine, half, exact, late])}
    assert set(got) == {"v9.mp4", "same.mp4", "late.mp4"}
    assert got["v9.mp4"].match_type == "video" and got["v9.mp4"].detail["query_match_pct"] == 90.0
    assert (got["v9.mp4"].detail["first_frame"], got["v9.mp4"].detail["first_second"]) == (0, 0.0)
    assert (got["late.mp4"].detail["first_frame"], got["late.mp4"].detail["first_second"]) == (60, 2.0)
    assert got["v9.mp4"].detail["listed_ref"] == "clip" and got["same.mp4"].match_type == "exact"
    assert {x.path for x in loose.match([half])} == {"v5.mp4"}


def test_crop_stage_finds_crops_and_captions(ws: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "lab"
    folder.mkdir()
    listed = pictures(range(120, 126))[:3]
    for i, p in enumerate(listed):
        p.save(folder / f"{i}.png")
    (folder / "notes.txt").write_text("not a picture")
    with ws.session() as s:
        r = build_hashset(s, ws.actor, folder, "lab", category="1")
        assert r.counts["region"] >= 9 and r.counts["pdq"] == 3 and r.entries >= 13
        m = load_matcher(s, ["lab"])
        plain = load_matcher(s, ["lab"], crop=False)
    w, h = listed[0].size
    cropped = listed[0].crop((w // 20, h // 20, w - w // 20, h - h // 20))
    captioned = Image.new("RGB", (w, int(h * 1.15)), "white")
    captioned.paste(listed[1], (0, 0))
    ImageDraw.Draw(captioned).text((10, h + 8), "a caption under the picture", fill="black")
    files = [query("crop.jpg", cropped, True), query("caption.jpg", captioned, True),
             *(query(f"u{i}.jpg", p, True) for i, p in enumerate(pictures(range(200, 206))))]
    assert not plain.match(files)
    got = {x.path: x for x in m.match(files)}
    assert set(got) == {"crop.jpg", "caption.jpg"}
    assert all(x.match_type == "crop" and x.category == 1 for x in got.values())
    ref = got["crop.jpg"].detail["listed_ref"]
    assert isinstance(ref, str) and len(ref) == 40


def test_region_hashes_of_flat_picture_are_dropped() -> None:
    assert region_hashes(Image.new("RGB", (100, 80), "white")) == ()
    picture = draw_picture(4, SIZE)
    assert len(region_hashes(np.asarray(picture))) == 1              # no strip: the whole picture only
    assert len(region_hashes(picture, grid=True)) >= 3


def test_caption_band_detection() -> None:
    picture = draw_picture(5, (256, 160))
    strip = Image.new("RGB", (256, 200), "black")
    strip.paste(picture, (0, 40))
    ImageDraw.Draw(strip).text((8, 12), "caption text", fill="white")
    arr = np.asarray(strip)
    assert 40 <= caption_band(arr, from_top=True) <= 43
    assert caption_band(arr, from_top=False) == 0
    assert caption_band(np.asarray(draw_picture(4, (256, 160))), from_top=True) == 0
