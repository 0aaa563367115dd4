"""Crop/overlay hypotheses against a list of whole-picture hashes only (what partners send): a 5%
crop and a partial-width caption box match with the hypothesis named in matches.csv's ``variant``
and go to the review queue; unrelated pictures match nothing; a tiny picture is skipped with a
note; a failing hypothesis is a warning; hypotheses are queried only when nothing else matched."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from tasman.core.models import Artifact
from tasman.core.workspace import Workspace
from tasman.evidence import create_case
from tasman.synth.edits import caption_box, crop, jpeg_bytes
from tasman.synth.images import draw_picture
from tasman.synth.triage_set import reference_pdq
from tasman.triage.hashing import hypotheses, pictures
from tasman.triage.hashing.pictures import hash_picture
from tasman.triage.hashing.worker import HashOptions, WorkItem, hash_item
from tasman.triage.hashsets.store import import_hashset
from tasman.triage.match import load_matcher
from tasman.triage.match.settings import HYPOTHESIS_INPAINT_GAIN
from tasman.triage.results import review_items
from tasman.triage.run import TriageOptions, run_triage
from tasman.triage.types import FileHashes

SIZE = (320, 240)
CROPPED, CAPTIONED = 4, 14          # drawn seeds whose plain PDQ misses the edited copy (64-80 bits)


def original(seed: int) -> bytes:
    return jpeg_bytes(draw_picture(seed, SIZE))


def partner_list(path: Path, seeds: list[int]) -> Path:
    """A list as partners send it: MD5, SHA-1 and one reference PDQ of each whole picture."""
    lines = ["md5,sha1,pdq,category"]
    for seed in seeds:
        data = original(seed)
        lines.append(f"{hashlib.md5(data).hexdigest()},{hashlib.sha1(data).hexdigest()},"
                     f"{reference_pdq(data)[0]},1")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def import_list(ws: Workspace, path: Path, name: str = "partner") -> None:
    with ws.session() as s:
        import_hashset(s, ws.actor, path, name)


def hashes(path: str, data: bytes, with_hypotheses: bool = True) -> FileHashes:
    pic = hash_picture(data, max_pixels=10**8, hypotheses=with_hypotheses)
    return FileHashes(path=path, size=len(data), pdq=pic.pdq, pdq_quality=pic.quality, pdq_variants=pic.variants[1:],
                      pdq_hypotheses=pic.hypotheses, pdq_hypothesis_masks=pic.hypothesis_masks)


def test_crop_and_caption_match_a_partner_list_and_go_to_review(ws: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "seized"
    folder.mkdir()
    (folder / "cropped.jpg").write_bytes(jpeg_bytes(crop(draw_picture(CROPPED, SIZE), 0.05)))
    (folder / "captioned.jpg").write_bytes(jpeg_bytes(caption_box(draw_picture(CAPTIONED, SIZE), CAPTIONED,
                                                                  "bottom", 0.6, 0.15, "left")))
    for seed in range(300, 306):
        (folder / f"other_{seed}.jpg").write_bytes(original(seed))
    Image.fromarray(np.full((40, 50, 3), 120, np.uint8)).save(folder / "tiny.png")
    import_list(ws, partner_list(tmp_path / "list.csv", [CROPPED, CAPTIONED, 7, 8]))
    with ws.session() as s:
        create_case(s, ws.actor, "H-1")
    r = run_triage(ws, "H-1", [folder], TriageOptions(workers=0))
    with open(r.outputs["matches_csv"], newline="", encoding="utf-8") as fh:
        rows = {Path(row["path"]).name: row for row in csv.DictReader(fh)}
    assert set(rows) == {"cropped.jpg", "captioned.jpg"}
    assert rows["cropped.jpg"]["match_type"] == "perceptual"
    assert rows["cropped.jpg"]["variant"] == "uncrop:0.90:centre"
    assert rows["captioned.jpg"]["variant"] == "inpaint:bottom-left"
    assert int(rows["cropped.jpg"]["distance"]) <= 24 and int(rows["captioned.jpg"]["distance"]) <= 24
    with ws.session() as s:
        queued = {Path(i.path).name for i in review_items(s, r.run_id)}
        assert queued == {"cropped.jpg", "captioned.jpg"}
        tiny = s.scalars(select(Artifact).where(Artifact.path.endswith("tiny.png"))).one()
        assert "under 64 a side" in tiny.meta["hypotheses"]
    without = run_triage(ws, "H-1", [folder], TriageOptions(workers=0, hypotheses=False, restart=True))
    assert without.counts["matched_files"] == 0       # the plain matcher misses both


def test_unrelated_pictures_give_no_hypothesis_match(ws: Workspace, tmp_path: Path) -> None:
    import_list(ws, partner_list(tmp_path / "list.csv", list(range(500, 530))))
    with ws.session() as s:
        m = load_matcher(s)
    files = [hashes(f"u{seed}.jpg", original(seed)) for seed in range(600, 640)]
    assert sum(len(f.pdq_hypotheses) for f in files) >= 6 * len(files)
    assert m.match(files) == []


def test_hypotheses_are_queried_only_when_nothing_else_matched(ws: Workspace, tmp_path: Path) -> None:
    import_list(ws, partner_list(tmp_path / "a.csv", [20]), "a")
    import_list(ws, partner_list(tmp_path / "b.csv", [21]), "b")
    with ws.session() as s:
        m = load_matcher(s)
    own = hashes("x.jpg", original(20))
    other = reference_pdq(original(21))[0]
    guessed = FileHashes(path="x.jpg", size=1, pdq=own.pdq, pdq_quality=own.pdq_quality,
                         pdq_hypotheses=(("uncrop:0.90:centre", other),))
    assert [(x.hashset, x.detail.get("variant")) for x in m.match([guessed])] == [("a", None)]
    alone = FileHashes(path="y.jpg", size=1, pdq="0" * 64, pdq_quality=100,
                       pdq_hypotheses=(("uncrop:0.90:centre", other),))
    got = m.match([alone])
    assert [(x.hashset, x.match_type, x.detail["variant"]) for x in got] == [("b", "perceptual", "uncrop:0.90:centre")]
    with ws.session() as s:
        assert load_matcher(s, hypotheses=False).match([alone]) == []
        assert load_matcher(s, pdq_threshold=0).settings.hypothesis_threshold == 0    # never looser


def test_a_tiny_picture_is_skipped_with_a_note_not_an_error(tmp_path: Path) -> None:
    buf = tmp_path / "t.png"
    Image.fromarray(np.full((60, 200, 3), 80, np.uint8)).save(buf)
    r = hash_item(WorkItem(path="t.png", size=buf.stat().st_size, file=str(buf)), HashOptions(temp_dir=str(tmp_path)))
    assert r.errors == () and r.hashes.pdq and r.hashes.pdq_hypotheses == ()
    assert r.meta["hypotheses"] == "no crop/overlay hypotheses: 200 x 60 pixels is under 64 a side"


def test_a_failing_hypothesis_is_a_warning_and_the_hashes_stand(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                 ) -> None:
    def broken(*_: object) -> None:
        raise ValueError("synthetic failure")

    monkeypatch.setattr(pictures, "hypothesis_buffers", broken)
    path = tmp_path / "p.jpg"
    path.write_bytes(original(3))
    r = hash_item(WorkItem(path="p.jpg", size=path.stat().st_size, file=str(path)), HashOptions(temp_dir=str(tmp_path)))
    assert r.hashes.pdq and len(r.hashes.pdq_variants) == 8 and r.hashes.pdq_hypotheses == ()
    assert len(r.errors) == 1 and r.errors[0].startswith("warning: crop/overlay hypotheses not computed")


def test_at_most_nineteen_hypotheses_and_boxes_on_the_edges() -> None:
    capped = caption_box(draw_picture(CAPTIONED, SIZE), CAPTIONED, "bottom", 0.6, 0.15, "left")
    luma = np.asarray(capped.convert("L"), dtype=np.float32)
    names, buffers = hypotheses.hypothesis_buffers(luma, SIZE, 1)
    frames = hypotheses.framings()
    assert len(names) == len(buffers) <= 19 and len(frames) + hypotheses.MAX_BOXES == 19
    assert len(set(hypotheses.UNCROP)) == len(hypotheses.UNCROP) == 10 and len(hypotheses.TRIMS) == 6
    assert len({f[0] for f in frames}) == len({f[1:] for f in frames}) == len(frames) == 16
    assert [f[0] for f in frames[10:]] == ["uncrop:h0.92:centre", "uncrop:w0.92:centre", "uncrop:h0.86:upper",
                                           "uncrop:h0.86:lower", "uncrop:w0.86:left", "uncrop:w0.86:right"]
    box = hypotheses.find_boxes(luma)[0]
    assert (box.name, box.text) == ("inpaint:bottom-left", True)
    assert abs(box.depth - 0.15 * SIZE[1]) <= 3 and box.c0 == 0 and abs(box.c1 - 0.6 * SIZE[0]) <= 3
    filled = hypotheses.inpaint(luma, box)
    assert np.array_equal(filled[:150], luma[:150])             # nothing outside the box changes
    assert filled[-box.depth:, :box.c1].std() < luma[-box.depth:, :box.c1].std()


@pytest.mark.parametrize("seed", [1, 2, 7])
def test_three_overlays_get_three_in_paints_and_a_corner_box_counts_once(seed: int) -> None:
    """A caption box at the bottom left, a logo in the top right corner and a bar on the left
    edge: three boxes, one over each, though the logo is a run along two edges (seen from the
    top and from the right: one box, the first found kept)."""
    from tasman.synth.edits import corner_logo, watermark_bar

    im = caption_box(draw_picture(seed, SIZE), seed, "bottom", 0.5, 0.15, "left")
    im = corner_logo(im, seed, "top-right", 0.25)
    im = watermark_bar(im, seed, "left", 0.10, 0.4)
    luma = np.asarray(im.convert("L"), dtype=np.float32)
    boxes = hypotheses.find_boxes(luma)
    assert len(boxes) == hypotheses.MAX_BOXES == 3
    w, h = SIZE
    logo = (0, round(0.25 * h), w - round(0.25 * h), w)                 # rows r0..r1, columns c0..c1
    caption = (h - round(0.15 * h), h, 0, round(0.5 * w))

    def inside(rect: tuple[int, int, int, int], area: tuple[int, int, int, int]) -> float:
        rows = max(0, min(rect[1], area[1]) - max(rect[0], area[0]))
        cols = max(0, min(rect[3], area[3]) - max(rect[2], area[2]))
        return rows * cols / ((rect[1] - rect[0]) * (rect[3] - rect[2]))

    rects = [hypotheses.box_rect(b, luma.shape) for b in boxes]
    assert sum(inside(r, logo) > 0.5 for r in rects) == 1
    assert sum(inside(r, caption) > 0.5 for r in rects) == 1
    assert sum(r[2] == 0 and r[3] <= 0.15 * w and inside(r, caption) < 0.5 for r in rects) == 1   # the bar
    names, _ = hypotheses.hypothesis_buffers(luma, SIZE, 1)
    assert len([n for n in names if n.startswith("inpaint:")]) == 3


def test_two_boxes_in_one_third_of_an_edge_get_names_of_their_own() -> None:
    """A caption box at the bottom left and a watermark bar at the bottom right: the bar is found
    as two boxes in the bottom edge's right third (its text, its plain part), which ``Box.name``
    calls alike; each in-paint gets a name of its own (matches.csv's ``variant`` names one hash),
    the second along the edge ``-2``."""
    from tasman.synth.edits import watermark_bar

    im = caption_box(draw_picture(1081, (640, 200)), 81, "bottom", 0.48, 0.08, "left")
    im = watermark_bar(im, 82, "bottom", 0.06, 0.29)
    luma = np.asarray(im.convert("L"), dtype=np.float32)
    boxes = hypotheses.find_boxes(hypotheses.reduced(luma, 1)[0])      # as the hypotheses see it
    assert len({b.name for b in boxes}) < len(boxes) == 3               # the case: a name shared
    names, buffers = hypotheses.hypothesis_buffers(luma, (640, 200), 1)
    painted = [n for n in names if n.startswith("inpaint:")]
    assert len(set(names)) == len(names) == len(buffers) and len(painted) == 3
    assert painted == list(hypotheses.box_names(boxes))
    right = sorted((b for b in boxes if b.name == "inpaint:bottom-right"), key=lambda b: b.c0)
    assert [painted[boxes.index(b)] for b in right] == ["inpaint:bottom-right", "inpaint:bottom-right-2"]
    again = hash_picture(jpeg_bytes(im), max_pixels=10**8, hypotheses=True)
    assert len({n for n, _ in again.hypotheses}) == len(again.hypotheses)


def test_box_names_count_along_the_edge_whatever_the_rank() -> None:
    """Repeats are counted along the edge (by ``c0``), so a box's name does not change when a
    copy ranks its boxes otherwise; names no other box shares are left as they are."""
    a = hypotheses.Box("bottom", 8, 220, 250, 300, True)
    b = hypotheses.Box("bottom", 12, 260, 300, 300)
    c = hypotheses.Box("bottom", 5, 201, 215, 300)
    d = hypotheses.Box("top", 20, 0, 60, 300)
    want = {c: "inpaint:bottom-right", a: "inpaint:bottom-right-2", b: "inpaint:bottom-right-3",
            d: "inpaint:top-left"}
    for ranked in ([a, b, c, d], [d, c, b, a], [b, d, a, c]):
        assert dict(zip(ranked, hypotheses.box_names(ranked), strict=True)) == want
    assert hypotheses.box_names([d, a]) == ("inpaint:top-left", "inpaint:bottom-right")
    assert hypotheses.box_names([]) == ()


SHAPE = (48, 64)                     # rows, columns: not square, so a transposed frame is caught
BIG = hypotheses.Box("bottom", 10, 0, 64, 64)                    # rows 38..48, every column: 640 px
INNER = hypotheses.Box("bottom", 4, 10, 20, 64)                  # rows 44..48, columns 10..20: 40 px
LOGO_TOP = hypotheses.Box("top", 12, 50, 64, 64)                 # a top-right logo from the top edge:
LOGO_RIGHT = hypotheses.Box("right", 14, 0, 13, 48)              # rows 0..12 x 50..64, and from the right
WIDE = hypotheses.Box("bottom", 10, 0, 50, 64)                   # rows 38..48, columns 0..50: 500 px
NONE = hypotheses.Box("top", 0, 0, 64, 64)                       # no area


def _pixels(box: hypotheses.Box) -> np.ndarray:
    m = np.zeros(SHAPE, bool)
    r0, r1, c0, c1 = hypotheses.box_rect(box, SHAPE)
    m[r0:r1, c0:c1] = True
    return m


@pytest.mark.parametrize(("candidate", "kept", "share"), [
    (BIG, BIG, 1.0),                                             # identical
    (INNER, BIG, 1.0),                                           # the candidate inside the kept box
    (BIG, INNER, 40 / 640),                                      # the kept box inside the candidate
    (LOGO_TOP, LOGO_RIGHT, 1.0),                                 # a corner logo's two views
    (LOGO_RIGHT, LOGO_TOP, 12 * 14 / (13 * 14)),
    (WIDE, hypotheses.Box("bottom", 10, 25, 64, 64), 0.5),      # 25 of its 50 columns
    (WIDE, hypotheses.Box("bottom", 10, 24, 64, 64), 0.52),
    (WIDE, hypotheses.Box("bottom", 10, 26, 64, 64), 0.48),
    (WIDE, hypotheses.Box("bottom", 5, 0, 64, 64), 0.5),        # 5 of its 10 rows
    (WIDE, hypotheses.Box("bottom", 6, 20, 64, 64), 6 * 30 / 500),
    (hypotheses.Box("top", 30, 0, 64, 64), hypotheses.Box("bottom", 30, 0, 64, 64), 12 / 30),
    (hypotheses.Box("top", 16, 0, 64, 64), hypotheses.Box("bottom", 16, 0, 64, 64), 0.0),
    (hypotheses.Box("left", 20, 0, 48, 48), hypotheses.Box("top", 12, 0, 64, 64), 12 / 48),
    (NONE, BIG, 0.0), (BIG, NONE, 0.0), (NONE, NONE, 0.0),      # a box of no area covers and is nothing
])
def test_overlap_is_the_share_of_the_candidate_the_kept_box_covers(
        candidate: hypotheses.Box, kept: hypotheses.Box, share: float) -> None:
    got = hypotheses._overlap(candidate, kept, SHAPE)
    assert got == pytest.approx(share, abs=1e-12)
    area = _pixels(candidate).sum()                              # the same share counted in pixels
    assert got == pytest.approx((_pixels(candidate) & _pixels(kept)).sum() / area if area else 0.0, abs=1e-12)


def test_a_box_is_merged_into_one_ranked_before_it_by_more_than_half_of_its_own_area() -> None:
    """A corner logo's second view goes; a larger box around a small text box ranked first stays
    (most of it would be left unpainted); a share of exactly :data:`SAME_BOX` stays, a little
    more goes; every box kept before is compared, not only the last."""
    assert hypotheses.SAME_BOX == 0.5
    merged = hypotheses.merged
    assert merged([LOGO_TOP, LOGO_RIGHT], SHAPE) == [LOGO_TOP]
    assert merged([LOGO_RIGHT, LOGO_TOP], SHAPE) == [LOGO_RIGHT]
    text = hypotheses.Box("bottom", 4, 10, 20, 64, True)
    assert merged([text, BIG], SHAPE) == [text, BIG]
    assert merged([BIG, text], SHAPE) == [BIG]
    for c0, kept_too in ((25, True), (24, False), (26, True)):
        other = hypotheses.Box("bottom", 10, c0, 64, 64)
        assert merged([other, WIDE], SHAPE) == ([other, WIDE] if kept_too else [other])
    far = hypotheses.Box("top", 8, 0, 30, 64)
    assert merged([BIG, far, INNER], SHAPE) == [BIG, far]


def test_a_box_with_dense_text_is_found_to_its_inner_edge() -> None:
    """Lines of text that cover most of a row (a large font on a shallow caption box) stay inside
    the box: it ends at its clean margin before the straight inner edge, not at the first text line."""
    rng = np.random.default_rng(3)
    luma = rng.choice([80.0, 120.0], size=(100, 126))              # a textured picture, no flat runs
    luma[-16:, 30:90] = 210.0                                      # a caption box 16 rows deep, 60 wide
    for row in (-12, -11, -10, -9, -7, -6):                        # two lines of text, 75% ink
        ink = rng.random(60) < 0.75
        luma[row, 30:90][ink] = 20.0
    box = hypotheses.find_boxes(luma)[0]
    assert box.edge == "bottom" and 16 <= box.depth <= 18 and box.c0 <= 30 and box.c1 >= 90
    flat = np.full((100, 126), 150.0)                              # flat content: no box at all
    assert hypotheses.find_boxes(flat) == []


def _textured(shape: tuple[int, int], seed: int) -> np.ndarray:
    """Blocks of random greys two pixels wide: no flat run along any edge."""
    rng = np.random.default_rng(seed)
    return np.kron(rng.choice([40.0, 110.0, 180.0], size=(shape[0] // 2, shape[1] // 2)), np.ones((2, 2)))


def test_a_flat_box_of_nearly_the_background_s_colour_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    """A caption box on a smooth background that, at one end, runs into the box's colour without
    a step (the row along the edge is one flat run from the background into the box, and the
    background there lies under the box tolerance of it): found as its flat core, the columns of
    the box's one colour, with the straight inner edge that the rest of the box has."""
    rows, cols = np.mgrid[0:100, 0:120].astype(np.float64)
    luma = 33.0 + 1.0 * cols + 0.6 * (99 - rows)                 # a smooth ramp, darkest at bottom left
    luma[-16:, 30:90] = 70.0                                      # a box 16 rows deep, columns 30-89,
    rng = np.random.default_rng(5)                                # 7 levels from the ramp at its left end
    for row in (-11, -10, -9, -8, -7):                            # a line of text, 40% ink
        ink = rng.random(60) < 0.4
        luma[row, 30:90][ink] = 230.0
    box = hypotheses.find_boxes(luma)[0]
    assert box.edge == "bottom" and 16 <= box.depth <= 18 and 28 <= box.c0 <= 30 and 89 <= box.c1 <= 91
    assert box.text
    # the same picture under the loose rules alone (no core is ever a box): the run from the
    # background into the box has no straight inner edge along 70% of it, so no box is found
    monkeypatch.setattr(hypotheses, "STEP_SHARE", 2.0)
    assert all(b.edge != "bottom" for b in hypotheses.find_boxes(luma))


def test_a_corner_logo_on_the_long_edge_of_a_wide_picture_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    """A logo 14 pixels a side in the corner of a 70 x 210 picture covers 7% of the top edge: a
    run is measured against the picture's short side (:data:`MIN_RUN` of 70), not the edge's
    length, so it is looked at. Its word runs off the right edge, so only the top edge sees it."""
    luma = _textured((70, 210), 2)
    luma[:14, -14:] = 200.0
    luma[5:9, -9:] = 20.0                                         # the word, to the picture's edge
    box = hypotheses.find_boxes(luma)[0]
    assert box.edge == "top" and 14 <= box.depth <= 16 and 195 <= box.c0 <= 197 and box.c1 == 210
    monkeypatch.setattr(hypotheses, "MIN_RUN", 0.12 * 210 / 70)  # the share of the long edge, as before
    assert hypotheses.find_boxes(luma) == []


def test_a_line_of_text_deeper_than_the_box_s_margin_stays_inside_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """A caption whose line of text (5 rows, 75% ink) is deeper than the clean margin above it
    (3 rows): the box's colour comes back after the text within twice the margin, so the text is
    inside the box, which ends at its straight inner edge 11 rows in (:data:`BACK`)."""
    luma = _textured((100, 126), 4)
    luma[-11:, 30:90] = 210.0
    rng = np.random.default_rng(3)
    for row in (-8, -7, -6, -5, -4):
        ink = rng.random(60) < 0.75
        luma[row, 30:90][ink] = 20.0
    box = hypotheses.find_boxes(luma)[0]
    assert box.edge == "bottom" and 11 <= box.depth <= 13 and box.c0 <= 30 and box.c1 >= 90
    monkeypatch.setattr(hypotheses, "BACK", 1)                   # within as many rows as the box is deep
    shallow = hypotheses.find_boxes(luma)[0]
    assert shallow.edge == "bottom" and shallow.depth <= 5


def test_dihedral_variants_are_named_as_the_worker_lists_them(ws: Workspace, tmp_path: Path) -> None:
    import_list(ws, partner_list(tmp_path / "list.csv", [CROPPED]))
    with ws.session() as s:
        m = load_matcher(s)
    from PIL import ImageOps

    mirrored = jpeg_bytes(ImageOps.mirror(draw_picture(CROPPED, SIZE)))
    pic = hash_picture(mirrored, max_pixels=10**8)
    worker_style = FileHashes(path="m.jpg", size=1, pdq=pic.pdq, pdq_quality=pic.quality, pdq_variants=pic.variants)
    assert [x.detail["variant"] for x in m.match([worker_style])] == ["flip_left_right"]


def test_a_crop_of_a_fifth_at_a_corner_is_guessed_by_the_framing_at_the_other_corner() -> None:
    """20% cut off the top and the left: the kept part is the bottom-right 0.80 of each side, and
    that framing's guess, not the others', comes within the hypothesis radius of the original."""
    from tasman.triage.hashing.pdq import hamming
    from tasman.triage.match.matcher import HYPOTHESIS_THRESHOLD

    im = draw_picture(0, SIZE)
    own = reference_pdq(jpeg_bytes(im))[0]
    pic = hash_picture(jpeg_bytes(crop(im, 0.10, "top-left")), max_pixels=10**8, hypotheses=True)
    assert hamming(pic.pdq, own) > 31                                   # the plain hash misses it
    dist = {name: hamming(h, own) for name, h in pic.hypotheses}
    assert min(dist, key=lambda n: dist[n]) == "uncrop:0.80:bottom-right"
    assert dist["uncrop:0.80:bottom-right"] <= HYPOTHESIS_THRESHOLD < 31


def test_a_crop_beyond_the_radius_is_found_by_its_confident_bits(ws: Workspace, tmp_path: Path) -> None:
    """A 10% crop whose best guess lies 42 bits from the listed original (missed by the plain
    threshold and by the hypothesis threshold) matches on its confident bits; the old rule (no
    radius beyond the threshold) misses it; unrelated pictures still match nothing."""
    seed = 6
    import_list(ws, partner_list(tmp_path / "list.csv", [seed, 7, 8]))
    cropped = hashes("c.jpg", jpeg_bytes(crop(draw_picture(seed, SIZE), 0.10)))
    own = reference_pdq(original(seed))[0]
    from tasman.triage.hashing.pdq import hamming

    assert min(hamming(h, own) for _, h in cropped.pdq_hypotheses) > 28 and hamming(cropped.pdq or "", own) > 31
    unrelated = [hashes(f"u{s}.jpg", original(s)) for s in range(300, 320)]
    with ws.session() as s:
        m = load_matcher(s)
        old_rule = load_matcher(s, hypothesis_radius=0)
    got = m.match([cropped, *unrelated])
    assert [(x.path, x.detail["variant"]) for x in got] == [("c.jpg", "uncrop:0.80:centre")]
    assert got[0].distance > 28 and got[0].detail["confident_bits"] == hypotheses.MASK_BITS
    assert got[0].detail["confident_distance"] * 256 <= 28 * hypotheses.MASK_BITS
    assert old_rule.hypothesis_radius == 28 and old_rule.match([cropped, *unrelated]) == []


def test_the_confident_bits_decide_beyond_the_threshold(ws: Workspace, tmp_path: Path) -> None:
    """40 bits off a listed hash: a match when all of them lie outside the hypothesis's mask, none
    when a fifth of them lie inside it, and none without a mask (the plain hypothesis rule)."""
    import_list(ws, partner_list(tmp_path / "list.csv", [40]))
    listed = int(reference_pdq(original(40))[0], 16)
    mask = (1 << 128) - 1                                   # the low 128 bits are the confident ones
    outside = sum(1 << b for b in range(128, 168))          # 40 bits, all outside the mask
    inside = sum(1 << b for b in range(128, 160)) | sum(1 << b for b in range(0, 16))   # 16 inside

    def query(flips: int, m: int | None) -> FileHashes:
        return FileHashes(path="q.jpg", size=1, pdq="0" * 64, pdq_quality=100,
                          pdq_hypotheses=(("uncrop:0.90:centre", f"{listed ^ flips:064x}"),),
                          pdq_hypothesis_masks=() if m is None else (f"{m:064x}",))

    with ws.session() as s:
        m = load_matcher(s)
    assert m.hypothesis_radius >= 40
    got = m.match([query(outside, mask)])
    assert [(x.distance, x.detail["confident_distance"], x.detail["confident_bits"]) for x in got] == [(40, 0, 128)]
    assert m.match([query(inside, mask)]) == []
    assert m.match([query(outside, None)]) == []


def test_a_long_list_gets_a_smaller_hypothesis_radius() -> None:
    from tasman.triage.match.matcher import hypothesis_radius
    from tasman.triage.match.settings import HYPOTHESIS_RADIUS, MatchSettings

    st = MatchSettings()
    radii = [hypothesis_radius(n, st) for n in (1_000, 100_000, 1_000_000, 10_000_000)]
    assert radii[0] == HYPOTHESIS_RADIUS and radii == sorted(radii, reverse=True)
    assert radii[-1] < radii[0] and min(radii) >= st.hypothesis_threshold


def test_an_inpaint_matches_by_its_confident_bits_only_when_it_explains_the_gap(ws: Workspace, tmp_path: Path) -> None:
    """Look-alike pictures pass the confident-bit rule as themselves (bench/falsematch.py), and an
    in-paint is nearly the picture as it is: 40 bits off with its confident bits all agreeing, an
    un-crop matches; an in-paint matches only when it lies HYPOTHESIS_INPAINT_GAIN bits or more
    nearer the listed hash than the picture itself (the box it filled explains the gap)."""
    import_list(ws, partner_list(tmp_path / "list.csv", [41]))
    listed = int(reference_pdq(original(41))[0], 16)
    mask = (1 << 128) - 1
    outside = sum(1 << b for b in range(128, 168))           # 40 flips, none among the confident bits
    gain = HYPOTHESIS_INPAINT_GAIN

    def query(name: str, plain_flips: int) -> FileHashes:
        own = listed ^ sum(1 << b for b in range(128, 128 + plain_flips))
        return FileHashes(path="q.jpg", size=1, pdq=f"{own:064x}", pdq_quality=100,
                          pdq_hypotheses=((name, f"{listed ^ outside:064x}"),), pdq_hypothesis_masks=(f"{mask:064x}",))

    with ws.session() as s:
        m = load_matcher(s)
    assert m.match([query("inpaint:bottom-left", 40 + gain - 1)]) == []     # the picture itself nearly as near
    got = m.match([query("inpaint:bottom-left", 40 + gain)])
    assert [(x.detail["variant"], x.distance, x.detail["confident_distance"], x.detail["plain_distance"])
            for x in got] == [("inpaint:bottom-left", 40, 0, 40 + gain)]
    with ws.session() as s:
        whole_only = load_matcher(s, hypothesis_inpaint_gain=257)
    assert whole_only.match([query("inpaint:bottom-left", 120)]) == []
    got = m.match([query("uncrop:0.80:centre", 40)])
    assert [(x.detail["variant"], x.distance, x.detail["confident_distance"]) for x in got] == [
        ("uncrop:0.80:centre", 40, 0)]


def test_a_border_fades_over_the_picture_s_own_correlation_length() -> None:
    """A smooth ramp keeps its edge far into a guessed border, noise fades at once, a picture
    smooth along one axis and noisy along the other gets one length each, and a flat picture
    the default."""
    rng = np.random.default_rng(0)
    ramp = np.add.outer(np.linspace(-60, 60, 80), np.linspace(-40, 40, 120))
    noise = rng.normal(0, 30, (80, 120))
    stripes = np.broadcast_to(rng.normal(0, 30, 120), (80, 120))          # smooth down the rows only
    assert hypotheses.fade_lengths(ramp) == (max(hypotheses.FADES), max(hypotheses.FADES))
    assert hypotheses.fade_lengths(noise) == (min(hypotheses.FADES), min(hypotheses.FADES))
    assert hypotheses.fade_lengths(stripes - stripes.mean()) == (max(hypotheses.FADES), min(hypotheses.FADES))
    assert hypotheses.fade_lengths(np.zeros((80, 120))) == (hypotheses.FADE, hypotheses.FADE)


def _ar1_lines(rows: int, n: int, phi: float, seed: int) -> np.ndarray:
    """``rows`` lines of ``n`` pixels whose pixels correlate as ``phi ** lag`` (an AR(1) field)."""
    rng = np.random.default_rng(seed)
    x = np.empty((rows, n))
    x[:, 0] = rng.normal(0, 1, rows)
    for j in range(1, n):
        x[:, j] = phi * x[:, j - 1] + np.sqrt(1 - phi * phi) * rng.normal(0, 1, rows)
    return x - x.mean()


@pytest.mark.parametrize(("n", "phi", "fade"), [(45, 0.76, 0.06), (35, 0.74, 0.12)])
def test_the_fade_is_the_correlation_length_at_the_lag_actually_taken(n: int, phi: float, fade: float) -> None:
    """A field whose pixels correlate over ``-1 / log(phi)`` pixels (3.6 of 45: 0.081 of the axis;
    3.3 of 35: 0.095) gets the fade that length rounds to. The lag is a tenth of the axis rounded
    to whole pixels (4 of 45 and of 35): read as 0.1 of the axis, the first would get 0.12 and the
    second 0.06."""
    length = -1 / np.log(phi) / n
    assert min(hypotheses.FADES, key=lambda f: abs(np.log(f / length))) == fade
    lines = _ar1_lines(4000, n, phi, seed=n)
    assert hypotheses.fade_lengths(lines)[1] == fade
    assert hypotheses.fade_lengths(np.ascontiguousarray(lines.T))[0] == fade


def test_a_crop_of_one_axis_off_centre_is_guessed_by_a_trim() -> None:
    """14% of the height cut, three quarters of it from the bottom (an aspect-changing crop): no
    framing of both axes comes near, the trim that keeps the picture above the original's middle
    does, and unrelated pictures' trims stay far from it."""
    from tasman.triage.hashing.pdq import hamming

    im = draw_picture(3, SIZE)
    own = reference_pdq(jpeg_bytes(im))[0]
    w, h = im.size
    top = round(0.25 * 0.14 * h)
    pic = hash_picture(jpeg_bytes(im.crop((0, top, w, top + round(0.86 * h)))), max_pixels=10**8, hypotheses=True)
    dist = {name: hamming(hx, own) for name, hx in pic.hypotheses}
    assert min(dist, key=lambda n: dist[n]) == "uncrop:h0.86:upper"
    assert dist["uncrop:h0.86:upper"] <= 28 < min(d for n, d in dist.items() if ":h" not in n and ":w" not in n)
    for seed in (300, 301, 302):
        other = hash_picture(jpeg_bytes(draw_picture(seed, SIZE)), max_pixels=10**8, hypotheses=True)
        assert min(hamming(hx, own) for _, hx in other.hypotheses) > 52


def test_a_crop_of_the_width_off_centre_is_guessed_by_a_trim() -> None:
    """14% of the width cut, a quarter of it from the left and three quarters from the right: the
    trim that keeps the picture right of the original's middle comes nearest, within the
    hypotheses' threshold where no framing of both axes comes near, and unrelated pictures' width
    trims stay far from it."""
    from tasman.triage.hashing.pdq import hamming

    im = draw_picture(3, SIZE)
    own = reference_pdq(jpeg_bytes(im))[0]
    w, h = im.size
    left = round(0.75 * 0.14 * w)
    pic = hash_picture(jpeg_bytes(im.crop((left, 0, left + round(0.86 * w), h))), max_pixels=10**8, hypotheses=True)
    dist = {name: hamming(hx, own) for name, hx in pic.hypotheses}
    assert min(dist, key=lambda n: dist[n]) == "uncrop:w0.86:right"
    assert dist["uncrop:w0.86:right"] <= 28 < min(d for n, d in dist.items() if ":h" not in n and ":w" not in n)
    for seed in (300, 301, 302):
        other = hash_picture(jpeg_bytes(draw_picture(seed, SIZE)), max_pixels=10**8, hypotheses=True)
        assert min(hamming(hx, own) for n, hx in other.hypotheses if ":w" in n) > 52
