"""Full-width SVG trend charts, legible in greyscale: lines told apart by weight, dash and marker,
labelled at their ends with their latest value, on rounded axes with gridlines.

One scale rule: counts, rates and days from zero; percentages from zero, or from a rounded
value below the lowest point with the break marked on the axis, and never above 100%. Where
one series would flatten the others (a count's partnership and Tees totals beside its
authorities), the chart has two panels, each on its own scale. A partnership's XmR chart (its
mean and process limits, special-cause points ringed) is drawn on its panel when there are 12
quarters or more. The text alternative opens with a one-sentence summary of the trend.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from tees_dataset.render.views import format_value

# Drawn 182 mm wide (the page's text width): a unit is about 1 pt, so text of 9.5 units is
# never under 9 pt.
WIDTH, HEIGHT = 520.0, 72.0
TOP, BOTTOM, LEFT = 8.0, 18.0, 40.0
LABEL_WIDTH = 150.0
LABEL_GAP = 10.0
PANEL_GAP = 10.0
SPLIT_LABEL_WIDTH = 120.0
FONT = 9.5


@dataclass(frozen=True)
class Series:
    label: str
    points: list[tuple[str, float | None]]  # (quarter, value or None when not available)


@dataclass(frozen=True)
class Reference:
    """A published figure or a target drawn across the chart as a thin line."""

    label: str  # on the chart, e.g. "England 2024"
    value: float
    period: str  # in the text alternative, e.g. "year to 31 March 2024"


@dataclass(frozen=True)
class Limits:
    """A series' XmR chart: the mean, the process limits and which points are special cause."""

    series: str
    mean: float
    lower: float
    upper: float
    special: list[bool] = field(default_factory=list)  # one per point of the series
    summary: str = ""  # e.g. "common cause variation"


# (stroke, width, dash, marker): the first series (the partnership) is the boldest. Every grey
# keeps at least 5:1 contrast on white (WCAG 1.4.11 asks 3:1 for graphics).
STYLES = {
    "partnership": ("#000000", 2.2, "", "circle"),
    "tees": ("#404040", 1.4, "5 3", "square"),
    "first": ("#595959", 1.1, "1.5 2", "triangle"),
    "second": ("#666666", 1.1, "6 2 1.5 2", "diamond"),
}
REFERENCE_STYLES = (("#595959", 0.8, ""), ("#767676", 0.8, "2 2"), ("#000000", 0.9, "8 3"))
LIMIT_STYLE = ("#767676", 0.7, "3 2")


def fmt(value: float, unit: str) -> str:
    return format_value(value, unit, "ok")


def _tick_text(value: float, unit: str, step: float) -> str:
    places = 0 if step >= 1 else min(2, math.ceil(-math.log10(step)))
    text = f"{value:,.{places}f}"
    return text + "%" if unit == "percent" else text


def nice_step(span: float, ticks: int = 4) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) giving about `ticks` intervals."""
    raw = max(span, 1e-9) / ticks
    power = 10.0 ** math.floor(math.log10(raw))
    return float(next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw))


def scale(values: list[float], unit: str) -> tuple[float, float, float, bool]:
    """(low, high, step, broken): the axis for these values under the one scale rule."""
    low, high = min(values), max(values)
    broken = False
    if unit == "percent" and low > 40 and high - low < low / 2:
        step = nice_step(high - low)
        low = math.floor(low / step) * step - step
        broken = low > 0
    else:
        low = min(0.0, low)
    step = nice_step(max(high - low, 1e-9))
    high = math.ceil(high / step) * step if high > low else low + step
    if unit == "percent" and high > 100 >= max(values):
        high = 100.0
    if high <= low:
        high = low + step
    low = math.floor(low / step) * step
    return low, high, step, broken


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


Label = tuple[float, str, tuple[str, str]]


def _spread(labels: list[Label], low: float, high: float) -> list[Label]:
    """End labels in the order of their lines, at least LABEL_GAP apart, inside [low, high]."""
    placed: list[Label] = []
    for y, label, style in sorted(labels, key=lambda item: item[0]):
        placed.append((max(y, placed[-1][0] + LABEL_GAP) if placed else max(y, low), label, style))
    for i in range(len(placed) - 1, -1, -1):
        limit = high if i == len(placed) - 1 else placed[i + 1][0] - LABEL_GAP
        if placed[i][0] > limit:
            placed[i] = (limit, placed[i][1], placed[i][2])
    return placed


def _panel(
    x0: float,
    width: float,
    series: list[tuple[Series, str]],
    unit: str,
    references: list[Reference],
    limits: Limits | None,
    label_width: float = LABEL_WIDTH,
    height: float = HEIGHT,
) -> list[str]:
    """One panel: axes, gridlines, the series, reference lines and the XmR chart's lines."""
    quarters = [q for q, _ in series[0][0].points] if series else []
    values = [v for s, _ in series for _, v in s.points if v is not None]
    if not values:
        return [
            f'<text x="{x0 + LEFT}" y="{height / 2:.0f}" font-size="{FONT}">No figures to draw.</text>'
        ]
    values += [r.value for r in references]
    if limits is not None:
        values += [limits.mean, max(limits.lower, 0.0), limits.upper]
    plot_left, plot_w = x0 + LEFT, width - LEFT - label_width
    plot_h = height - TOP - BOTTOM
    low, high, step, broken = scale(values, unit)

    def x(i: int) -> float:
        return plot_left + plot_w * (i / (len(quarters) - 1) if len(quarters) > 1 else 0.5)

    def y(v: float) -> float:
        v = min(max(v, low), high)
        return TOP + plot_h * (1 - (v - low) / (high - low))

    out: list[str] = []
    tick = low
    while tick <= high + step / 1000:
        ty = y(tick)
        out.append(
            f'<line x1="{plot_left}" y1="{ty:.1f}" x2="{plot_left + plot_w}" y2="{ty:.1f}" '
            f'stroke="#d0d0d0" stroke-width="0.5"/>'
            f'<text x="{plot_left - 3}" y="{ty + 2.5:.1f}" font-size="{FONT}" text-anchor="end">'
            f"{escape(_tick_text(tick, unit, step))}</text>"
        )
        tick += step
    base = TOP + plot_h
    out.append(
        f'<line x1="{plot_left}" y1="{base}" x2="{plot_left + plot_w}" y2="{base}" stroke="#000" stroke-width="0.6"/>'
    )
    out.append(
        f'<line x1="{plot_left}" y1="{TOP}" x2="{plot_left}" y2="{base}" stroke="#000" stroke-width="0.6"/>'
    )
    if broken:  # the axis does not start at zero: a break mark says so
        out.append(
            f'<path d="M{plot_left - 4} {base - 6} L{plot_left + 4} {base - 9} M{plot_left - 4} '
            f'{base - 2} L{plot_left + 4} {base - 5}" stroke="#000" stroke-width="0.8"/>'
        )
    every = max(1, math.ceil(len(quarters) * 28 / plot_w))  # labels about 28 units wide
    last = len(quarters) - 1
    for i, quarter in enumerate(quarters):
        # Every `every`-th quarter, counted back from the latest, which is always labelled.
        if (last - i) % every == 0:
            out.append(
                f'<text x="{x(i):.1f}" y="{height - 5}" font-size="{FONT}" text-anchor="middle">{escape(quarter[2:])}</text>'
            )
    labels: list[Label] = []
    for ref, (colour, width_, dash) in zip(references, REFERENCE_STYLES, strict=False):
        ry = y(ref.value)
        out.append(
            f'<line x1="{plot_left}" y1="{ry:.1f}" x2="{plot_left + plot_w}" y2="{ry:.1f}" '
            f'stroke="{colour}" stroke-width="{width_}"{_dashes(dash)}/>'
        )
        labels.append((ry, ref.label, (f"line:{dash}", colour)))
    if limits is not None:
        colour, width_, dash = LIMIT_STYLE
        for value, name in ((limits.mean, "mean"), (limits.upper, "upper limit"),
                            (limits.lower, "lower limit")):  # fmt: skip
            if low <= value <= high:
                ly = y(value)
                line_dash = "" if name == "mean" else dash
                out.append(
                    f'<line x1="{plot_left}" y1="{ly:.1f}" x2="{plot_left + plot_w}" y2="{ly:.1f}" '
                    f'stroke="{colour}" stroke-width="{width_}"{_dashes(line_dash)}/>'
                )
    for s, style in series:
        colour, width_, dash, marker = STYLES[style]
        segments: list[list[tuple[float, float]]] = [[]]
        points = []
        for i, (_, v) in enumerate(s.points):
            if v is None:
                segments.append([])
            else:
                segments[-1].append((x(i), y(v)))
                points.append((i, x(i), y(v)))
        for segment in segments:
            if len(segment) > 1:
                path = " ".join(
                    f"{'M' if n == 0 else 'L'}{px:.1f} {py:.1f}"
                    for n, (px, py) in enumerate(segment)
                )
                out.append(
                    f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="{width_}"{_dashes(dash)}/>'
                )
        out += [_marker(marker, px, py, colour) for _, px, py in points]
        if limits is not None and limits.series == s.label:
            out += [
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4.6" fill="none" stroke="#000" stroke-width="0.9"/>'
                for i, px, py in points
                if i < len(limits.special) and limits.special[i]
            ]
        if points:
            latest = s.points[points[-1][0]][1]
            assert latest is not None
            labels.append((points[-1][2], f"{s.label} {fmt(latest, unit)}", (marker, colour)))
    for ly, label, (marker, colour) in _spread(labels, TOP + 2, base):
        out.append(_marker(marker, plot_left + plot_w + 8, ly, colour))
        out.append(
            f'<text x="{plot_left + plot_w + 14}" y="{ly + 2.8:.1f}" font-size="{FONT}">{escape(label)}</text>'
        )
    return out


def summary(series: list[Series], unit: str, limits: Limits | None = None) -> str:
    """One sentence on the trend of the first series (the partnership)."""
    if not series:
        return "No figures."
    first = series[0]
    known = [(q, v) for q, v in first.points if v is not None]
    if not known:
        return f"{first.label} has no figures for these quarters."
    if len(known) == 1:
        return f"{first.label} has one figure, {fmt(known[0][1], unit)} in {known[0][0]}."
    (q0, v0), (q1, v1) = known[0], known[-1]
    if round(v1, 1) == round(v0, 1):
        moved = f"was {fmt(v1, unit)} in both {q0} and {q1}"
    else:
        moved = f"{'rose' if v1 > v0 else 'fell'} from {fmt(v0, unit)} in {q0} to {fmt(v1, unit)} in {q1}"
    text = f"{first.label} {moved}"
    if limits is not None and limits.summary:
        text += f"; {limits.summary}"
    return text + "."


def describe(
    title: str,
    series: list[Series],
    unit: str,
    references: list[Reference] | None = None,
    limits: Limits | None = None,
) -> str:
    """The chart in words, its text alternative: a one-sentence summary, then the figures."""
    parts = []
    for s in series:
        values = [f"{q} {fmt(v, unit)}" for q, v in s.points if v is not None]
        parts.append(f"{s.label}: {', '.join(values) if values else 'no figures'}")
    text = f"{summary(series, unit, limits)} {title}. " + "; ".join(parts) + "."
    if limits is not None:
        text += (
            f" {limits.series}'s mean {fmt(limits.mean, unit)}, process limits "
            f"{fmt(limits.lower, unit)} and {fmt(limits.upper, unit)}."
        )
    if references:
        lines = "; ".join(
            f"{r.label.rsplit(' ', 1)[0]}, {r.period}, {fmt(r.value, unit)}" for r in references
        )
        text += f" Reference lines: {lines}."
    return text


def trend_svg(
    title: str,
    series: list[tuple[Series, str]],
    unit: str,
    references: list[Reference] | None = None,
    limits: Limits | None = None,
    split: bool = False,
) -> str:
    """An SVG chart of the series (each with its style: partnership, tees, first, second).
    With `split`, the authorities are drawn in a left panel and the partnership and Tees in a
    right one, each on its own scale; references and limits go with the partnership."""
    references = references or []
    plain = [s for s, _ in series]
    alt = describe(title, plain, unit, references, limits)
    left = [(s, st) for s, st in series if st in ("first", "second")] if split else []
    right = [(s, st) for s, st in series if (st not in ("first", "second") or not split)]
    # Tall enough for every end label of the busier panel to keep clear of the next.
    labels = max(len(left), len(right) + len(references))
    height = max(HEIGHT, TOP + BOTTOM + 4 + LABEL_GAP * labels)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {WIDTH:.0f} {height:.0f}" '
        f'width="{WIDTH:.0f}" height="{height:.0f}" class="trend"><title>{escape(alt)}</title>'
    )
    quarters = [q for q, _ in plain[0].points] if plain else []
    if len(quarters) < 2 or not any(v is not None for s in plain for _, v in s.points):
        note = "Not enough quarters for a trend yet."
        return f'{head}<text x="{LEFT}" y="{height / 2:.0f}" font-size="{FONT}">{note}</text></svg>'
    if split:
        half = (WIDTH - PANEL_GAP) / 2
        body = _panel(0, half, left, unit, [], None, SPLIT_LABEL_WIDTH, height) if left else []
        body += _panel(
            half + PANEL_GAP, half, right, unit, references, limits, SPLIT_LABEL_WIDTH, height
        )
    else:
        body = _panel(0, WIDTH, series, unit, references, limits, height=height)
    return head + "".join(body) + "</svg>"
