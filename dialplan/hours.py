"""Opening hours: is the practice open at a given moment, and when does it open next.

Pure functions of the config and a moment passed in; nothing here reads the clock, so the
controller and the tests decide what "now" is.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from common import calendar
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
    for offset in range(LOOKAHEAD.days + 1):
        day = local.date() + timedelta(days=offset)
        if is_closed_day(cfg, day):
            continue
        for window in cfg.opening_hours.windows(day.weekday()):
            start = _moment(cfg, day, window.start)
            end = _moment(cfg, day, window.end)
            if end <= local:
                continue
            opening = max(start, local)
            return opening if opening - local <= LOOKAHEAD else None
    return None


def is_closed_day(cfg: PracticeConfig, day: date) -> bool:
    """Whether `day` is closed as a whole: a Dutch public holiday (when enabled) or a closed date."""
    hours = cfg.opening_hours
    return calendar.is_closed_day(day, public_holidays=hours.public_holidays, closed_dates=hours.closed_dates)


def _moment(cfg: PracticeConfig, day: date, minute: int) -> datetime:
    """Wall-clock `minute` of `day` (24:00 is the next midnight) as an instant in the practice's zone."""
    extra, minute = divmod(minute, 24 * 60)
    wall = datetime.combine(day + timedelta(days=extra), time(minute // 60, minute % 60), tzinfo=cfg.tz)
    return calendar.in_zone(wall, cfg.tz)


def _local(cfg: PracticeConfig, at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("`at` must be timezone-aware; a naive time is ambiguous around DST changes")
    return calendar.in_zone(at, cfg.tz)
