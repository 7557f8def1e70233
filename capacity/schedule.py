"""Which callback slots exist on a given day, and how many calls each can hold (bookings aside).

Slot starts are wall-clock times on the practice's grid, turned into aware datetimes with zoneinfo so
that the days clocks change (last Sunday of March and of October) come out right.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays

from capacity.config import CapacityConfig

UTC = dt.UTC


@lru_cache(maxsize=64)
def _dutch_holidays(year: int) -> frozenset[dt.date]:
    # Building the holiday table is slow relative to a planner call; the table of a year never changes.
    return frozenset(holidays.NL(years=year).keys())


def is_closed_day(config: CapacityConfig, day: dt.date) -> bool:
    """Return True if no callbacks happen on `day` because it is a public holiday or a closed date."""
    if day in config.closed_dates:
        return True
    return config.public_holidays and day in _dutch_holidays(day.year)


def weekday_slots(config: CapacityConfig, weekday: int) -> list[tuple[int, int]]:
    """Return (minute since midnight, capacity) of every slot start of a weekday, in time order.

    A slot exists where a block is and no closed window is; holidays and dates are not considered.
    """
    slots: list[tuple[int, int]] = []
    for block in config.blocks.for_weekday(weekday):
        capacity = config.block_slot_capacity(block)
        if capacity <= 0:
            continue
        for minute in range(block.start_minute, block.end_minute, config.slot_minutes):
            if not any(start <= minute < end for start, end in config.closed_ranges):
                slots.append((minute, capacity))
    slots.sort()
    return slots


def _local(config: CapacityConfig, day: dt.date, minute: int) -> dt.datetime | None:
    """Return the wall-clock time on `day` as an aware datetime, or None if the clock skips it."""
    wall = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=config.tz)
    roundtrip = wall.astimezone(UTC).astimezone(config.tz)
    # 02:30 on the spring-forward night does not exist; zoneinfo would silently shift it to 03:30.
    if roundtrip.replace(tzinfo=None) != wall.replace(tzinfo=None):
        return None
    return wall


def slots_of_day(config: CapacityConfig, day: dt.date) -> list[tuple[dt.datetime, int]]:
    """Return (slot start in the practice tz, capacity) for every slot on `day`, earliest first.

    Empty on holidays, closed dates and weekdays without blocks. Capacity is the whole slot,
    including any part reserved for priority requests.
    """
    if is_closed_day(config, day):
        return []
    slots: list[tuple[dt.datetime, int]] = []
    for minute, capacity in weekday_slots(config, day.weekday()):
        start = _local(config, day, minute)
        if start is not None:
            slots.append((start, capacity))
    return slots


def slot_capacity(config: CapacityConfig, slot_start: dt.datetime) -> int:
    """Return how many calls the slot starting at `slot_start` can hold; 0 if no slot starts then."""
    instant = require_aware(slot_start, "slot_start").astimezone(UTC)
    local_day = instant.astimezone(config.tz).date()
    for start, capacity in slots_of_day(config, local_day):
        if start.astimezone(UTC) == instant:
            return capacity
    return 0


def slot_end(config: CapacityConfig, slot_start: dt.datetime) -> dt.datetime:
    """Return the end of a slot in the practice tz, measured in real minutes (not wall-clock)."""
    # Aware datetime + timedelta is wall-clock arithmetic in Python; go through UTC to get elapsed time.
    end = slot_start.astimezone(UTC) + dt.timedelta(minutes=config.slot_minutes)
    return end.astimezone(config.tz)


def next_open_day(config: CapacityConfig, first: dt.date, *, search_days: int = 366) -> dt.date | None:
    """Return the first day from `first` on that has any slot, or None if none within `search_days`."""
    if not any(weekday_slots(config, weekday) for weekday in range(7)):
        return None
    for offset in range(search_days):
        day = first + dt.timedelta(days=offset)
        if slots_of_day(config, day):
            return day
    return None


def require_aware(moment: dt.datetime, name: str) -> dt.datetime:
    """Return `moment` unchanged, or raise ValueError if it has no time zone (it would be ambiguous)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {moment!r}")
    return moment
