"""The "Slimme Planner": the earliest callback slot the practice can still keep.

Pure: the moment of asking, the configuration and the existing bookings come in; an offer (or the
reason there is none) goes out. Nothing here reads the clock or touches storage.

Reserved capacity: priority bookings fill a slot's reserved part first, so an ordinary request fits
while ``ordinary + max(reserved, priority) < capacity`` and a priority request while
``ordinary + priority < capacity``. Ordinary bookings can therefore never eat into the reserve.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from capacity.config import CapacityConfig
from capacity.schedule import (
    UTC,
    next_open_day,
    slot_capacity,
    slot_end,
    slots_of_day,
    weekday_slots,
)
from common.calendar import in_zone, require_aware
from common.room import places_left

__all__ = [
    "Booking",
    "NoSlot",
    "NoSlotReason",
    "Offer",
    "earliest_slot",
    "free_capacity",
    "slot_capacity",
    "slots_of_day",
    "slots_with_room",
]

NoSlotReason = Literal["closed_today", "full_today", "full_horizon", "no_capacity_configured"]


@dataclass(frozen=True)
class Booking:
    """A callback already promised for the slot starting at `slot_start` (any time zone)."""

    slot_start: dt.datetime
    priority: bool = False


@dataclass(frozen=True)
class Offer:
    """A slot to propose; `remaining` is what is left for this kind of request once it is booked."""

    slot_start: dt.datetime
    slot_end: dt.datetime
    remaining: int


@dataclass(frozen=True)
class NoSlot:
    """Why nothing can be offered, and the next day with callback slots at all if one is known."""

    reason: NoSlotReason
    next_open_day: dt.date | None = None


def free_capacity(
    capacity: int, reserved: int, ordinary: int, priority_booked: int, *, priority: bool
) -> int:
    """Return how many more requests of the given kind fit in a slot (never negative)."""
    return max(0, places_left(capacity, reserved, ordinary, priority_booked, priority=priority))


def earliest_slot(
    config: CapacityConfig,
    bookings: Iterable[Booking],
    now: dt.datetime,
    *,
    priority: bool = False,
    after: dt.datetime | None = None,
) -> Offer | NoSlot:
    """Return the earliest slot with room for one more request of this kind, or why there is none.

    The slot starts at least `min_lead_minutes` after `now`, strictly after `after` if given (for
    "press 2 for a later time"), on an open day within the horizon, outside the closed windows.
    With ``when_today_full == "say_full"`` only today is considered.
    """
    require_aware(now, "now")
    if after is not None:
        require_aware(after, "after")
    if not _any_capacity(config, priority=priority):
        return NoSlot("no_capacity_configured")

    earliest = now.astimezone(UTC) + dt.timedelta(minutes=config.min_lead_minutes)
    after_utc = after.astimezone(UTC) if after is not None else None
    booked = _count(bookings)
    today = in_zone(now, config.tz).date()
    last_day = today if config.when_today_full == "say_full" else today + dt.timedelta(config.horizon_days)

    day = today
    while day <= last_day:
        for start, capacity in slots_of_day(config, day):
            instant = start.astimezone(UTC)
            if instant < earliest or (after_utc is not None and instant <= after_utc):
                continue
            ordinary, priority_booked = booked[(instant, False)], booked[(instant, True)]
            free = free_capacity(
                capacity, config.priority_reserved_per_slot, ordinary, priority_booked, priority=priority
            )
            if free > 0:
                return Offer(slot_start=start, slot_end=slot_end(config, start), remaining=free - 1)
        day += dt.timedelta(days=1)

    following = next_open_day(config, last_day + dt.timedelta(days=1))
    if config.when_today_full == "say_full":
        return NoSlot("full_today" if slots_of_day(config, today) else "closed_today", following)
    return NoSlot("full_horizon", following)


def slots_with_room(
    config: CapacityConfig,
    bookings: Iterable[Booking],
    day: dt.date,
    now: dt.datetime,
    *,
    priority: bool = False,
) -> list[Offer]:
    """Every slot of `day` that has not started at `now` and still takes one more request of this kind.

    For an assistant moving a callback by hand: no minimum lead time (she sees the list, the patient was
    told by her), but never a slot that has begun, and never one without room by the booking's own rule.
    """
    require_aware(now, "now")
    booked = _count(bookings)
    moment = now.astimezone(UTC)
    offers: list[Offer] = []
    for start, capacity in slots_of_day(config, day):
        instant = start.astimezone(UTC)
        if instant <= moment:
            continue
        free = free_capacity(
            capacity,
            config.priority_reserved_per_slot,
            booked[(instant, False)],
            booked[(instant, True)],
            priority=priority,
        )
        if free > 0:
            offers.append(Offer(slot_start=start, slot_end=slot_end(config, start), remaining=free - 1))
    return offers


def _any_capacity(config: CapacityConfig, *, priority: bool) -> bool:
    """Return True if some weekday has a slot an empty schedule could give this kind of request."""
    reserved = config.priority_reserved_per_slot
    return any(
        free_capacity(capacity, reserved, 0, 0, priority=priority) > 0
        for weekday in range(7)
        for _, capacity in weekday_slots(config, weekday)
    )


def _count(bookings: Iterable[Booking]) -> Counter[tuple[dt.datetime, bool]]:
    """Count bookings per (slot start in UTC, priority); UTC makes any booking time zone comparable."""
    # Python compares two datetimes with the same tzinfo by wall clock, which is wrong across DST.
    return Counter(
        (require_aware(booking.slot_start, "Booking.slot_start").astimezone(UTC), booking.priority)
        for booking in bookings
    )
