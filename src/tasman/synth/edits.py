"""Edits made to benign drawn pictures for recall tests and benchmarks: what copies of a listed
picture go through (crops, caption boxes, corner logos, watermark bars, and the standard
resize / recompress / grey / blur / mirror / rotate). Every edit is deterministic in its
arguments; text drawn is neutral (``CAPTIONS``).
"""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

CAPTIONS = ("Holiday 2024", "see more at example.org", "shared via app", "Tuesday market",
            "photo of the week", "@demo.account")
CROP_ANCHORS = ("centre", "top-left", "top-right", "bottom-left", "bottom-right")


def crop(im: Image.Image, cut: float, anchor: str = "centre") -> Image.Image:
    """``cut`` of each side removed (``centre``), or twice ``cut`` off the two sides at ``anchor``'s
    corner and nothing off the other two (an off-centre crop keeping the same share)."""
    w, h = im.size
    if anchor == "centre":
        box = (cut * w, cut * h, (1 - cut) * w, (1 - cut) * h)
    else:
        vert, horiz = anchor.split("-")
        left = 2 * cut * w if horiz == "left" else 0
        top = 2 * cut * h if vert == "top" else 0
        box = (left, top, left + (1 - 2 * cut) * w, top + (1 - 2 * cut) * h)
    left, top, right, bottom = (round(v) for v in box)
    return im.crop((left, top, right, bottom))


def any_crop(im: Image.Image, rng: random.Random) -> Image.Image:
    """A crop of a framing drawn from ``rng``, as a person crops by hand: each axis keeps a share
    drawn from 0.80-0.95, placed anywhere along it (the cut split between its two sides at
    random); in three crops of ten only one axis is cut. No framing of the un-crop hypotheses is
    favoured: this measures them on crops whose offset and scale nobody chose for them."""
    w, h = im.size
    keep_w, keep_h = rng.uniform(0.80, 0.95), rng.uniform(0.80, 0.95)
    if rng.random() < 0.3:
        keep_w, keep_h = (1.0, keep_h) if rng.random() < 0.5 else (keep_w, 1.0)
    left, top = rng.random() * (1 - keep_w) * w, rng.random() * (1 - keep_h) * h
    return im.crop((round(left), round(top), round(left + keep_w * w), round(top + keep_h * h)))


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=max(8, size))


def _box(im: Image.Image, box: tuple[int, int, int, int], fill: tuple[int, int, int], text: str | None,
         ink: tuple[int, int, int]) -> Image.Image:
    out = im.copy()
    draw = ImageDraw.Draw(out)
    draw.rectangle(box, fill=fill)
    if text:
        x0, y0, _x1, y1 = box
        size = max(8, int((y1 - y0) * 0.5))
        draw.text((x0 + max(2, size // 3), y0 + (y1 - y0 - size) // 2), text, fill=ink, font=_font(size))
    return out


def caption_box(im: Image.Image, seed: int, edge: str = "bottom", width: float = 0.6, depth: float = 0.14,
                where: str = "left") -> Image.Image:
    """A partial-width caption box with drawn text over the top or bottom edge (``width`` of the
    picture's width, ``depth`` of its height), at the ``left``, ``right`` or ``middle``."""
    rng = random.Random(seed)
    w, h = im.size
    bw, bd = round(w * width), round(h * depth)
    x0 = {"left": 0, "right": w - bw, "middle": (w - bw) // 2}[where]
    y0 = h - bd if edge == "bottom" else 0
    fill = rng.choice(((255, 255, 255), (0, 0, 0), (30, 60, 140), (240, 220, 60)))
    ink = (0, 0, 0) if sum(fill) > 380 else (255, 255, 255)
    return _box(im, (x0, y0, x0 + bw - 1, y0 + bd - 1), fill, rng.choice(CAPTIONS), ink)


def corner_logo(im: Image.Image, seed: int, corner: str = "bottom-right", side: float = 0.22) -> Image.Image:
    """A flat logo box with a short word in a corner (``side`` of the shorter side a side)."""
    rng = random.Random(seed)
    w, h = im.size
    s = round(min(w, h) * side)
    vert, horiz = corner.split("-")
    x0 = 0 if horiz == "left" else w - s
    y0 = 0 if vert == "top" else h - s
    fill = rng.choice(((255, 255, 255), (200, 0, 0), (0, 0, 0), (20, 120, 60)))
    ink = (0, 0, 0) if sum(fill) > 380 else (255, 255, 255)
    return _box(im, (x0, y0, x0 + s - 1, y0 + s - 1), fill, rng.choice(("TV", "NEWS", "app", "cam")), ink)


def watermark_bar(im: Image.Image, seed: int, edge: str = "top", depth: float = 0.10,
                  width: float = 0.45) -> Image.Image:
    """A watermark bar over part of an edge (``top``, ``bottom``, ``left`` or ``right``), with text."""
    rng = random.Random(seed)
    w, h = im.size
    fill = rng.choice(((0, 0, 0), (255, 255, 255), (90, 90, 90)))
    ink = (0, 0, 0) if sum(fill) > 380 else (255, 255, 255)
    if edge in ("top", "bottom"):
        bw, bd = round(w * width), round(h * depth)
        x0 = rng.randrange(0, w - bw + 1)
        y0 = 0 if edge == "top" else h - bd
        box = (x0, y0, x0 + bw - 1, y0 + bd - 1)
    else:
        bw, bd = round(w * depth), round(h * width)
        y0 = rng.randrange(0, h - bd + 1)
        x0 = 0 if edge == "left" else w - bw
        box = (x0, y0, x0 + bw - 1, y0 + bd - 1)
    return _box(im, box, fill, "© demo" if edge in ("top", "bottom") else None, ink)


def standard(im: Image.Image, how: str) -> Image.Image:
    """resize | recompress | grey | blur | mirror | rotate (the last two are exact dihedral edits)."""
    if how == "resize":
        return im.resize((im.width * 3 // 5, im.height * 3 // 5), Image.Resampling.LANCZOS)
    if how == "recompress":
        return Image.open(io.BytesIO(jpeg_bytes(im, 40))).convert("RGB")
    if how == "grey":
        return ImageOps.grayscale(im).convert("RGB")
    if how == "blur":
        return im.filter(ImageFilter.GaussianBlur(2))
    if how == "mirror":
        return ImageOps.mirror(im)
    if how == "rotate":
        return im.transpose(Image.Transpose.ROTATE_90)
    raise ValueError(f"unknown edit {how!r}")


STANDARD = ("resize", "recompress", "grey", "blur", "mirror", "rotate")


def jpeg_bytes(im: Image.Image, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    im.convert("RGB").save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def edited(im: Image.Image, name: str, seed: int) -> Image.Image:
    """The edit called ``name`` (as the recall benchmark labels them) applied to ``im``.

    Names: ``crop5``/``crop10`` (centred), ``crop5-off``/``crop10-off`` (an off-centre corner
    picked from ``seed``), ``crop-any`` (:func:`any_crop`, a framing drawn from ``seed``),
    ``caption-bottom``/``caption-top`` (a partial-width box at the left, middle or right),
    ``logo`` (a corner picked from ``seed``), ``bar`` (a watermark bar on an edge picked from
    ``seed``), and the :data:`STANDARD` names."""
    rng = random.Random(seed * 7919 + len(name))
    if name == "crop-any":
        return any_crop(im, rng)
    if name.startswith("crop"):
        cut = int(name[4:].split("-")[0]) / 100
        anchor = rng.choice(CROP_ANCHORS[1:]) if name.endswith("-off") else "centre"
        return crop(im, cut, anchor)
    if name.startswith("caption-"):
        return caption_box(im, seed, name.split("-")[1], width=rng.uniform(0.4, 0.75),
                           depth=rng.uniform(0.10, 0.18), where=rng.choice(("left", "right", "middle")))
    if name == "logo":
        return corner_logo(im, seed, rng.choice(CROP_ANCHORS[1:]), side=rng.uniform(0.15, 0.25))
    if name == "bar":
        return watermark_bar(im, seed, rng.choice(("top", "bottom", "left", "right")),
                             depth=rng.uniform(0.07, 0.12), width=rng.uniform(0.3, 0.6))
    return standard(im, name)


HARD = ("crop5", "crop5-off", "crop10", "crop10-off", "caption-bottom", "caption-top", "logo", "bar")
