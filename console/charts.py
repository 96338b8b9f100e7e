"""Server-rendered SVG charts for the dashboard: no script, nothing fetched, readable
when printed. Labels are escaped; values are drawn to scale with the number written on
each bar, so a person reads the figure without hovering."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from django.utils.safestring import SafeString, mark_safe

COLOURS = ("#b91c1c", "#2563eb", "#059669", "#d97706")


def _nice_max(value: float) -> float:
    """The smallest 1, 2 or 5 × 10ⁿ not below ``value`` (the top of the axis)."""
    if value <= 0:
        return 1.0
    magnitude = 1.0
    while magnitude * 10 < value:
        magnitude *= 10
    return next(m * s for m in (magnitude, magnitude * 10) for s in (1, 2, 5) if m * s >= value)


def bars(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    unit: str = "",
    percent: bool = False,
) -> SafeString:
    """Grouped vertical bars: one group per label (a day), one bar per series."""
    width, height, left, bottom, top = 760.0, 240.0, 40.0, 40.0, 30.0
    n = max(len(labels), 1)
    group = (width - left - 10) / n
    bar = max(min(group * 0.8 / max(len(series), 1), 28), 2)
    peak = _nice_max(max([v for _, values in series for v in values] or [0]))
    if percent:
        peak = 100.0
    scale = (height - bottom - top) / peak
    parts = [
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        'style="width:100%;height:auto;background:#fff" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="{left}" y="18" font-size="14" font-weight="600">{escape(title)}</text>',
    ]
    for i, (name, _) in enumerate(series):
        x = width - 10 - (len(series) - i) * 110
        parts.append(f'<rect x="{x}" y="8" width="12" height="12" fill="{COLOURS[i % len(COLOURS)]}"/>')
        parts.append(f'<text x="{x + 16}" y="18" font-size="12">{escape(name)}</text>')
    base = height - bottom
    parts.append(f'<line x1="{left}" y1="{base}" x2="{width - 10}" y2="{base}" stroke="#9ca3af"/>')
    parts.append(f'<text x="{left - 4}" y="{top + 4}" font-size="10" text-anchor="end">{peak:g}{escape(unit)}</text>')
    every = max(1, round(n / 15))
    for i, label in enumerate(labels):
        x0 = left + i * group + (group - bar * len(series)) / 2
        for j, (_, values) in enumerate(series):
            value = values[i] if i < len(values) else 0
            h = value * scale
            x = x0 + j * bar
            parts.append(
                f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar - 1:.1f}" height="{h:.1f}" '
                f'fill="{COLOURS[j % len(COLOURS)]}"><title>{escape(label)} {escape(series[j][0])}：'
                f"{value:g}{escape(unit)}</title></rect>"
            )
            if value and n <= 31:
                parts.append(
                    f'<text x="{x + bar / 2:.1f}" y="{base - h - 2:.1f}" font-size="9" '
                    f'text-anchor="middle">{value:g}</text>'
                )
        if i % every == 0:
            parts.append(
                f'<text x="{left + i * group + group / 2:.1f}" y="{base + 14}" font-size="10" '
                f'text-anchor="middle">{escape(label[5:])}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def hbars(title: str, items: Sequence[tuple[str, float]], *, unit: str = "次") -> SafeString:
    """Horizontal bars for a top-N list (the question or gap text on the left)."""
    row, left, width = 24, 260, 760
    height = 34 + row * max(len(items), 1)
    peak = max([v for _, v in items] or [1]) or 1
    parts = [
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        'style="width:100%;height:auto;background:#fff" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="4" y="18" font-size="14" font-weight="600">{escape(title)}</text>',
    ]
    if not items:
        parts.append('<text x="4" y="48" font-size="12" fill="#6b7280">这段时间没有。</text>')
    for i, (label, value) in enumerate(items):
        y = 30 + i * row
        w = (width - left - 60) * value / peak
        short = label if len(label) <= 18 else label[:17] + "…"
        parts.append(
            f'<text x="{left - 6}" y="{y + 15}" font-size="12" text-anchor="end">{escape(short)}'
            f"<title>{escape(label)}</title></text>"
        )
        parts.append(f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="{COLOURS[0]}"/>')
        parts.append(f'<text x="{left + w + 4:.1f}" y="{y + 15}" font-size="11">{value:g}{escape(unit)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))
