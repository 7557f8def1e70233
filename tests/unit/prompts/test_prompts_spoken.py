"""Spoken times, days and numbers: what the caller hears for a callback slot."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from prompts.catalog import PromptCatalog
from prompts.spoken import dutch_number, generated_texts, say_clock, say_day, say_moment, say_number

AMS = ZoneInfo("Europe/Amsterdam")


@pytest.mark.parametrize(
    ("n", "word"),
    [(0, "nul"), (1, "een"), (13, "dertien"), (20, "twintig"), (21, "eenentwintig"), (22, "tweeëntwintig"),
     (23, "drieëntwintig"), (45, "vijfenveertig"), (59, "negenenvijftig")],
)  # fmt: skip
def test_dutch_numbers(n: int, word: str) -> None:
    """Numbers are written as Dutch speaks them, with the trema after twee and drie."""
    assert dutch_number(n) == word


def test_quarter_past_ten_is_read_as_the_digital_clock() -> None:
    """10:15 is "om tien uur" + "vijftien" (never "kwart over tien"); a full hour has no minutes."""
    assert say_clock(dt.datetime(2026, 11, 23, 10, 15, tzinfo=AMS)) == ["tijd_uur_10", "tijd_minuut_15"]
    assert say_clock(dt.datetime(2026, 11, 23, 11, 0, tzinfo=AMS)) == ["tijd_uur_11"]
    texts = generated_texts()
    assert (texts["tijd_uur_10"], texts["tijd_minuut_15"]) == ("om tien uur", "vijftien")


def test_days_relative_to_the_call() -> None:
    """Today, tomorrow, a weekday this week, and beyond a week the date as well."""
    monday = dt.date(2026, 11, 23)
    assert say_day(monday, monday) == ["dag_vandaag"]
    assert say_day(monday + dt.timedelta(1), monday) == ["dag_morgen"]
    assert say_day(monday + dt.timedelta(3), monday) == ["dag_donderdag"]
    assert say_day(monday + dt.timedelta(7), monday) == ["dag_maandag", "getal_30", "maand_november"]


def test_moment_uses_the_slot_time_zone_for_today() -> None:
    """A call at 23:30 UTC (00:30 in Amsterdam) hears "vandaag" for a slot later that Amsterdam day."""
    now = dt.datetime(2026, 11, 22, 23, 30, tzinfo=dt.UTC)
    slot = dt.datetime(2026, 11, 23, 10, 0, tzinfo=AMS)
    assert say_moment(slot, now) == ["dag_vandaag", "tijd_uur_10"]


def test_number_digit_by_digit() -> None:
    """A typed number is read back one digit at a time."""
    assert say_number("0612") == ["cijfer_0", "cijfer_6", "cijfer_1", "cijfer_2"]


def test_catalog_knows_every_generated_piece_and_texts_win() -> None:
    """Every generated piece is a known prompt, and the texts file may reword one."""
    catalog = PromptCatalog()
    assert set(generated_texts()) <= catalog.names()
    assert catalog.text("tijd_minuut_30") == "dertig"
