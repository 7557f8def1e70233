"""Phone numbers never reach a log line unmasked; times, dates, counts and ids stay readable."""

from __future__ import annotations

import datetime as dt
import re
import time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from common.phone import dutch_national
from common.privacy import mask_number, mask_text


def test_mask_number_keeps_only_the_last_two_digits() -> None:
    """A number is masked to its last two digits, keeping its punctuation."""
    assert mask_number("0612345678") == "********78"
    assert mask_number("+31 6 1234 5678") == "+** * **** **78"
    assert mask_number("") == ""


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Called 0881234567@provider", "Called ********67@provider"),
        ("0612345678", "********78"),
        ("+31 6 1234 5678", "+** * **** **78"),
        ("0031612345678", "***********78"),
        ("31612345678", "*********78"),
        ("020-1234567", "***-*****67"),
        ("(020) 1234567", "(***) *****67"),
        ("06/12345678", "**/******78"),
        ("06.12.34.56.78", "**.**.**.**.78"),
        ("+31 (0)6 1234 5678", "+** (*)* **** **78"),
        ("06 - 1234 5678", "** - **** **78"),
        ("tel0612345678", "tel********78"),
        ("0612345678abc", "********78abc"),
        ("bel tel:+31612345678;ext=2 nu", "bel tel:+*********78;ext=2 nu"),
        ("PJSIP/0612345678@provider", "PJSIP/********78@provider"),
        ("nummer=0612345678,", "nummer=********78,"),
    ],
)
def test_every_spelling_of_a_number_is_masked(text: str, masked: str) -> None:
    """Brackets, slashes, dots, "(0)", dashes with spaces and numbers glued to words are all masked."""
    assert mask_text(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-23T10:15:00+01:00",
        "2026-11-23 10:15:00+01:00",
        "2026-11-23T16:27:53.123456Z",
        "slot=2026-11-23T10:15:00+01:00 offered",
        "opens 2026-11-23 08:00",
        "23-11-2026",
        "23-11-2026 10:15",
        "23/11/2026",
        "at 10:15 and 10:30",
        "waited 12.5 s, 0:05:12 in total",
        "attempt 2 of 3, position 14, 400 callers",
        "request 123456 entry 98765",
        "channel 1732456789.123 left",
        "DELETE /channels/1732456789.123: HTTP 404: Channel not found",
        "recording inspreek/20261123T101500Z-a1b2c3d4e5f6",
        "call a1b2c3d4e5f6 leg a1b2c3d4e5f6-0a1b2c3d bridge a1b2c3d4e5f6-br-cb",
    ],
)
def test_times_dates_counts_and_ids_are_left_alone(text: str) -> None:
    """What a log needs to be read (timestamps, slot times, dates, durations, counts, ids) is not masked."""
    assert mask_text(text) == text


def test_a_number_right_after_a_channel_id_is_still_masked() -> None:
    """A channel id protects only itself, not a number written right after it."""
    assert mask_text("1732456789.020 123 4567") == "**********.*** *** **67"


# Valid Dutch numbers: mobile, fixed lines with 2- and 3-digit area codes, and 085/088 company numbers.
NATIONAL = (
    st.builds(
        str.__add__,
        st.sampled_from(["06", "010", "020", "030", "050", "0111", "0229", "0346", "085", "088"]),
        st.text(alphabet="0123456789", min_size=8, max_size=8),
    )
    .map(lambda digits: digits[:10])
    .filter(lambda digits: dutch_national(digits) == digits)
)


_TWO_DIGIT = {"010", "020", "030", "050", "085", "088"}


def _area_split(national: str) -> tuple[str, str]:
    """(area code with its 0, the rest) as the national format groups them."""
    area = "06" if national.startswith("06") else national[: 3 if national[:3] in _TWO_DIGIT else 4]
    return area, national[len(area) :]


SPELLINGS = [
    lambda n: n,
    lambda n: "({}) {}".format(*_area_split(n)),
    lambda n: "{}/{}".format(*_area_split(n)),
    lambda n: "{}-{}".format(*_area_split(n)),
    lambda n: "{} - {}".format(*_area_split(n)),
    lambda n: ".".join(n[i : i + 2] for i in range(0, 10, 2)),
    lambda n: " ".join(n[i : i + 2] for i in range(0, 10, 2)),
    lambda n: f"+31 (0){_area_split(n)[0][1:]} {_area_split(n)[1]}",
    lambda n: "+31" + n[1:],
    lambda n: f"+31 {_area_split(n)[0][1:]} {_area_split(n)[1]}",
    lambda n: "0031" + n[1:],
    lambda n: "31" + n[1:],
]


@given(NATIONAL, st.sampled_from(SPELLINGS), st.text(), st.text())
def test_any_spelling_in_any_text_shows_at_most_the_last_two_digits(
    national: str, spell: object, before: str, after: str
) -> None:
    """A valid Dutch number in any listed spelling, anywhere in any text, keeps at most two digits."""
    written = spell(national)  # type: ignore[operator]
    out = mask_text(before + written + after)
    assert len(out) == len(before + written + after)
    shown = out[len(before) : len(before) + len(written)]
    assert len(re.findall(r"\d", shown)) <= 2, (written, shown)


# What joins digits into one run for the masking: up to three spaces (not line breaks) or . / ( ) -.
JOIN = r"(?:[^\S\r\n]|[./()\-]){0,3}"
ZONES = [dt.UTC, ZoneInfo("Europe/Amsterdam"), ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata")]


@given(
    st.datetimes(min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2099, 12, 31)),
    st.sampled_from(ZONES),
    st.sampled_from(["T", " "]),
    st.sampled_from(["auto", "seconds", "minutes"]),
    st.text(),
    st.text(),
)
def test_iso_timestamps_in_any_text_are_unchanged(
    moment: dt.datetime, zone: ZoneInfo, sep: str, timespec: str, before: str, after: str
) -> None:
    """An ISO timestamp (any zone, "T" or space, with or without fractions) survives inside any text."""
    stamp = moment.replace(tzinfo=zone).isoformat(sep=sep, timespec=timespec)
    # Digits joined to the stamp by separators make one longer digit string, which is masked on purpose.
    assume(not re.search(rf"\d{JOIN}$", before) and not re.match(rf"{JOIN}\d", after))
    out = mask_text(before + stamp + after)
    assert out[len(before) : len(before) + len(stamp)] == stamp


@pytest.mark.parametrize("unit", ["(", "+", "(+", "1(", " 1", "2026-11-23 "])
def test_masking_stays_fast_on_long_runs_of_number_punctuation(unit: str) -> None:
    """20,000 characters of brackets, plus signs or digits with separators are masked within a second."""
    text = unit * (20_000 // len(unit))
    started = time.perf_counter()
    out = mask_text(text)
    assert len(out) == len(text)
    assert time.perf_counter() - started < 1.0  # quadratic scanning took over 30 s here
