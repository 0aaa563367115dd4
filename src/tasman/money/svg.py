"""An inline SVG chart of amounts over time, one line per beneficiary: drawn here, so the
report needs no script, font or file from anywhere."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from tasman.money.document import Series

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")


def _nice_max(v: float) -> float:
    if v <= 0:
        return 1.0
    mag = 10 ** len(str(int(v))) / 10
    for step in (1, 2, 2.5, 5, 10):
        if v <= step * mag:
            return step * mag
    return 10 * mag


def amounts_chart(series: tuple[Series, ...] | list[Series], width: int = 760, height: int = 320,
                  legend: bool = True, first_colour: int = 0) -> str:
    """Amount (USD) against time; an empty chart says so instead of drawing nothing. Without
    ``legend`` (one beneficiary's chart, titled by its caller) the plot takes the whole width;
    ``first_colour`` keeps a beneficiary's colour from the chart of all of them."""
    left, right, top, bottom = 60, 170 if legend else 40, 20, 40
    pw, ph = width - left - right, height - top - bottom
    pts = [(datetime.fromisoformat(p.ts.replace("Z", "+00:00")), p.amount_usd) for s in series for p in s.points]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="Amounts over time per beneficiary">',
           f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="#fafafa" stroke="#999"/>']
    if not pts:
        out.append(f'<text x="{left + 10}" y="{top + 30}" font-size="13">No dated transfers to draw.</text></svg>')
        return "".join(out)
    t0 = min(t for t, _ in pts).timestamp()
    t1 = max(t for t, _ in pts).timestamp()
    span = max(t1 - t0, 86400.0)
    ymax = _nice_max(max(a for _, a in pts))

    def x(ts: datetime) -> float:
        return left + (ts.timestamp() - t0) / span * pw

    def y(a: float) -> float:
        return top + ph - a / ymax * ph

    for i in range(5):
        v = ymax * i / 4
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#ddd"/>'
                   f'<text x="{left - 6}" y="{y(v) + 4:.1f}" font-size="11" text-anchor="end">{v:g}</text>')
    for i in range(5):
        ts = t0 + span * i / 4
        label = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")
        out.append(f'<text x="{left + pw * i / 4:.1f}" y="{top + ph + 18}" font-size="11" '
                   f'text-anchor="middle">{label}</text>')
    out.append(f'<text x="14" y="{top + ph / 2:.0f}" font-size="11" transform="rotate(-90 14 {top + ph / 2:.0f})" '
               'text-anchor="middle">amount (USD)</text>')
    for i, s in enumerate(series):
        colour = PALETTE[(first_colour + i) % len(PALETTE)]
        coords = [(x(datetime.fromisoformat(p.ts.replace("Z", "+00:00"))), y(p.amount_usd)) for p in s.points]
        if len(coords) > 1:
            path = " ".join(f"{a:.1f},{b:.1f}" for a, b in coords)
            out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{path}"/>')
        out.extend(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="2.5" fill="{colour}"/>' for a, b in coords)
        if not legend:
            continue
        ly = top + 14 + i * 18
        out.append(f'<rect x="{left + pw + 12}" y="{ly - 9}" width="10" height="10" fill="{colour}"/>'
                   f'<text x="{left + pw + 28}" y="{ly}" font-size="11">{escape(s.label[:24])}</text>')
    out.append("</svg>")
    return "".join(out)
