"""Opening hours: is the practice open at a given moment, and when does it open next.

Pure functions of the config and a moment passed in; nothing here reads the clock, so the
controller and the tests decide what "now" is.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays

from dialplan.schema import PracticeConfig

LOOKAHEAD = timedelta(days=14)


def is_open(cfg: PracticeConfig, at: datetime) -> bool:
    """Whether the assistants answer at `at` (timezone-aware; any zone, read in the practice's zone)."""
    local = _local(cfg, at)
    if is_closed_day(cfg, local.date()):
        return False
    return any(window.contains(local.time()) for window in cfg.opening_hours.windows(local.weekday()))


def next_opening(cfg: PracticeConfig, at: datetime) -> datetime | None:
    """The first moment from `at` on when the practice is open, in the practice's zone.

    Returns `at` itself (converted) when it is open already, and None when it does not open within
    14 days (e.g. every day configured closed).
    """
    local = _local(cfg, at)
    tz = cfg.tz
    for offset in range(LOOKAHEAD.days + 1):
        day = local.date() + timedelta(days=offset)
        if is_closed_day(cfg, day):
            continue
        for window in cfg.opening_hours.windows(day.weekday()):
            start = datetime.combine(day, window.start, tzinfo=tz)
            end = datetime.combine(day, window.end, tzinfo=tz)
            if end <= local:
                continue
            opening = max(start, local)
            return opening if opening - local <= LOOKAHEAD else None
    return None


def is_closed_day(cfg: PracticeConfig, day: date) -> bool:
    """Whether `day` is closed as a whole: a Dutch public holiday (when enabled) or a closed date."""
    hours = cfg.opening_hours
    if day in hours.closed_dates:
        return True
    return hours.public_holidays and day in _dutch_holidays(day.year)


@lru_cache(maxsize=8)
def _dutch_holidays(year: int) -> frozenset[date]:
    # holidays.NL as-is: it includes Goede Vrijdag, and Bevrijdingsdag only in lustrum years.
    return frozenset(holidays.country_holidays("NL", years=year))


def _local(cfg: PracticeConfig, at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("`at` must be timezone-aware; a naive time is ambiguous around DST changes")
    return at.astimezone(cfg.tz)
