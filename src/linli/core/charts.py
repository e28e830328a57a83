"""Small server-side SVG charts (bar and line) for dashboards and reports: no JavaScript, no chart library.

Each chart is one `<svg role="img">` with a `<title>` and `<desc>` (read by screen readers), a text label per
category, a legend when there are several series, and a `<title>` on every bar or point giving its exact value.
All text is escaped. Colours are presentation attributes (the pages' CSP allows no inline styles).

    svg = bar_chart(title="每日订单", labels=["11-01", "11-02"], series=[("订单", [12, 30])])
    {{ svg }}   # a SafeString, ready for a template
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from html import escape

from django.utils.safestring import SafeString, mark_safe

PALETTE = ("#1d4ed8", "#d97706", "#059669", "#b91c1c", "#7c3aed", "#0e7490", "#be185d", "#4b5563")
FONT = "system-ui, -apple-system, 'Noto Sans CJK SC', 'PingFang SC', sans-serif"
Series = Sequence[tuple[str, Sequence[float | int | None]]]

_ids = itertools.count(1)


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _fmt_default(value: float) -> str:
    return (
        f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")
    )


def nice_ticks(value: float) -> tuple[float, float]:
    """A round axis top at or above `value` and its tick step (1, 2, 2.5 or 5 times a power of ten; 3-6 ticks)."""
    if value <= 0:
        return 1.0, 0.25
    raw = value / 5
    exp = math.floor(math.log10(raw))
    step = next(float(m * 10**exp) for m in (1, 2, 2.5, 5, 10) if m * 10**exp >= raw)
    return step * math.ceil(value / step - 1e-9), step


def nice_max(value: float) -> float:
    return nice_ticks(value)[0]


def _text_width(text: str) -> float:
    """Rough width at 12 px: CJK characters are square, others about half."""
    return sum(12 if ord(ch) > 0x2E80 else 6.6 for ch in text)


def _legend_layout(series: Series, width: int, left: int) -> list[tuple[float, float]]:
    """Where each series' legend swatch goes, wrapping onto new rows when the line is full."""
    if len(series) < 2:
        return []
    spots, x, y = [], float(left), 4.0
    for name, _values in series:
        w = 16 + _text_width(str(name)) + 14
        if x + w > width and x > left:
            x, y = float(left), y + 16
        spots.append((x, y))
        x += w
    return spots


class _Frame:
    def __init__(self, width: int, height: int, series: Series) -> None:
        self.width, self.height = width, height
        self.left, self.right = 56, 12
        self.legend = _legend_layout(series, width - self.right, self.left)
        rows = len({y for _x, y in self.legend})
        self.top = 24 + 16 * rows
        self.height = height + 16 * max(0, rows - 1)
        self.bottom = 34
        self.plot_w = width - self.left - self.right
        self.plot_h = height - self.top - self.bottom


def _open(title: str, desc: str, width: int, height: int, kind: str) -> tuple[list[str], str]:
    cid = f"chart{next(_ids)}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart--{kind}" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-labelledby="{cid}-t {cid}-d" font-family="{_e(FONT)}" font-size="12">',
        f'<title id="{cid}-t">{_e(title)}</title>',
        f'<desc id="{cid}-d">{_e(desc or title)}</desc>',
    ]
    return parts, cid


def _axes(parts: list[str], fr: _Frame, top: float, fmt: Callable[[float], str], unit: str) -> None:
    step = nice_ticks(top)[1] if nice_ticks(top)[0] == top else top / 4
    count = max(1, round(top / step))
    for i in range(count + 1):
        value = step * i
        y = fr.top + fr.plot_h - fr.plot_h * value / top
        parts.append(
            f'<line x1="{fr.left}" y1="{y:.1f}" x2="{fr.width - fr.right}" y2="{y:.1f}" '
            f'stroke="{"#6b7280" if i == 0 else "#e5e7eb"}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{fr.left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#374151">{_e(fmt(value))}</text>'
        )
    if unit:
        parts.append(f'<text x="4" y="{fr.top - 10}" fill="#374151">{_e(unit)}</text>')


def _x_labels(parts: list[str], fr: _Frame, labels: Sequence[str], centers: Sequence[float]) -> None:
    """Category labels under the axis. When they do not fit, every k-th is written counting back from the last
    (the latest day always has its label); every value keeps its full label in its own `<title>`."""
    n = len(labels)
    if not n:
        return
    widest = max(_text_width(label) for label in labels) + 6
    step = 1
    while step < n and fr.plot_w / math.ceil(n / step) < min(widest, 72):
        step += 1
    room = fr.plot_w / math.ceil(n / step) - 4
    for i, (label, x) in enumerate(zip(labels, centers, strict=True)):
        if (n - 1 - i) % step:
            continue
        text = label
        while len(text) > 1 and _text_width(text) > room:
            text = text[:-2] + "…" if len(text) > 2 else text[:1]
        parts.append(
            f'<text x="{x:.1f}" y="{fr.height - fr.bottom + 16}" text-anchor="middle" fill="#111827">{_e(text)}</text>'
        )


def _legend(parts: list[str], fr: _Frame, series: Series) -> None:
    for i, ((name, _values), (x, y)) in enumerate(zip(series, fr.legend, strict=False)):
        colour = PALETTE[i % len(PALETTE)]
        parts.append(f'<rect x="{x:.0f}" y="{y:.0f}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 16:.0f}" y="{y + 10:.0f}" fill="#111827">{_e(name)}</text>')


def _top_of(series: Series, y_max: float | None) -> float:
    values = [v for _name, vals in series for v in vals if v is not None]
    return y_max if y_max is not None else nice_max(max(values, default=0))


def bar_chart(
    *,
    title: str,
    labels: Sequence[str],
    series: Series,
    desc: str = "",
    unit: str = "",
    y_max: float | None = None,
    fmt: Callable[[float], str] = _fmt_default,
    width: int = 420,
    height: int = 260,
    show_values: bool | None = None,
) -> SafeString:
    """Grouped vertical bars: one group per label, one bar per series. `None` draws no bar."""
    labels = [str(label) for label in labels]
    fr = _Frame(width, height, series)
    parts, _cid = _open(title, desc, fr.width, fr.height, "bar")
    top = _top_of(series, y_max)
    _axes(parts, fr, top, fmt, unit)
    n = max(1, len(labels))
    group_w = fr.plot_w / n
    bar_w = max(1.0, group_w * 0.8 / max(1, len(series)))
    show_values = show_values if show_values is not None else n * len(series) <= 16
    centers = []
    for i, label in enumerate(labels):
        gx = fr.left + group_w * i + group_w * 0.1
        centers.append(fr.left + group_w * (i + 0.5))
        for s, (name, values) in enumerate(series):
            value = values[i] if i < len(values) else None
            if value is None:
                continue
            h = fr.plot_h * min(value, top) / top if top else 0
            x = gx + bar_w * s
            y = fr.top + fr.plot_h - h
            tip = f"{label} · {name}: {fmt(value)}{(' ' + unit) if unit else ''}"
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[s % len(PALETTE)]}"><title>{_e(tip)}</title></rect>'
            )
            if show_values:
                parts.append(
                    f'<text x="{x + bar_w / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle" font-size="11" '
                    f'fill="#111827">{_e(fmt(value))}</text>'
                )
    _x_labels(parts, fr, labels, centers)
    _legend(parts, fr, series)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def line_chart(
    *,
    title: str,
    labels: Sequence[str],
    series: Series,
    desc: str = "",
    unit: str = "",
    y_max: float | None = None,
    fmt: Callable[[float], str] = _fmt_default,
    width: int = 420,
    height: int = 260,
) -> SafeString:
    """One line per series over the labels; `None` values leave a gap. Each point has a `<title>`."""
    labels = [str(label) for label in labels]
    fr = _Frame(width, height, series)
    parts, _cid = _open(title, desc, fr.width, fr.height, "line")
    top = _top_of(series, y_max)
    _axes(parts, fr, top, fmt, unit)
    n = len(labels)
    pad = 16  # keep the first and last points (and their labels) inside the frame
    step = (fr.plot_w - 2 * pad) / (n - 1) if n > 1 else 0
    centers = [fr.left + pad + step * i if n > 1 else fr.left + fr.plot_w / 2 for i in range(n)]
    for s, (name, values) in enumerate(series):
        colour = PALETTE[s % len(PALETTE)]
        runs: list[list[tuple[float, float]]] = [[]]
        points = []
        for i in range(n):
            value = values[i] if i < len(values) else None
            if value is None:
                runs.append([])
                continue
            y = fr.top + fr.plot_h - (fr.plot_h * min(value, top) / top if top else 0)
            runs[-1].append((centers[i], y))
            points.append((centers[i], y, labels[i], value))
        for run in runs:
            if len(run) > 1:
                path = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"/>')
        for x, y, label, value in points:
            tip = f"{label} · {name}: {fmt(value)}{(' ' + unit) if unit else ''}"
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"><title>{_e(tip)}</title></circle>')
    _x_labels(parts, fr, labels, centers)
    _legend(parts, fr, series)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def yuan(fen: float) -> str:
    """Fen as yuan for axis and value labels: 123456 -> "1,234.56", 1000 -> "10". Axis ticks may be fractional
    fen; they are rounded to whole fen first and formatted with integer arithmetic (no float money)."""
    whole = int(round(fen))
    sign, whole = ("-" if whole < 0 else ""), abs(whole)
    yuan_part, cents = divmod(whole, 100)
    return f"{sign}{yuan_part:,}" if cents == 0 else f"{sign}{yuan_part:,}.{cents:02d}"
