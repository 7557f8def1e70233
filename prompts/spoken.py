"""Prompts that say a time, a day or a phone number, built from small spoken pieces.

A callback time is read as the Dutch digital clock: "om tien uur vijftien", "om tien uur" (never "kwart
over tien", so the caller hears exactly what the assistant's list says, 10:15). The pieces are
generated prompts like any other: `terugbel prompts build` speaks them, and a practice may replace
each one with its own recording (`tijd_uur_10.wav`).
"""

from __future__ import annotations

import datetime as dt

_UNITS = ("nul", "een", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen", "tien",
          "elf", "twaalf", "dertien", "veertien", "vijftien", "zestien", "zeventien", "achttien",
          "negentien")  # fmt: skip
_TENS = {2: "twintig", 3: "dertig", 4: "veertig", 5: "vijftig"}
WEEKDAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
          "oktober", "november", "december")  # fmt: skip

TODAY = "dag_vandaag"
TOMORROW = "dag_morgen"


def dutch_number(n: int) -> str:
    """The Dutch word for 0 <= n < 60, as it is written: "eenentwintig", "tweeëntwintig"."""
    if not 0 <= n < 60:
        raise ValueError(f"only 0..59 are spoken, got {n}")
    if n < 20:
        return _UNITS[n]
    tens, unit = divmod(n, 10)
    if unit == 0:
        return _TENS[tens]
    # The trema keeps two vowels apart: twee-en -> tweeën, drie-en -> drieën.
    joiner = "ën" if _UNITS[unit].endswith("e") else "en"
    return f"{_UNITS[unit]}{joiner}{_TENS[tens]}"


def hour_prompt(hour: int) -> str:
    return f"tijd_uur_{hour}"


def minute_prompt(minute: int) -> str:
    return f"tijd_minuut_{minute}"


def digit_prompt(digit: str) -> str:
    return f"cijfer_{digit}"


def weekday_prompt(weekday: int) -> str:
    return f"dag_{WEEKDAYS[weekday]}"


def day_of_month_prompt(day: int) -> str:
    return count_prompt(day)


def count_prompt(n: int) -> str:
    """A plain number 1..59 (a date, a position in the queue, minutes of waiting)."""
    return f"getal_{n}"


def month_prompt(month: int) -> str:
    return f"maand_{MONTHS[month - 1]}"


def generated_texts() -> dict[str, str]:
    """Every piece as prompt name -> Dutch text (the practice's texts.yaml may override any of them)."""
    texts: dict[str, str] = {}
    for hour in range(24):
        texts[hour_prompt(hour)] = f"om {dutch_number(hour)} uur"
    for minute in range(1, 60):
        texts[minute_prompt(minute)] = dutch_number(minute)
    for digit in range(10):
        texts[digit_prompt(str(digit))] = _UNITS[digit]
    texts[TODAY] = "vandaag"
    texts[TOMORROW] = "morgen"
    for weekday, name in enumerate(WEEKDAYS):
        texts[weekday_prompt(weekday)] = f"op {name}"
    for n in range(1, 60):
        texts[count_prompt(n)] = dutch_number(n)
    for month in range(1, 13):
        texts[month_prompt(month)] = MONTHS[month - 1]
    return texts


def say_clock(moment: dt.datetime) -> list[str]:
    """The prompts for the time of day of `moment` (in its own time zone): "om tien uur vijftien"."""
    pieces = [hour_prompt(moment.hour)]
    if moment.minute:
        pieces.append(minute_prompt(moment.minute))
    return pieces


def say_day(moment: dt.date, today: dt.date) -> list[str]:
    """How the day of a callback is said relative to the day of the call.

    "vandaag" and "morgen"; a weekday within the coming week ("op donderdag"); beyond that the date
    too ("op maandag zeven december"), so a weekday can never mean two different days.
    """
    days_ahead = (moment - today).days
    if days_ahead == 0:
        return [TODAY]
    if days_ahead == 1:
        return [TOMORROW]
    pieces = [weekday_prompt(moment.weekday())]
    if not 1 < days_ahead < 7:
        pieces += [day_of_month_prompt(moment.day), month_prompt(moment.month)]
    return pieces


def say_moment(moment: dt.datetime, now: dt.datetime) -> list[str]:
    """Day and time of `moment` as heard by a caller at `now`, both read in `moment`'s time zone."""
    local_now = now.astimezone(moment.tzinfo)
    return [*say_day(moment.date(), local_now.date()), *say_clock(moment)]


def say_number(digits: str) -> list[str]:
    """A phone number digit by digit (the caller checks what was typed)."""
    return [digit_prompt(d) for d in digits if d.isdigit()]
