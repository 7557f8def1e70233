"""The report's inline SVG charts: well-formed, proportional, carrying exact values, and safe without data."""

from __future__ import annotations

import itertools
import math
import re
import xml.etree.ElementTree as ET

import pytest

from reports.charts import bar_line_chart, format_value, histogram, light_svg, traffic_light

SVG = "{http://www.w3.org/2000/svg}"
QUARTERS = ["08:00", "08:15", "08:30", "08:45", "09:00"]


def parse(svg: str) -> ET.Element:
    """Parse SVG text; fails the test if it is not well-formed XML."""
    return ET.fromstring(svg)


def with_class(root: ET.Element, name: str) -> list[ET.Element]:
    """Every element whose class list contains `name`, in document order."""
    return [el for el in root.iter() if name in el.get("class", "").split()]


def bars_of(root: ET.Element) -> list[ET.Element]:
    return [el for el in with_class(root, "bar") if el.get("data-value") is not None]


def test_chart_root_carries_title_role_and_kind() -> None:
    """The root is an SVG image titled by <title> and aria-label, naming its kind in class and data-chart."""
    root = parse(bar_line_chart(QUARTERS, [1, 2, 3, 4, 5], title="Aankomsten", bar_label="Bellers"))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-label") == "Aankomsten"
    assert root.get("viewBox") == "0 0 720 240"
    assert root.get("class") == "chart chart-bar-line"
    assert root.get("data-chart") == "bar-line"
    assert root.find(f"{SVG}title").text == "Aankomsten"


def test_one_bar_per_category_with_exact_values_and_hover_title() -> None:
    """Each category gets one bar whose data attributes and hover title give its label and exact value."""
    values = [3, 0, 7, 12, 1]
    root = parse(bar_line_chart(QUARTERS, values, title="t", bar_label="Bellers"))
    bars = bars_of(root)
    assert len(bars) == len(QUARTERS)
    assert [b.get("data-label") for b in bars] == QUARTERS
    assert [b.get("data-value") for b in bars] == [str(v) for v in values]
    assert [b.find(f"{SVG}title").text for b in bars] == [
        f"{c}: {v}" for c, v in zip(QUARTERS, values, strict=True)
    ]


def test_bar_heights_are_proportional_to_values() -> None:
    """A bar of 10 is twice as tall as a bar of 5, a bar of 0 has no height, and all stand on one baseline."""
    root = parse(bar_line_chart(["a", "b", "c"], [5, 10, 0], title="t", bar_label="b"))
    heights = [float(b.get("height")) for b in bars_of(root)]
    bottoms = {round(float(b.get("y")) + float(b.get("height")), 1) for b in bars_of(root)}
    assert heights[1] == pytest.approx(2 * heights[0], abs=0.02)
    assert heights[2] == 0
    assert len(bottoms) == 1


def test_histogram_heights_are_proportional_and_every_bucket_is_labelled() -> None:
    """Histogram bars scale with their counts and every bucket label is drawn as text."""
    buckets = ["< -5", "-5..0", "0..5", "5..10"]
    root = parse(histogram(buckets, [5, 10, 20, 0], title="Stiptheid"))
    heights = [float(b.get("height")) for b in bars_of(root)]
    assert heights[1] == pytest.approx(2 * heights[0], abs=0.02)
    assert heights[2] == pytest.approx(4 * heights[0], abs=0.02)
    assert [t.text for t in with_class(root, "tick-x")] == buckets
    assert root.get("data-chart") == "histogram"


def test_line_carries_its_values_and_the_scale_covers_the_line() -> None:
    """The line lists its values in data-values, and a line above every bar still fits inside the plot."""
    root = parse(
        bar_line_chart(
            ["a", "b", "c"], [1, 2, 1], [4, 2.5, 30], title="t", bar_label="Bellers", line_label="Bezetting"
        )
    )
    (line,) = [el for el in with_class(root, "line") if el.get("data-values") is not None]
    assert line.get("data-values") == "4 2.5 30"
    assert line.get("data-label") == "Bezetting"
    ys = [float(p.get("cy")) for p in with_class(root, "point")]
    assert [p.get("data-value") for p in with_class(root, "point")] == ["4", "2.5", "30"]
    assert min(ys) >= 26  # the plot's top margin: the tallest value is not clipped off the top
    assert max(int(t.text) for t in with_class(root, "tick-y")) >= 30


def test_none_breaks_the_line() -> None:
    """A None in the line lifts the pen: the path starts a new subpath and that slot gets no point."""
    root = parse(
        bar_line_chart(["a", "b", "c", "d"], [1, 1, 1, 1], [2, None, 3, 3], title="t", bar_label="b")
    )
    (line,) = [el for el in with_class(root, "line") if el.get("data-values") is not None]
    assert line.get("data-values") == "2 - 3 3"
    assert line.get("d").count("M") == 2
    assert [p.get("data-label") for p in with_class(root, "point")] == ["a", "c", "d"]


def test_only_every_nth_category_is_labelled() -> None:
    """With label_every=2 the x axis labels categories 0, 2 and 4 only, while every category keeps a bar."""
    root = parse(bar_line_chart(QUARTERS, [1] * 5, title="t", bar_label="b", label_every=2))
    assert [t.text for t in with_class(root, "tick-x")] == ["08:00", "08:30", "09:00"]
    assert len(bars_of(root)) == 5


def test_y_ticks_use_round_steps() -> None:
    """The y axis is labelled in steps of 1, 2 or 5 times a power of ten, from 0 to the maximum or above."""
    for maximum, expected in [(7, 2), (37, 10), (3, 1), (180, 50), (0.8, 0.2)]:
        root = parse(bar_line_chart(["a", "b"], [maximum, 0], title="t", bar_label="b"))
        ticks = [float(t.text) for t in with_class(root, "tick-y")]
        steps = {round(b - a, 6) for a, b in itertools.pairwise(ticks)}
        assert ticks[0] == 0 and ticks[-1] >= maximum
        assert steps == {expected}, (maximum, ticks)


def test_highlight_lands_on_the_given_indices() -> None:
    """Only the highlighted buckets get the bar-highlight class; all remain bars."""
    root = parse(histogram(["a", "b", "c", "d", "e"], [1, 2, 3, 4, 5], title="t", highlight=(2, 3)))
    bars = bars_of(root)
    assert [i for i, b in enumerate(bars) if "bar-highlight" in b.get("class").split()] == [2, 3]
    assert all("bar" in b.get("class").split() for b in bars)


def test_text_is_escaped() -> None:
    """Markup in labels and titles stays text: the SVG parses and the label reads back unchanged."""
    nasty = "<b>&\"x'"
    svg = bar_line_chart([nasty, "b"], [1, 2], [1, None], title=nasty, bar_label=nasty, line_label=nasty)
    root = parse(svg)
    assert root.get("aria-label") == nasty
    assert root.find(f"{SVG}title").text == nasty
    assert bars_of(root)[0].get("data-label") == nasty
    assert nasty in [t.text for t in root.iter(f"{SVG}text")]
    assert "<b>" not in svg
    assert parse(histogram([nasty], [1], title=nasty)).get("aria-label") == nasty


@pytest.mark.parametrize(
    "svg",
    [
        bar_line_chart([], [], title="t", bar_label="b"),
        bar_line_chart([], [], [], title="t", bar_label="b", line_label="l"),
        bar_line_chart(QUARTERS, [0] * 5, title="t", bar_label="b"),
        bar_line_chart(["a", "b"], [0, 0], [None, None], title="t", bar_label="b", line_label="l"),
        histogram([], [], title="t"),
        histogram(["a", "b"], [0, 0], title="t", highlight=[1]),
    ],
)
def test_no_data_draws_an_empty_chart(svg: str) -> None:
    """No categories or only zeros give a chart saying "Geen gegevens", with flat bars and no NaN anywhere."""
    root = parse(svg)
    assert [t.text for t in with_class(root, "empty")] == ["Geen gegevens"]
    assert all(float(b.get("height")) == 0 for b in bars_of(root))
    assert not re.search(r"\b(nan|inf)\b", svg, re.IGNORECASE)


def test_empty_text_is_the_callers() -> None:
    """The empty chart says the text the caller gave."""
    root = parse(histogram([], [], title="t", empty_text="Nog geen terugbelverzoeken"))
    assert [t.text for t in with_class(root, "empty")] == ["Nog geen terugbelverzoeken"]


def test_data_shows_no_empty_text() -> None:
    """A chart with data does not say it has none."""
    assert not with_class(parse(histogram(["a"], [1], title="t")), "empty")
    assert not with_class(parse(bar_line_chart(["a"], [0], [2], title="t", bar_label="b")), "empty")


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: bar_line_chart(["a", "b"], [1], title="t", bar_label="b"), "bars"),
        (lambda: bar_line_chart(["a"], [1], [1, 2], title="t", bar_label="b"), "line"),
        (lambda: bar_line_chart(["a"], [-1], title="t", bar_label="b"), "bars"),
        (lambda: bar_line_chart(["a"], [math.nan], title="t", bar_label="b"), "bars"),
        (lambda: bar_line_chart(["a"], [1], [math.inf], title="t", bar_label="b"), "line"),
        (lambda: bar_line_chart(["a"], [1], title="t", bar_label="b", label_every=0), "label_every"),
        (lambda: histogram(["a", "b"], [1], title="t"), "counts"),
        (lambda: histogram(["a"], [-2], title="t"), "counts"),
        (lambda: histogram(["a"], [math.inf], title="t"), "counts"),
        (lambda: histogram(["a"], [1], title="t", highlight=[1]), "highlight"),
    ],
)
def test_bad_input_raises_naming_the_argument(call, argument: str) -> None:
    """Mismatched lengths, negative or non-finite values and bad options raise a ValueError naming them."""
    with pytest.raises(ValueError, match=argument):
        call()


@pytest.mark.parametrize(
    ("value", "expected"),
    [(3, "3"), (2.0, "2"), (2.54, "2.5"), (2.56, "2.6"), (0.04, "0"), (-0.04, "0"), (97.25, "97.2")],
)
def test_format_value_is_short(value: float, expected: str) -> None:
    """Integers print as integers and other numbers rounded to one decimal, without a trailing ".0"."""
    assert format_value(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (95, "groen"),
        (90, "groen"),
        (89.9, "oranje"),
        (85, "oranje"),
        (84.9, "rood"),
        (0, "rood"),
        (None, "grijs"),
    ],
)
def test_traffic_light_higher_is_better(value: float | None, expected: str) -> None:
    """Against a 90% norm: at or above is green, to 5 points below orange, lower red, None grey."""
    assert traffic_light(value, 90) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "groen"),
        (2, "groen"),
        (2.1, "oranje"),
        (7, "oranje"),
        (7.1, "rood"),
        (100, "rood"),
        (None, "grijs"),
    ],
)
def test_traffic_light_lower_is_better(value: float | None, expected: str) -> None:
    """Against "at most 2%": at or below is green, to 5 points above orange, higher red, None grey."""
    assert traffic_light(value, 2, higher_is_better=False) == expected


def test_traffic_light_margin_is_configurable() -> None:
    """A margin of 0 leaves no orange band."""
    assert traffic_light(89.9, 90, margin=0) == "rood"
    assert traffic_light(2.1, 2, higher_is_better=False, margin=0) == "rood"


@pytest.mark.parametrize("light", ["groen", "oranje", "rood", "grijs"])
def test_light_svg_names_its_colour_and_label(light: str) -> None:
    """The light is an SVG image naming its colour in class and data-light, and its label for readers."""
    root = parse(light_svg(light, label="Spoed <30 s & op tijd"))
    assert root.get("class") == f"light light-{light}"
    assert root.get("data-light") == light
    assert root.get("role") == "img"
    assert root.get("aria-label") == "Spoed <30 s & op tijd"
    assert root.find(f"{SVG}title").text == "Spoed <30 s & op tijd"
    assert root.find(f"{SVG}circle") is not None


def test_light_svg_rejects_an_unknown_colour() -> None:
    """Only the four lights exist."""
    with pytest.raises(ValueError, match="light"):
        light_svg("blauw", label="x")  # type: ignore[arg-type]
