"""Time-series charts as inline SVG strings: no JavaScript, no fonts, no network.

One chart kind is enough for the HTML report: series over a shared time axis (lines or
points), with fault windows shaded behind them the way Grafana draws annotations regions.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

#: colours that read on white and in print; the report's legend repeats them
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf")


@dataclass(frozen=True)
class Series:
    """One named series. ``labels`` (same length as ``points``) become point tooltips."""

    name: str
    points: Sequence[tuple[float, float]]
    style: str = "line"  # "line" | "points" | "both"
    labels: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True)
class Window:
    """A shaded interval on the time axis (a fault that was active from ``start`` to ``end``)."""

    name: str
    start: float
    end: float


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering ``lo..hi`` (steps of 1, 2 or 5 × 10^n)."""
    if not math.isfinite(lo) or not math.isfinite(hi):
        return [0.0]
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(count, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first = math.floor(lo / step) * step
    ticks = []
    t = first
    while t <= hi + step * 1e-9:
        ticks.append(round(t, 10))
        t += step
    if ticks[-1] < hi:
        ticks.append(round(t, 10))
    return ticks


def _fmt(v: float) -> str:
    if abs(v) >= 10000:
        return f"{v / 1000:.0f}k"
    if v == int(v):
        return str(int(v))
    return f"{v:.1f}"


def time_chart(
    title: str,
    series: Sequence[Series],
    windows: Sequence[Window] = (),
    *,
    x_label: str = "time since start (s)",
    y_label: str = "",
    width: int = 760,
    height: int = 260,
    css_class: str = "chart",
) -> str:
    """An ``<svg>`` element: axes, ticks, shaded windows, one path/points per series, legend."""
    left, right, top, bottom = 60, 16, 44, 44
    pw, ph = width - left - right, height - top - bottom
    xs = [x for s in series for x, _ in s.points] + [v for w in windows for v in (w.start, w.end)]
    ys = [y for s in series for _, y in s.points]
    esc = html.escape
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{esc(css_class)}" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">',
        f"<title>{esc(title)}</title>",
        f'<text x="{left}" y="16" class="chart-title">{esc(title)}</text>',
    ]
    if not ys:
        out.append(
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" class="empty">'
            "no samples recorded</text></svg>"
        )
        return "".join(out)
    x_ticks = nice_ticks(min(0.0, *xs), max(xs))
    y_ticks = nice_ticks(min(0.0, *ys), max(ys))
    x0, x1, y0, y1 = x_ticks[0], x_ticks[-1], y_ticks[0], y_ticks[-1]

    def sx(x: float) -> float:
        return round(left + (x - x0) / (x1 - x0) * pw, 2)

    def sy(y: float) -> float:
        return round(top + ph - (y - y0) / (y1 - y0) * ph, 2)

    for w in windows:
        a, b = sx(max(w.start, x0)), sx(min(w.end, x1))
        out.append(
            f'<rect class="fault-window" x="{a}" y="{top}" width="{round(max(b - a, 1.0), 2)}" '
            f'height="{ph}" fill="#f4a582" fill-opacity="0.35">'
            f"<title>{esc(w.name)}: {_fmt(w.start)}–{_fmt(w.end)} s</title></rect>"
        )
    for t in y_ticks:
        out.append(
            f'<line x1="{left}" x2="{left + pw}" y1="{sy(t)}" y2="{sy(t)}" stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{sy(t) + 4}" text-anchor="end" class="tick">{_fmt(t)}</text>'
        )
    for t in x_ticks:
        out.append(
            f'<text x="{sx(t)}" y="{top + ph + 16}" text-anchor="middle" class="tick">{_fmt(t)}</text>'
        )
    out.append(
        f'<path class="axis" d="M{left},{top} V{top + ph} H{left + pw}" stroke="#333" fill="none"/>'
        f'<text x="{left + pw / 2}" y="{height - 6}" text-anchor="middle" class="axis-label">'
        f"{esc(x_label)}</text>"
        f'<text transform="translate(14,{top + ph / 2}) rotate(-90)" text-anchor="middle" '
        f'class="axis-label">{esc(y_label)}</text>'
    )
    for i, s in enumerate(series):
        color = PALETTE[i % len(PALETTE)]
        pts = sorted(s.points) if s.style != "points" else list(s.points)
        if s.style in ("line", "both") and pts:
            d = " ".join(f"{'M' if j == 0 else 'L'}{sx(x)},{sy(y)}" for j, (x, y) in enumerate(pts))
            out.append(
                f'<path class="series series-{i}" d="{d}" stroke="{color}" '
                f'stroke-width="1.6" fill="none"><title>{esc(s.name)}</title></path>'
            )
        if s.style in ("points", "both"):
            for j, (x, y) in enumerate(s.points):
                label = s.labels[j] if j < len(s.labels) else f"{_fmt(x)} s: {_fmt(y)}"
                out.append(
                    f'<circle class="point" cx="{sx(x)}" cy="{sy(y)}" r="2.6" fill="{color}">'
                    f"<title>{esc(label)}</title></circle>"
                )
        lx = left + i * 170
        out.append(
            f'<rect x="{lx}" y="23" width="10" height="10" fill="{color}"/>'
            f'<text x="{lx + 14}" y="32" class="legend">{esc(s.name)}</text>'
        )
    out.append("</svg>")
    return "".join(out)
