"""Server-rendered SVG bar charts: they print, need no JavaScript, and carry a title and
description for screen readers (the same figures are in the table beside them)."""

from django.utils.html import escape

WIDTH, BAR_H, GAP, LABEL_W = 560, 26, 10, 130


def bar_chart(title: str, description: str, bars: list[tuple[str, int | None]], *, chart_id: str,
              suppressed_text: str = "hidden (fewer than 11 people)") -> str:
    """Return an accessible SVG bar chart; a suppressed bar (None) shows as text, not a bar."""
    known = [v for _label, v in bars if v is not None]
    top = max(known) if known else 0
    height = len(bars) * (BAR_H + GAP) + GAP
    plot = WIDTH - LABEL_W - 70
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" aria-labelledby="{chart_id}-t {chart_id}-d">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(description)}</desc>',
    ]
    for index, (label, value) in enumerate(bars):
        y = GAP + index * (BAR_H + GAP)
        parts.append(f'<text x="0" y="{y + BAR_H * 0.7:.0f}" font-size="14" fill="#222">{escape(label)}</text>')
        if value is None:
            parts.append(f'<text x="{LABEL_W}" y="{y + BAR_H * 0.7:.0f}" font-size="13" fill="#555" '
                         f'font-style="italic">{escape(suppressed_text)}</text>')
            continue
        width = 0 if top == 0 else max(2, round(plot * value / top)) if value else 0
        parts.append(f'<rect x="{LABEL_W}" y="{y}" width="{width}" height="{BAR_H}" fill="#2b6777"/>')
        parts.append(f'<text x="{LABEL_W + width + 6}" y="{y + BAR_H * 0.7:.0f}" font-size="14" fill="#222">{value}</text>')
    parts.append("</svg>")
    return "".join(parts)
