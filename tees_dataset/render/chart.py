"""Small SVG trend charts, legible in greyscale: lines told apart by weight, dash and marker,
labelled at their ends, with the figures as the chart's text alternative."""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 320.0, 110.0
LEFT, RIGHT, TOP, BOTTOM = 34.0, 92.0, 8.0, 18.0
LABEL_GAP = 8.0


@dataclass(frozen=True)
class Series:
    label: str
    points: list[tuple[str, float | None]]  # (quarter, value or None when not available)


@dataclass(frozen=True)
class Reference:
    """A published figure drawn across the chart as a thin line (England, the North East)."""

    label: str  # on the chart, e.g. "England 2024"
    value: float
    period: str  # in the text alternative, e.g. "year to 31 March 2024"


# (stroke, width, dash, marker): the first series (the partnership) is the boldest. Every grey
# keeps at least 5:1 contrast on white (WCAG 1.4.11 asks 3:1 for graphics).
STYLES = (
    ("#000000", 2.2, "", "circle"),
    ("#404040", 1.4, "5 3", "square"),
    ("#595959", 1.0, "1.5 2", "triangle"),
    ("#666666", 1.0, "6 2 1.5 2", "diamond"),
)


def _fmt(value: float, unit: str) -> str:
    if unit == "percent":
        return f"{value:.1f}%"
    if unit == "count":
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def _dashes(dash: str) -> str:
    return f' stroke-dasharray="{dash}"' if dash else ""


def _marker(kind: str, x: float, y: float, colour: str) -> str:
    if kind.startswith("line:"):  # a reference line's key: a short stretch of its dash
        dash = kind.removeprefix("line:")
        return (
            f'<line x1="{x - 4:.1f}" y1="{y:.1f}" x2="{x + 4:.1f}" y2="{y:.1f}" stroke="{colour}" '
            f'stroke-width="0.8"{_dashes(dash)}/>'
        )
    if kind == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.4" fill="{colour}"/>'
    if kind == "square":
        return f'<rect x="{x - 2.2:.1f}" y="{y - 2.2:.1f}" width="4.4" height="4.4" fill="white" stroke="{colour}" stroke-width="1"/>'
    if kind == "triangle":
        return f'<path d="M{x:.1f} {y - 2.8:.1f} L{x + 2.6:.1f} {y + 2:.1f} L{x - 2.6:.1f} {y + 2:.1f} Z" fill="{colour}"/>'
    return f'<path d="M{x:.1f} {y - 2.8:.1f} L{x + 2.8:.1f} {y:.1f} L{x:.1f} {y + 2.8:.1f} L{x - 2.8:.1f} {y:.1f} Z" fill="white" stroke="{colour}"/>'


# Reference lines: thinner and lighter than any series, with a dash none of them uses, and no
# markers; labelled at the right with the series.
REFERENCE_STYLES = (("#595959", 0.8, ""), ("#767676", 0.8, "2 2"))


def describe(
    title: str, series: list[Series], unit: str, references: list[Reference] | None = None
) -> str:
    """The chart in words: its text alternative."""
    parts = []
    for s in series:
        values = [f"{q} {_fmt(v, unit)}" for q, v in s.points if v is not None]
        parts.append(f"{s.label}: {', '.join(values) if values else 'no figures'}")
    text = f"{title}. " + "; ".join(parts) + "."
    if references:
        lines = "; ".join(
            f"{r.label.rsplit(' ', 1)[0]}, {r.period}, {_fmt(r.value, unit)}" for r in references
        )
        text += f" Reference lines: {lines}."
    return text


def trend_svg(
    title: str, series: list[Series], unit: str, references: list[Reference] | None = None
) -> str:
    """An SVG line chart of up to four series over the same quarters, with published figures
    (up to two) as reference lines across it."""
    references = references or []
    quarters = [q for q, _ in series[0].points] if series else []
    values = [v for s in series for _, v in s.points if v is not None]
    alt = describe(title, series, unit, references)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {WIDTH:.0f} {HEIGHT:.0f}" '
        f'width="{WIDTH:.0f}" height="{HEIGHT:.0f}" class="trend"><title>{escape(alt)}</title>'
    )
    if len(quarters) < 2 or not values:
        note = "Not enough quarters for a trend yet."
        return f'{head}<text x="{LEFT}" y="{HEIGHT / 2:.0f}" font-size="9">{note}</text></svg>'
    low, high = (
        min(values + [r.value for r in references]),
        max(values + [r.value for r in references]),
    )
    if unit in ("percent", "count", "rate_per_10000", "days"):
        low = min(low, 0.0) if unit != "percent" or low < 20 else low
    if high == low:
        high = low + 1
    pad = (high - low) * 0.08
    low, high = low - (pad if low != 0 else 0), high + pad
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return LEFT + plot_w * i / (len(quarters) - 1)

    def y(v: float) -> float:
        return TOP + plot_h * (1 - (v - low) / (high - low))

    body = [
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" stroke="#000" stroke-width="0.6"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#000" stroke-width="0.6"/>',
        f'<text x="{LEFT - 3}" y="{TOP + 3}" font-size="7" text-anchor="end">{escape(_fmt(high, unit))}</text>',
        f'<text x="{LEFT - 3}" y="{TOP + plot_h}" font-size="7" text-anchor="end">{escape(_fmt(low, unit))}</text>',
    ]
    for i, quarter in enumerate(quarters):
        if i in (0, len(quarters) - 1) or len(quarters) <= 8:
            body.append(
                f'<text x="{x(i):.1f}" y="{HEIGHT - 5}" font-size="6.5" text-anchor="middle">{escape(quarter[2:])}</text>'
            )
    labels: list[tuple[float, str, tuple[str, str]]] = []
    for ref, (colour, width, dash) in zip(references, REFERENCE_STYLES, strict=False):
        ry = y(ref.value)
        body.append(
            f'<line x1="{LEFT}" y1="{ry:.1f}" x2="{LEFT + plot_w}" y2="{ry:.1f}" stroke="{colour}" '
            f'stroke-width="{width}"{_dashes(dash)}/>'
        )
        labels.append((ry, ref.label, (f"line:{dash}", colour)))
    for s, (colour, width, dash, marker) in zip(series, STYLES, strict=False):
        points = [(x(i), y(v)) for i, (_, v) in enumerate(s.points) if v is not None]
        segments: list[list[tuple[float, float]]] = [[]]
        for i, (_, v) in enumerate(s.points):
            if v is None:
                segments.append([])
            else:
                segments[-1].append((x(i), y(v)))
        for segment in segments:
            if len(segment) > 1:
                path = " ".join(
                    f"{'M' if n == 0 else 'L'}{px:.1f} {py:.1f}"
                    for n, (px, py) in enumerate(segment)
                )
                dashes = f' stroke-dasharray="{dash}"' if dash else ""
                body.append(
                    f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="{width}"{dashes}/>'
                )
        body += [_marker(marker, px, py, colour) for px, py in points]
        if points:
            labels.append((points[-1][1], s.label, (marker, colour)))
    for ly, label, (marker, colour) in _spread(labels, TOP + 2, TOP + plot_h):
        body.append(_marker(marker, LEFT + plot_w + 8, ly, colour))
        body.append(
            f'<text x="{LEFT + plot_w + 13}" y="{ly + 2.5:.1f}" font-size="7" fill="#000">{escape(label)}</text>'
        )
    return head + "".join(body) + "</svg>"


Label = tuple[float, str, tuple[str, str]]


def _spread(labels: list[Label], low: float, high: float) -> list[Label]:
    """End labels in the order of their lines, at least LABEL_GAP apart, inside [low, high]."""
    placed: list[Label] = []
    for y, label, style in sorted(labels, key=lambda item: item[0]):  # push down past the one above
        placed.append((max(y, placed[-1][0] + LABEL_GAP) if placed else max(y, low), label, style))
    for i in range(len(placed) - 1, -1, -1):  # then pull up from the bottom edge
        limit = high if i == len(placed) - 1 else placed[i + 1][0] - LABEL_GAP
        if placed[i][0] > limit:
            placed[i] = (limit, placed[i][1], placed[i][2])
    return placed
