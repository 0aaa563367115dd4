"""Procedurally drawn benign pictures: gradients, shapes and lines from a seed."""

from __future__ import annotations

import random
from pathlib import Path

from PIL import Image, ImageDraw


def draw_picture(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A deterministic abstract picture: a two-colour gradient with random shapes on it."""
    rng = random.Random(seed)
    w, h = size
    c1 = tuple(rng.randrange(256) for _ in range(3))
    c2 = tuple(rng.randrange(256) for _ in range(3))
    base = Image.linear_gradient("L").resize((w, h))
    if rng.random() < 0.5:
        base = base.rotate(90, expand=False).resize((w, h))
    img = Image.composite(Image.new("RGB", (w, h), c1), Image.new("RGB", (w, h), c2), base)
    draw = ImageDraw.Draw(img)
    for _ in range(rng.randrange(6, 18)):
        x0, y0 = rng.randrange(w), rng.randrange(h)
        x1, y1 = min(w, x0 + rng.randrange(w // 8, w // 2)), min(h, y0 + rng.randrange(h // 8, h // 2))
        colour = tuple(rng.randrange(256) for _ in range(3))
        shape = rng.choice(("rect", "ellipse", "line", "poly"))
        if shape == "rect":
            draw.rectangle((x0, y0, x1, y1), fill=colour)
        elif shape == "ellipse":
            draw.ellipse((x0, y0, x1, y1), fill=colour)
        elif shape == "line":
            draw.line((x0, y0, x1, y1), fill=colour, width=rng.randrange(2, 12))
        else:
            pts = [(rng.randrange(w), rng.randrange(h)) for _ in range(rng.randrange(3, 7))]
            draw.polygon(pts, fill=colour)
    return img


def write_pictures(folder: Path, seeds: range | list[int], size: tuple[int, int] = (640, 480),
                   fmt: str = "JPEG", suffix: str = ".jpg") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for seed in seeds:
        p = folder / f"img_{seed:05d}{suffix}"
        draw_picture(seed, size).save(p, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
        paths.append(p)
    return paths
