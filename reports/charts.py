"""Small inline SVG charts for the offline report page: bars with a capacity line, histograms, traffic lights.

Each function returns SVG text with no JavaScript, fonts or fetched files, so the page looks the same without
a network. Every data element carries its exact value in `data-value`/`data-label` (and a hover `<title>`),
so a browser test can compare the drawing with the report's figures. Labels come from the caller (Dutch);
this module adds only numbers.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from html import escape
from typing import Literal

Light = Literal["groen", "oranje", "rood", "grijs"]
LIGHTS: tuple[Light, ...] = ("groen", "oranje", "rood", "grijs")

# Fallback colours so an SVG looks right on its own; the page's stylesheet restyles the classes.
_BAR = "#4a78b5"
_HIGHLIGHT = "#2e8b57"
_LINE = "#d9822b"
_AXIS = "#555555"
_GRID = "#dddddd"
_TEXT = "#333333"
_LIGHT_FILL: dict[str, str] = {"groen": "#2e9e44", "oranje": "#f08c00", "rood": "#d6322d", "grijs": "#9e9e9e"}

# Plot margins: room for y tick labels on the left, the legend on top and x labels below.
_LEFT, _RIGHT, _TOP, _BOTTOM = 44, 12, 26, 24
_STEPS = 4  # aim for about this many steps on the y axis


def format_value(value: float) -> str:
    """Short form: integers as integers, other numbers rounded to one decimal ("2.5", "3", never "3.0")."""
    if isinstance(value, int):
        return str(value)
    rounded = round(float(value), 1)
    if rounded.is_integer():  # also turns -0.0 into "0"
        return str(int(rounded))
    return f"{rounded:.1f}"


def bar_line_chart(
    categories: Sequence[str],
    bars: Sequence[float],
    line: Sequence[float | None] | None = None,
    *,
    title: str,
    bar_label: str,
    line_label: str = "",
    width: int = 720,
    height: int = 240,
    label_every: int = 4,
    empty_text: str = "Geen gegevens",
) -> str:
    """Bars per category with an optional step line over them (None leaves a gap); one y scale for both."""
    _check_length("bars", bars, "categories", categories)
    _check_values("bars", bars)
    if line is not None:
        _check_length("line", line, "categories", categories)
        _check_values("line", line, allow_none=True)
    if label_every < 1:
        raise ValueError(f"label_every must be at least 1, got {label_every}")
    line_values = [v for v in line or () if v is not None]
    plot = _Plot(width, height, len(categories), max([*bars, *line_values], default=0), bars, line_values)
    body = plot.axes()
    body += plot.bars(categories, bars, highlight=())
    if line is not None:
        body += plot.line(categories, line, line_label)
    body += plot.x_labels(categories, label_every)
    body.append(_legend(bar_label, line_label if line is not None else ""))
    if plot.empty:
        body.append(plot.empty_text(empty_text))
    return _frame("bar-line", title, width, height, body)


def histogram(
    buckets: Sequence[str],
    counts: Sequence[int],
    *,
    title: str,
    highlight: Collection[int] = (),
    width: int = 480,
    height: int = 220,
    empty_text: str = "Geen gegevens",
) -> str:
    """Bars per bucket, every bucket labelled; the buckets at the `highlight` indices stand out."""
    _check_length("counts", counts, "buckets", buckets)
    _check_values("counts", counts)
    for index in highlight:
        if not 0 <= index < len(buckets):
            raise ValueError(f"highlight index {index} is not a bucket (0..{len(buckets) - 1})")
    plot = _Plot(width, height, len(buckets), max(counts, default=0), counts, ())
    body = plot.axes()
    body += plot.bars(buckets, counts, highlight=set(highlight))
    body += plot.x_labels(buckets, 1)
    if plot.empty:
        body.append(plot.empty_text(empty_text))
    return _frame("histogram", title, width, height, body)


def traffic_light(
    value: float | None, norm: float, *, higher_is_better: bool = True, margin: float = 5.0
) -> Light:
    """Green when the percentage meets the norm, orange within `margin` points, red beyond; grey: no data."""
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin}")
    if value is None or not math.isfinite(value):
        return "grijs"
    if higher_is_better:
        if value >= norm:
            return "groen"
        return "oranje" if value >= norm - margin else "rood"
    if value <= norm:
        return "groen"
    return "oranje" if value <= norm + margin else "rood"


def light_svg(light: Light, *, label: str, size: int = 18) -> str:
    """A small coloured circle for a traffic light, named by `label` for screen readers and on hover."""
    if light not in LIGHTS:
        raise ValueError(f"light must be one of {', '.join(LIGHTS)}, got {light!r}")
    half = size / 2
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {size} {size}" width="{size}" '
        f'height="{size}" class="light light-{light}" data-light="{light}" aria-label={_attr(label)}>'
        f"<title>{_text(label)}</title>"
        f'<circle class="light-dot" cx="{_num(half)}" cy="{_num(half)}" r="{_num(half - 1)}" '
        f'fill="{_LIGHT_FILL[light]}" stroke="{_AXIS}" stroke-width="1"/></svg>'
    )


class _Plot:
    """The plot area and y scale of one chart: maps values to coordinates and draws the shared parts."""

    def __init__(self, width: int, height: int, slots: int, maximum: float, *series: Sequence[float]) -> None:
        self.left, self.right = _LEFT, width - _RIGHT
        self.top, self.bottom = _TOP, height - _BOTTOM
        if self.right <= self.left or self.bottom <= self.top:
            raise ValueError(f"width x height {width} x {height} leaves no room to plot")
        self.slot = (self.right - self.left) / max(slots, 1)
        # No categories or nothing above zero: a 0..1 scale keeps the arithmetic safe; only "0" is labelled.
        self.empty = slots == 0 or maximum <= 0
        if self.empty:
            self.scale_top, self.step = 1.0, 1.0
        else:
            integers = all(float(v).is_integer() for values in series for v in values)
            self.scale_top, self.step = _nice_scale(maximum, integers)

    def y(self, value: float) -> float:
        return self.bottom - value / self.scale_top * (self.bottom - self.top)

    def axes(self) -> list[str]:
        steps = 0 if self.empty else round(self.scale_top / self.step)
        decimals = 0 if self.step >= 1 else -math.floor(math.log10(self.step))
        parts = ['<g class="axis">']
        for i in range(steps + 1):
            y = _num(self.y(i * self.step))
            if i:
                parts.append(
                    f'<line class="grid" x1="{self.left}" x2="{self.right}" y1="{y}" y2="{y}" '
                    f'stroke="{_GRID}"/>'
                )
            parts.append(
                f'<text class="tick tick-y" x="{self.left - 6}" y="{y}" text-anchor="end" '
                f'dominant-baseline="middle" fill="{_TEXT}">{i * self.step:.{decimals}f}</text>'
            )
        parts.append(
            f'<path class="axis-line" d="M{self.left},{self.top}V{self.bottom}H{self.right}" '
            f'fill="none" stroke="{_AXIS}"/></g>'
        )
        return parts

    def bars(self, labels: Sequence[str], values: Sequence[float], highlight: Collection[int]) -> list[str]:
        parts = []
        for index, (label, value) in enumerate(zip(labels, values, strict=True)):
            top, lit, shown = self.y(value), index in highlight, format_value(value)
            parts.append(
                f'<rect class="bar{" bar-highlight" if lit else ""}" '
                f'x="{_num(self.left + (index + 0.1) * self.slot)}" y="{_num(top)}" '
                f'width="{_num(self.slot * 0.8)}" height="{_num(self.bottom - top)}" '
                f'fill="{_HIGHLIGHT if lit else _BAR}" data-label={_attr(label)} data-value="{shown}">'
                f"<title>{_text(f'{label}: {shown}')}</title></rect>"
            )
        return parts

    def line(self, labels: Sequence[str], values: Sequence[float | None], name: str) -> list[str]:
        """A step line over the slots; a None lifts the pen, and each value gets a hoverable point."""
        path, points, pen_down = [], [], False
        for index, (label, value) in enumerate(zip(labels, values, strict=True)):
            if value is None:
                pen_down = False
                continue
            x0, y = _num(self.left + index * self.slot), _num(self.y(value))
            path.append(f"{'L' if pen_down else 'M'}{x0},{y}L{_num(self.left + (index + 1) * self.slot)},{y}")
            pen_down = True
            hover = f"{label}: {format_value(value)}" + (f" ({name})" if name else "")
            points.append(
                f'<circle class="point" cx="{_num(self.left + (index + 0.5) * self.slot)}" cy="{y}" r="2.5" '
                f'fill="{_LINE}" data-label={_attr(label)} data-value="{format_value(value)}">'
                f"<title>{_text(hover)}</title></circle>"
            )
        data = " ".join("-" if v is None else format_value(v) for v in values)
        return [
            f'<path class="line" d="{"".join(path)}" fill="none" stroke="{_LINE}" stroke-width="2" '
            f'data-label={_attr(name)} data-values="{data}"><title>{_text(name)}</title></path>',
            *points,
        ]

    def x_labels(self, labels: Sequence[str], every: int) -> list[str]:
        return [
            f'<text class="tick tick-x" x="{_num(self.left + (index + 0.5) * self.slot)}" '
            f'y="{self.bottom + 15}" text-anchor="middle" fill="{_TEXT}">{_text(label)}</text>'
            for index, label in enumerate(labels)
            if index % every == 0
        ]

    def empty_text(self, text: str) -> str:
        return (
            f'<text class="empty" x="{_num((self.left + self.right) / 2)}" '
            f'y="{_num((self.top + self.bottom) / 2)}" text-anchor="middle" dominant-baseline="middle" '
            f'fill="{_TEXT}">{_text(text)}</text>'
        )


def _nice_scale(maximum: float, integers: bool) -> tuple[float, float]:
    """A round step (1, 2 or 5 times a power of ten) and the axis top it reaches at or above `maximum`."""
    raw = maximum / _STEPS
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw * (1 - 1e-9))
    if integers:  # counts: a tick at 0.5 calls would mean nothing
        step = max(step, 1.0)
    return math.ceil(maximum / step - 1e-9) * step, step


def _legend(bar_label: str, line_label: str) -> str:
    parts = ['<g class="legend">']
    if bar_label:
        parts.append(f'<rect class="legend-bar" x="{_LEFT}" y="6" width="10" height="10" fill="{_BAR}"/>')
        parts.append(f'<text x="{_LEFT + 14}" y="15" fill="{_TEXT}">{_text(bar_label)}</text>')
    if line_label:
        x = _LEFT + (24 + 7 * len(bar_label) if bar_label else 0)  # a rough text width: no font metrics here
        parts.append(f'<path class="legend-line" d="M{x},11h14" stroke="{_LINE}" stroke-width="2"/>')
        parts.append(f'<text x="{x + 18}" y="15" fill="{_TEXT}">{_text(line_label)}</text>')
    parts.append("</g>")
    return "".join(parts)


def _frame(kind: str, title: str, width: int, height: int, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" class="chart chart-{kind}" data-chart="{kind}" aria-label={_attr(title)} '
        f'font-family="sans-serif" font-size="11"><title>{_text(title)}</title>{"".join(body)}</svg>'
    )


def _check_length(name: str, values: Sequence[object], against: str, reference: Sequence[object]) -> None:
    if len(values) != len(reference):
        raise ValueError(f"{name} has {len(values)} values but {against} has {len(reference)}")


def _check_values(name: str, values: Sequence[float | None], *, allow_none: bool = False) -> None:
    for index, value in enumerate(values):
        if value is None and allow_none:
            continue
        try:
            fine = value is not None and not isinstance(value, bool) and math.isfinite(value) and value >= 0
        except TypeError:
            fine = False
        if not fine:
            raise ValueError(f"{name}[{index}] must be a finite number >= 0, got {value!r}")


def _num(x: float) -> str:
    """A coordinate with at most two decimals, no trailing zeros."""
    return f"{x:.2f}".rstrip("0").rstrip(".")


def _attr(value: str) -> str:
    return f'"{escape(value, quote=True)}"'


def _text(value: str) -> str:
    return escape(value, quote=False)
