"""A small server-rendered line chart in SVG (no JavaScript), accessible by title and desc.

The page shows the same numbers in a data table beside it.
"""

import datetime

from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 40
# Colour-blind-safe (Okabe-Ito) and each series also has its own marker shape.
STYLES = [("#0072B2", "circle"), ("#D55E00", "square"), ("#009E73", "diamond")]


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    if shape == "square":
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}"/>'
    if shape == "diamond":
        return (f'<polygon points="{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} '
                f'{x - 5:.1f},{y:.1f}" fill="{colour}"/>')
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>'


def line_chart(series: list[tuple[str, list, float]], *, title: str, desc: str, chart_id: str = "chart"):
    """Return an SVG chart of series [(name, points with .at and .score, maximum score)].

    Scores are drawn as a share of each instrument's maximum, so instruments with
    different ranges share one axis (0 to 100 %).
    """
    days = [p.at for _name, points, _max in series for p in points]
    if not days:
        return ""
    first, last = min(days), max(days)
    span = max((last - first).days, 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x_of(day: datetime.date) -> float:
        return LEFT + plot_w * (day - first).days / span

    def y_of(score: float, maximum: float) -> float:
        return TOP + plot_h * (1 - min(max(score / maximum, 0), 1))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" class="chart">',
        format_html('<title id="{}-title">{}</title>', chart_id, title),
        format_html('<desc id="{}-desc">{}</desc>', chart_id, desc),
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="#ffffff" stroke="#c9ccd3"/>',
    ]
    for share in (0, 50, 100):
        y = TOP + plot_h * (1 - share / 100)
        parts.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e5ea"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12" fill="#4a4a55">{share}%</text>')
    parts.append(format_html(
        '<text x="{}" y="{}" font-size="12" fill="#4a4a55">{}</text>', LEFT, HEIGHT - 8, first.isoformat()
    ))
    parts.append(format_html(
        '<text x="{}" y="{}" text-anchor="end" font-size="12" fill="#4a4a55">{}</text>',
        LEFT + plot_w, HEIGHT - 8, last.isoformat(),
    ))
    for index, (name, points, maximum) in enumerate(series):
        colour, shape = STYLES[index % len(STYLES)]
        coords = [(x_of(p.at), y_of(p.score, maximum)) for p in points]
        if len(coords) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        parts.extend(_marker(shape, x, y, colour) for x, y in coords)
        legend_x = LEFT + 8 + index * 130
        parts.append(_marker(shape, legend_x, TOP + 10, colour))
        parts.append(f'<text x="{legend_x + 10}" y="{TOP + 14}" font-size="12" fill="#1b1b1f">{escape(name)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(str(p) for p in parts))  # noqa: S308 (every value above is escaped or numeric)
