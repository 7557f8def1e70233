"""Wall-clock times of day ("10:00", "16:00-24:00") as minutes since local midnight.

Times are kept as minutes rather than ``datetime.time`` because "24:00" must be expressible: it is
the natural way for an admin to write "until the end of the day".
"""

from __future__ import annotations

import re

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
