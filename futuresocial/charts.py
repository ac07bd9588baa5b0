"""Charts drawn on the server as SVG: no JavaScript, nothing fetched, and nothing a strict Content-Security-Policy
refuses (presentation attributes and CSS classes only, no `style=` and no script).

Written by hand rather than with a charting package: the packages that draw SVG on the server (matplotlib, pygal)
write inline `style` attributes that a CSP without 'unsafe-inline' blocks, and a JavaScript library would need a
build step. Every chart sits beside its data table (`includes/_table.html`), which is the accessible version.

Usage:
    line_chart(
        [Series("Solihull", [(date(2020, 9, 30), 12.5), (date(2021, 9, 30), None), ...]),
         Series("Cap", points, kind="step")],
        y_label="%", title="Agency rate")
    bar_chart(["Kestrel", "Meridian"], [Series("Excess £", [(None, 120), (None, 80)])], y_label="£")
A point's y of None is a gap (a suppressed or missing value), never drawn as zero. x may be a date, a number or a
label (for line charts: dates or numbers).
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from math import floor, log10

from django.utils.html import escape
from django.utils.safestring import mark_safe

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 32, 20, 48  # RIGHT leaves room for half of the last x label
MIN_TICK_GAP = 72  # pixels between x labels ("Sep 2024" is about 50)
PALETTE = 8  # series colours are the CSS classes .s0 … .s7 in static/css/app.css


@dataclass
class Series:
    label: str
    points: list  # [(x, y or None)]
    kind: str = "line"  # "line", "step" (a cap that holds until the next point), "dashed", "band" (see `lower`)
    lower: list = field(default_factory=list)  # for "band": [(x, y_low)] beside points' y_high


def _num(value):
    if value is None:
        return None
    if isinstance(value, date):
        return value.toordinal()
    return float(value)


def _nice_ticks(low, high, count=5):
    """Round tick values covering [low, high]."""
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    magnitude = 10 ** floor(log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = floor(low / step) * step
    ticks = []
    value = start
    while value <= high + step * 0.001:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 10))
    return ticks


def _fmt(value):
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:,}"


def _x_label(x):
    if isinstance(x, date):
        return x.strftime("%b %Y")
    if isinstance(x, (int, float, Decimal)):
        return _fmt(float(x))
    return str(x)


def _svg(body, *, title, desc, extra_height=0):
    return mark_safe(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT + extra_height}" role="img"'
        f' xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title><desc>{escape(desc)}</desc>'
        f"{body}</svg>"
    )


def _axes(ticks, y_to, y_label):
    parts = []
    for tick in ticks:
        y = y_to(tick)
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(tick)}</text>')
    parts.append(
        f'<text class="axis-label" x="14" y="{TOP + (HEIGHT - TOP - BOTTOM) / 2:.0f}" text-anchor="middle"'
        f' transform="rotate(-90 14 {TOP + (HEIGHT - TOP - BOTTOM) / 2:.0f})">{escape(y_label)}</text>'
    )
    return parts


LEGEND_ROW = 16


def _legend(series) -> tuple[list[str], int]:
    """The series' swatches and labels under the plot, in as many rows as they need (a label never runs off the
    chart); returns the parts and the height the rows after the first add."""
    parts = []
    x, row = LEFT, 0
    for index, one in enumerate(series):
        width = 24 + 7 * len(one.label)
        if x > LEFT and x + width > WIDTH:
            x, row = LEFT, row + 1
        y = HEIGHT + row * LEGEND_ROW
        colour = f"s{index % PALETTE}"
        parts.append(f'<rect class="{colour} swatch" x="{x}" y="{y - 16}" width="10" height="10"/>')
        label = escape(one.label)
        parts.append(f'<text class="legend" x="{x + 14}" y="{y - 7}">{label}</text>')
        x += width
    return parts, row * LEGEND_ROW


def line_chart(series, *, y_label="", title="", y_from_zero=True):
    """Lines over dates or numbers; None leaves a gap. Returns safe SVG markup, or an empty string with no data."""
    xs = [_num(x) for one in series for x, y in one.points if y is not None]
    ys = [float(y) for one in series for _, y in one.points if y is not None]
    ys += [float(y) for one in series for _, y in one.lower if y is not None]
    if not xs:
        return ""
    x_min, x_max = min(xs), max(xs)
    if x_max == x_min:
        x_min, x_max = x_min - 1, x_max + 1
    ticks = _nice_ticks(0 if y_from_zero else min(ys), max(ys))
    y_low, y_high = ticks[0], ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x_to(x):
        return LEFT + (_num(x) - x_min) / (x_max - x_min) * plot_w

    def y_to(y):
        return TOP + plot_h - (float(y) - y_low) / (y_high - y_low) * plot_h

    parts = _axes(ticks, y_to, y_label)
    # x ticks at data points, at least MIN_TICK_GAP pixels apart (series at different intervals, e.g. yearly
    # official figures beside quarterly returns, would otherwise overprint each other's labels); the first always.
    distinct = sorted({x for one in series for x, y in one.points if y is not None}, key=_num)
    shown = []
    for x in distinct:
        if not shown or x_to(x) - x_to(shown[-1]) >= MIN_TICK_GAP:
            shown.append(x)
    if distinct[-1] not in shown and x_to(distinct[-1]) - x_to(shown[-1]) >= MIN_TICK_GAP * 0.75:
        shown.append(distinct[-1])
    for x in shown:
        px = x_to(x)
        label = _x_label(x)
        parts.append(f'<text class="tick" x="{px:.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">{label}</text>')
    for index, one in enumerate(series):
        colour = f"s{index % PALETTE}"
        points = sorted(one.points, key=lambda p: _num(p[0]))
        if one.kind == "band":
            # One polygon per run of months where both edges are known: a gap is never bridged.
            lower = {_num(x): y for x, y in one.lower}
            runs, run = [], []
            for x, y in points:
                if y is None or lower.get(_num(x)) is None:
                    if run:
                        runs.append(run)
                    run = []
                else:
                    run.append((x, y))
            runs += [run] if run else []
            for run in runs:
                top = " ".join(f"{x_to(x):.1f},{y_to(y):.1f}" for x, y in run)
                bottom = " ".join(f"{x_to(x):.1f},{y_to(lower[_num(x)]):.1f}" for x, y in reversed(run))
                parts.append(f'<polygon class="{colour} band" points="{top} {bottom}"/>')
            continue
        # Split at gaps so a missing value is never bridged
        runs, run = [], []
        for x, y in points:
            if y is None:
                if run:
                    runs.append(run)
                run = []
            else:
                run.append((x, y))
        if run:
            runs.append(run)
        for run in runs:
            coords = []
            for position, (x, y) in enumerate(run):
                if one.kind == "step" and position:
                    coords.append(f"{x_to(x):.1f},{y_to(run[position - 1][1]):.1f}")
                coords.append(f"{x_to(x):.1f},{y_to(y):.1f}")
            if one.kind == "step":
                coords.append(f"{LEFT + plot_w:.1f},{y_to(run[-1][1]):.1f}")
            css = f"{colour} line{' dashed' if one.kind in ('dashed', 'step') else ''}"
            parts.append(f'<polyline class="{css}" points="{" ".join(coords)}"/>')
            if one.kind != "step":
                for x, y in run:
                    parts.append(
                        f'<circle class="{colour} dot" cx="{x_to(x):.1f}" cy="{y_to(y):.1f}" r="3">'
                        f"<title>{escape(one.label)}: {_x_label(x)} {_fmt(float(y))}</title></circle>"
                    )
    legend, extra_height = _legend(series)
    parts += legend
    return _svg(
        "".join(parts),
        title=title,
        desc=f"{title}: {', '.join(s.label for s in series)}",
        extra_height=extra_height,
    )


def bar_chart(categories, series, *, y_label="", title=""):
    """Grouped bars, one group per category; series' points are [(category or None, value)] in category order."""
    values = [float(y) for one in series for _, y in one.points if y is not None]
    if not categories or not values:
        return ""
    ticks = _nice_ticks(min(0, min(values)), max(values))
    y_low, y_high = ticks[0], ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y_to(y):
        return TOP + plot_h - (float(y) - y_low) / (y_high - y_low) * plot_h

    parts = _axes(ticks, y_to, y_label)
    group_w = plot_w / len(categories)
    bar_w = max(2.0, group_w * 0.8 / max(1, len(series)))
    for c_index, category in enumerate(categories):
        gx = LEFT + c_index * group_w + group_w * 0.1
        for s_index, one in enumerate(series):
            y = one.points[c_index][1] if c_index < len(one.points) else None
            if y is None:
                continue
            top, base = y_to(max(0.0, float(y))), y_to(min(0.0, float(y)))
            parts.append(
                f'<rect class="s{s_index % PALETTE} bar" x="{gx + s_index * bar_w:.1f}" y="{top:.1f}"'
                f' width="{bar_w - 1:.1f}" height="{max(0.5, base - top):.1f}">'
                f"<title>{escape(category)} — {escape(one.label)}: {_fmt(float(y))}</title></rect>"
            )
        if len(categories) <= 16:
            # As many characters as fit the group's width (twice that when labels alternate between two lines)
            room = group_w * (2 if len(categories) > 8 else 1)
            text = str(category)
            label = escape(text if len(text) * 6.5 <= room else text[: max(3, int(room / 6.5) - 1)] + "…")
            # More than 8 labels would overprint each other on one line: every other one goes on a second line.
            y = TOP + plot_h + (28 if len(categories) > 8 and c_index % 2 else 16)
            parts.append(f'<text class="tick" x="{gx + group_w * 0.4:.1f}" y="{y}" text-anchor="middle">{label}</text>')
    legend, extra_height = _legend(series)
    parts += legend
    return _svg("".join(parts), title=title, desc=f"{title}: {len(categories)} categories", extra_height=extra_height)
