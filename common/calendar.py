"""The calendar both opening hours and callback capacity use: clock times, time windows, closed days.

Times of day are minutes since local midnight, so "24:00" ("until the end of the day") can be written.
Moments are always turned into the practice's zone through UTC (`in_zone`): Python compares and converts
two datetimes with the same tzinfo by wall clock, which gives a wall time inside a skipped DST hour a
different reading than the same instant written in UTC.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

MINUTES_PER_DAY = 24 * 60

_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")
_WINDOW = re.compile(r"^\s*([^-\s]+)\s*-\s*([^-\s]+)\s*$")


def parse_clock(value: object) -> int:
    """Return the minutes since midnight of an "HH:MM" text; "24:00" is allowed and means end of day.

    Raises ValueError with a message meant for the practice admin who wrote the YAML.
    """
    if isinstance(value, bool) or not isinstance(value, str):
        # PyYAML reads an unquoted 10:00 as the base-60 number 600; say how to avoid that.
        raise ValueError(f'write times as quoted text, e.g. "10:00" (got {value!r})')
    match = _CLOCK.match(value)
    if match is None:
        raise ValueError(f'time must look like "HH:MM", e.g. "10:00" (got {value!r})')
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and minutes != 0):
        raise ValueError(f"{value!r} is not a time of day between 00:00 and 24:00")
    return hours * 60 + minutes


def format_clock(minutes: int) -> str:
    """Return minutes since midnight as zero-padded "HH:MM" (1440 gives "24:00")."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_window(value: object) -> tuple[int, int]:
    """Return (start, end) minutes of an "HH:MM-HH:MM" text; start must be before end."""
    if not isinstance(value, str):
        raise ValueError(f'write a time window as quoted text, e.g. "12:00-14:00" (got {value!r})')
    match = _WINDOW.match(value)
    if match is None:
        raise ValueError(f'time window must look like "HH:MM-HH:MM", e.g. "12:00-14:00" (got {value!r})')
    start, end = parse_clock(match.group(1)), parse_clock(match.group(2))
    if start >= end:
        raise ValueError(f"time window {value!r} must start before it ends")
    return start, end


def normalize_clock(value: object) -> str:
    """Validate an "HH:MM" text and return it zero-padded, so "9:00" and "09:00" compare equal."""
    return format_clock(parse_clock(value))


def normalize_window(value: object) -> str:
    """Validate an "HH:MM-HH:MM" text and return it in the canonical "09:00-10:00" spelling."""
    start, end = parse_window(value)
    return f"{format_clock(start)}-{format_clock(end)}"


@dataclass(frozen=True, order=True)
class TimeWindow:
    """A stretch of one day in minutes since midnight; `end` is exclusive (17:00 means over at 17:00)."""

    start: int
    end: int

    @classmethod
    def parse(cls, value: object) -> TimeWindow:
        """A window from its "HH:MM-HH:MM" text (ValueError with an admin's message otherwise)."""
        if isinstance(value, TimeWindow):
            return value
        return cls(*parse_window(value))

    def __str__(self) -> str:
        return f"{format_clock(self.start)}-{format_clock(self.end)}"

    def contains(self, moment: dt.time) -> bool:
        """Whether the wall-clock time `moment` falls inside this window."""
        return self.start <= moment.hour * 60 + moment.minute < self.end

    def contains_minute(self, minute: int) -> bool:
        """Whether the minute of the day `minute` falls inside this window."""
        return self.start <= minute < self.end


@lru_cache(maxsize=64)
def dutch_holidays(year: int) -> frozenset[dt.date]:
    """The Dutch public holidays of `year` per holidays.NL (Goede Vrijdag included, Bevrijdingsdag only
    in lustrum years); cached because building the table is slow next to a planner call."""
    return frozenset(holidays.country_holidays("NL", years=year))


def is_closed_day(day: dt.date, *, public_holidays: bool, closed_dates: Collection[dt.date]) -> bool:
    """Whether `day` is closed as a whole: one of `closed_dates`, or a public holiday when they count."""
    if day in closed_dates:
        return True
    return public_holidays and day in dutch_holidays(day.year)


def require_aware(moment: dt.datetime, name: str) -> dt.datetime:
    """Return `moment` unchanged, or raise ValueError if it has no time zone (it would be ambiguous)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {moment!r}")
    return moment


def in_zone(moment: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """`moment` as a wall time in `tz`, converted through UTC so one instant always reads the same."""
    return require_aware(moment, "moment").astimezone(dt.UTC).astimezone(tz)


def wall_time(day: dt.date, minute: int, tz: ZoneInfo) -> dt.datetime | None:
    """The aware datetime of `minute` past midnight on `day` in `tz`, or None if the clock skips it.

    02:30 on the spring-forward night does not exist; zoneinfo would silently shift it to 03:30.
    """
    wall = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=tz)
    roundtrip = wall.astimezone(dt.UTC).astimezone(tz)
    if roundtrip.replace(tzinfo=None) != wall.replace(tzinfo=None):
        return None
    return wall
