"""A second benign picture generator, written apart from ``tasman.synth.images`` so that recall and
false-match figures do not rest on one generator's habits.

``tasman.synth.images`` draws a two-colour linear gradient with hard-edged Pillow shapes on it at a
size the caller picks. This one works in numpy arrays instead and picks its own size and aspect
ratio (portrait, landscape, square, panoramic; 320 to 1024 px on the long side) from the seed,
among six kinds:

* ``landscape``: a photo-like scene: a sky graded top to bottom, a sun or moon disc, a ridge line
  made of summed sine waves, ground of blurred random fields, all softened (no hard edge at the
  picture's border);
* ``field``: smooth random fields at several scales (blurred noise upsampled), one per channel,
  with a vignette: the low-frequency look of an out-of-focus photograph;
* ``layers``: linear and radial gradients laid over each other with soft alpha masks, light
  discs (bokeh) and grain;
* ``document``: a page with margins, a title block, paragraphs of word-shaped ink blocks with a
  ragged right edge, sometimes a figure or a table grid;
* ``app``: a screenshot-like layout: status bar, navigation bar, list rows with round avatars and
  two lines of word blocks, dividers, a floating button;
* ``texture``: Voronoi cells, warped stripes or a checkerboard, with grain.

Nothing drawn depicts anyone: shapes, gradients and blocks only. Every picture is a function of
its seed alone.

    PYTHONPATH=src .venv/bin/python bench/pictures2.py OUT_DIR [--n 24]   # writes a contact sheet's worth
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

KINDS = ("landscape", "field", "layers", "document", "app", "texture")
ASPECTS = ((4, 3), (3, 4), (3, 2), (2, 3), (16, 9), (9, 16), (1, 1), (2, 1), (5, 4))


def _size(g: np.random.Generator, long_side: tuple[int, int] = (320, 1024)) -> tuple[int, int]:
    aw, ah = ASPECTS[int(g.integers(len(ASPECTS)))]
    long = int(g.integers(long_side[0], long_side[1] + 1))
    if aw >= ah:
        return long, max(64, round(long * ah / aw))
    return max(64, round(long * aw / ah)), long


def _smooth(g: np.random.Generator, h: int, w: int, cells: int) -> np.ndarray:
    """A smooth random field in [0, 1]: ``cells`` random values across the short side, upsampled bicubically."""
    ch = max(2, round(cells * h / min(h, w)))
    cw = max(2, round(cells * w / min(h, w)))
    small = g.random((ch, cw)).astype(np.float32)
    im = Image.fromarray(small, mode="F").resize((w, h), Image.Resampling.BICUBIC)
    a = np.asarray(im, dtype=np.float32)
    lo, hi = float(a.min()), float(a.max())
    return (a - lo) / max(1e-6, hi - lo)


def _octaves(g: np.random.Generator, h: int, w: int, base: int, n: int = 4) -> np.ndarray:
    out = np.zeros((h, w), np.float32)
    amp, total = 1.0, 0.0
    for k in range(n):
        out += amp * _smooth(g, h, w, base * 2 ** k)
        total += amp
        amp *= 0.5
    return out / total


def _palette(g: np.random.Generator, k: int) -> np.ndarray:
    """``k`` colours, kept apart in brightness so that luma (what PDQ sees) tells them apart."""
    hue = g.random(k)
    light = np.sort(g.uniform(0.1, 0.95, k))[g.permutation(k)]
    sat = g.uniform(0.2, 0.9, k)
    rgb = np.stack([light * (1 - sat * 0.5 * (1 + np.cos(2 * np.pi * (hue + off)))) for off in (0, 1 / 3, 2 / 3)], 1)
    return np.clip(rgb * 255, 0, 255).astype(np.float32)


def _ramp(t: np.ndarray, colours: np.ndarray) -> np.ndarray:
    """Colours interpolated along ``t`` in [0, 1] (h x w -> h x w x 3)."""
    x = np.clip(t, 0, 1) * (len(colours) - 1)
    i = np.minimum(x.astype(np.int64), len(colours) - 2)
    f = (x - i)[..., None]
    return colours[i] * (1 - f) + colours[i + 1] * f


def landscape(g: np.random.Generator, w: int, h: int) -> np.ndarray:
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None] * np.ones((1, w), np.float32)
    sky = _ramp(y * 1.4, _palette(g, 2))
    sun_x, sun_y, r = g.uniform(0.1, 0.9) * w, g.uniform(0.05, 0.35) * h, g.uniform(0.04, 0.12) * min(w, h)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    disc = np.clip(1.2 - np.hypot(xx - sun_x, yy - sun_y) / r, 0, 1)[..., None]
    sky = sky * (1 - disc) + g.uniform(200, 255, 3).astype(np.float32) * disc
    img = sky
    x = np.linspace(0, 1, w, dtype=np.float32)
    for layer in range(int(g.integers(1, 4))):          # ridges, far to near, each lower and darker
        ridge = g.uniform(0.35, 0.6) + 0.12 * layer + sum(
            g.uniform(0.01, 0.08) / (k + 1) * np.sin(2 * np.pi * (g.uniform(0.5, 3) * (k + 1) * x + g.random()))
            for k in range(4))
        below = (yy / h > ridge[None, :]).astype(np.float32)
        ground = _ramp(_octaves(g, h, w, int(g.integers(3, 8))), _palette(g, 3)) * (0.95 - 0.2 * layer)
        img = img * (1 - below[..., None]) + ground * below[..., None]
    return img


def field(g: np.random.Generator, w: int, h: int) -> np.ndarray:
    base = int(g.integers(2, 6))
    img = np.stack([_octaves(g, h, w, base, 3) for _ in range(3)], -1) * 255
    mix = g.uniform(0.3, 1.0)
    grey = img.mean(axis=2, keepdims=True)
    img = grey + (img - grey) * mix
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    vignette = 1 - g.uniform(0.1, 0.5) * (((xx / w - 0.5) ** 2 + (yy / h - 0.5) ** 2) * 2)
    lo, hi = np.percentile(img, (2, 98))
    return np.clip((img - lo) / max(1.0, hi - lo), 0, 1) * 255 * vignette[..., None]


def layers(g: np.random.Generator, w: int, h: int) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    xx, yy = xx / w, yy / h
    img = np.broadcast_to(_palette(g, 1)[0], (h, w, 3)).astype(np.float32)
    for _ in range(int(g.integers(3, 7))):
        if g.random() < 0.5:
            a = g.uniform(0, 2 * np.pi)
            t = np.cos(a) * xx + np.sin(a) * yy
            t = (t - t.min()) / max(1e-6, float(t.max() - t.min()))
        else:
            cx, cy, r = g.uniform(-0.2, 1.2), g.uniform(-0.2, 1.2), g.uniform(0.2, 0.9)
            t = np.clip(np.hypot(xx - cx, yy - cy) / r, 0, 1)
        colours = _ramp(t, _palette(g, int(g.integers(2, 4))))
        mask_t = _smooth(g, h, w, int(g.integers(1, 4)))
        alpha = np.clip((mask_t - g.uniform(0.2, 0.7)) * g.uniform(2, 8), 0, 1)[..., None] * g.uniform(0.5, 1)
        img = img * (1 - alpha) + colours * alpha
    for _ in range(int(g.integers(6, 30))):              # out-of-focus light discs (bokeh) over the layers
        cx, cy, r = g.uniform(0, 1), g.uniform(0, 1), g.uniform(0.01, 0.08)
        disc = np.clip((r - np.hypot(xx - cx, (yy - cy) * h / w)) / (0.2 * r), 0, 1)[..., None] * g.uniform(0.3, 0.8)
        img = img * (1 - disc) + g.uniform(120, 255, 3).astype(np.float32) * disc
    return img + g.normal(0, g.uniform(2, 8), (h, w, 1)).astype(np.float32)


def _words(img: np.ndarray, g: np.random.Generator, x0: int, x1: int, y: int, height: int,
           ink: np.ndarray, ragged: bool = True) -> None:
    """One line of word-shaped blocks (ascender bumps on some) from ``x0`` towards ``x1``."""
    end = x1 - (int(g.integers(0, max(1, (x1 - x0) // 3))) if ragged else 0)
    x = x0
    while x < end:
        wl = int(g.integers(max(2, height), max(3, height * 5)))
        if x + wl > end:
            break
        img[y + height // 4:y + height, x:x + wl] = ink
        for _ in range(int(g.integers(0, 3))):
            bx = x + int(g.integers(0, max(1, wl - 2)))
            img[y:y + height // 4, bx:bx + max(1, height // 5)] = ink
        x += wl + max(2, height // 2)


def document(g: np.random.Generator, w: int, h: int) -> np.ndarray:
    paper = np.array(g.choice([[252, 252, 250], [245, 240, 228], [255, 255, 255], [235, 238, 242]]), np.float32)
    ink = np.array(g.choice([[20, 20, 25], [40, 40, 80], [60, 30, 30]]), np.float32)
    img = np.broadcast_to(paper, (h, w, 3)).copy()
    margin = int(w * g.uniform(0.06, 0.14))
    line = max(4, int(h * g.uniform(0.012, 0.025)))
    y = int(h * g.uniform(0.04, 0.1))
    title = line * 2
    _words(img, g, margin, w - margin, y, title, ink)
    y += title * 2
    while y < h - margin:
        if g.random() < 0.12:                            # a figure or a table
            fh = int(h * g.uniform(0.1, 0.25))
            if y + fh >= h - margin:
                break
            if g.random() < 0.5:
                img[y:y + fh, margin:w - margin] = _palette(g, 1)[0]
            else:
                for r in range(y, y + fh, max(3, line * 2)):
                    img[r, margin:w - margin] = ink
                for c in np.linspace(margin, w - margin - 1, int(g.integers(3, 6))).astype(int):
                    img[y:y + fh, c] = ink
            y += fh + line * 2
            continue
        for _ in range(int(g.integers(2, 8))):           # a paragraph
            if y + line >= h - margin:
                break
            _words(img, g, margin, w - margin, y, line, ink)
            y += int(line * g.uniform(1.5, 2.2))
        y += line * 2
    return img


def app(g: np.random.Generator, w: int, h: int) -> np.ndarray:
    dark = g.random() < 0.4
    bg = np.array([18, 18, 22] if dark else [250, 250, 250], np.float32)
    fg = np.array([220, 220, 225] if dark else [30, 30, 35], np.float32)
    accent = _palette(g, 1)[0]
    img = np.broadcast_to(bg, (h, w, 3)).copy()
    unit = max(6, min(w, h) // 30)
    img[:unit * 2] = accent * 0.8                         # status bar
    img[unit * 2:unit * 6] = accent                       # navigation bar
    _words(img, g, unit * 2, w // 2, unit * 3, unit * 2, bg, ragged=False)
    y, row = unit * 7, unit * int(g.integers(6, 10))
    yy, xx = np.mgrid[0:row, 0:w].astype(np.float32)
    while y + row < h:
        r = row * 0.3
        av = np.hypot(xx - unit - r, yy - row / 2) < r
        img[y:y + row][av] = _palette(g, 1)[0]
        left = int(unit * 2 + 2 * r)
        _words(img, g, left, w - unit, y + row // 4, max(3, unit), fg)
        _words(img, g, left, w - unit, y + row // 2 + unit // 2, max(3, unit * 2 // 3), fg * 0.6 + bg * 0.4)
        img[y + row - 1, left:] = fg * 0.2 + bg * 0.8      # divider
        y += row
    if g.random() < 0.6:                                  # a floating round button
        cx, cy, r = w - unit * 5, h - unit * 5, unit * 3
        yy2, xx2 = np.mgrid[0:h, 0:w].astype(np.float32)
        img[np.hypot(xx2 - cx, yy2 - cy) < r] = accent
    return img


def texture(g: np.random.Generator, w: int, h: int) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    kind = int(g.integers(3))
    if kind == 0:                                         # Voronoi cells
        n = int(g.integers(8, 60))
        px, py = g.random(n) * w, g.random(n) * h
        cols = _palette(g, n)
        best = np.full((h, w), np.inf, np.float32)
        img = np.zeros((h, w, 3), np.float32)
        for i in range(n):
            d = (xx - px[i]) ** 2 + (yy - py[i]) ** 2
            closer = d < best
            best[closer] = d[closer]
            img[closer] = cols[i]
    elif kind == 1:                                       # warped stripes
        warp = _octaves(g, h, w, 3) * g.uniform(5, 30)
        a = g.uniform(0, np.pi)
        t = (np.cos(a) * xx + np.sin(a) * yy) / g.uniform(8, 40) + warp
        img = _ramp(0.5 + 0.5 * np.sin(t), _palette(g, 2))
    else:                                                 # a checkerboard, slightly rotated by shear
        s = g.uniform(16, 80)
        shear = g.uniform(-0.3, 0.3)
        t = ((np.floor((xx + shear * yy) / s) + np.floor(yy / s)) % 2).astype(np.float32)
        img = _ramp(t, _palette(g, 2))
    grain = g.normal(0, g.uniform(2, 12), (h, w, 1)).astype(np.float32)
    return img + grain


DRAW = {"landscape": landscape, "field": field, "layers": layers, "document": document, "app": app,
        "texture": texture}


def picture(seed: int, kind: str | None = None, long_side: tuple[int, int] = (320, 1024)) -> Image.Image:
    """Picture ``seed`` of the second generator (kind and size from the seed unless ``kind`` is given;
    the long side between ``long_side``'s bounds)."""
    g = np.random.default_rng([seed, 0x5EC0])
    kind = kind or KINDS[int(g.integers(len(KINDS)))]
    w, h = _size(g, long_side)
    a = DRAW[kind](g, w, h)
    im = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "RGB")
    if kind in ("landscape", "field", "layers") and g.random() < 0.7:
        im = im.filter(ImageFilter.GaussianBlur(g.uniform(0.5, 2.5)))      # a lens, not a renderer
    return im


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--n", type=int, default=24)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for seed in range(args.n):
        picture(seed).save(args.out / f"p2_{seed:04d}.jpg", quality=90)


if __name__ == "__main__":
    main()
