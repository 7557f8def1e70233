"""Which callback slots exist on a given day, and how many calls each can hold (bookings aside).

Slot starts are wall-clock times on the practice's grid, turned into aware datetimes with zoneinfo so
that the days clocks change (last Sunday of March and of October) come out right.
"""

from __future__ import annotations

import datetime as dt

from capacity.config import CapacityConfig
from common import calendar
from common.calendar import require_aware

UTC = dt.UTC


def is_closed_day(config: CapacityConfig, day: dt.date) -> bool:
    """Return True if no callbacks happen on `day` because it is a public holiday or a closed date."""
    return calendar.is_closed_day(
        day, public_holidays=config.public_holidays, closed_dates=config.closed_dates
    )


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


def slots_of_day(config: CapacityConfig, day: dt.date) -> list[tuple[dt.datetime, int]]:
    """Return (slot start in the practice tz, capacity) for every slot on `day`, earliest first.

    Empty on holidays, closed dates and weekdays without blocks. Capacity is the whole slot,
    including any part reserved for priority requests.
    """
    if is_closed_day(config, day):
        return []
    slots: list[tuple[dt.datetime, int]] = []
    for minute, capacity in weekday_slots(config, day.weekday()):
        start = calendar.wall_time(day, minute, config.tz)
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
