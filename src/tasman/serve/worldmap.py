"""A world map drawn on the server as SVG from world-atlas' TopoJSON (installed from npm, offline).

Equirectangular projection, countries shaded by a count; no script needed, so it prints and
works with the strict CSP. Country ids in world-atlas are ISO 3166 numeric codes.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import pycountry

from tasman.serve.assets import vendor_dir

WIDTH, HEIGHT = 960, 480
SHADES = ["#dde6ee", "#b9d0e3", "#8db4d6", "#5b93c4", "#2f6fae", "#114f8a"]


def _alpha2(numeric: str | int | None) -> str | None:
    if numeric is None:
        return None
    c = pycountry.countries.get(numeric=str(numeric).zfill(3))
    return c.alpha_2 if c is not None else None


def _decode_arcs(topo: dict[str, Any]) -> list[list[tuple[float, float]]]:
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            pts.append((x * sx + tx, y * sy + ty))
        arcs.append(pts)
    return arcs


def _ring(arcs: list[list[tuple[float, float]]], indices: list[int]) -> list[tuple[float, float]]:
    pts: list[tuple[float, float]] = []
    for i in indices:
        seg = arcs[i] if i >= 0 else arcs[~i][::-1]
        pts.extend(seg if not pts else seg[1:])
    return pts


def _path(rings: list[list[tuple[float, float]]]) -> str:
    """SVG path data; a ring that jumps across the antimeridian (Russia, Fiji) is cut there
    instead of drawing a line across the whole map."""
    parts = []
    for ring in rings:
        out, prev = [], None
        for lon, lat in ring:
            xy = f"{(lon + 180) * WIDTH / 360:.1f},{(90 - lat) * HEIGHT / 180:.1f}"
            out.append(("M" if prev is None or abs(lon - prev) > 180 else "L") + xy)
            prev = lon
        parts.append("".join(out) + ("" if any(o.startswith("M") for o in out[1:]) else "Z"))
    return "".join(parts)


@lru_cache(maxsize=1)
def country_paths() -> tuple[tuple[str | None, str, str], ...] | None:
    """(alpha-2 or None, name, SVG path) per country; None when the npm data is not installed."""
    source = vendor_dir() / "countries-110m.json"
    if not source.is_file():
        return None
    topo = json.loads(source.read_text(encoding="utf-8"))
    arcs = _decode_arcs(topo)
    out = []
    for geom in topo["objects"]["countries"]["geometries"]:
        if geom.get("type") == "Polygon":
            polys = [geom["arcs"]]
        elif geom.get("type") == "MultiPolygon":
            polys = geom["arcs"]
        else:
            continue
        rings = [_ring(arcs, ring) for poly in polys for ring in poly]
        out.append((_alpha2(geom.get("id")), geom.get("properties", {}).get("name", ""), _path(rings)))
    return tuple(out)


def shade(count: int, top: int) -> str:
    if count <= 0 or top <= 0:
        return SHADES[0]
    return SHADES[1 + min(len(SHADES) - 2, (count * (len(SHADES) - 1) - 1) // top)]


def map_shapes(counts: dict[str, int], details: dict[str, Any] | None = None) -> list[dict[str, Any]] | None:
    """One shape per country, shaded by ``counts``; ``details`` (by code) go into its tooltip."""
    paths = country_paths()
    if paths is None:
        return None
    top = max(counts.values(), default=0)
    details = details or {}
    return [{"code": code or "", "name": name, "d": d, "count": counts.get(code or "", 0),
             "detail": details.get(code or ""), "fill": shade(counts.get(code or "", 0), top)}
            for code, name, d in paths]
