"""Property tests: for random practices, bookings and moments the planner is safe and optimal.

The oracle below is written independently of the planner: it walks every UTC instant on the slot
grid and judges each one against the configuration, instead of building slots per block and day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capacity.config import CapacityConfig
from capacity.planner import Booking, NoSlot, Offer, earliest_slot, free_capacity
from common.room import places_left

AMS = ZoneInfo("Europe/Amsterdam")
UTC = dt.UTC
# Covers the spring clock change (28 March), Easter, Koningsdag (27 April) and Hemelvaart (6 May).
FIRST, LAST = dt.datetime(2027, 3, 20), dt.datetime(2027, 5, 10)
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CLOSED_CHOICES = ("12:00-14:00", "16:00-24:00", "00:00-07:00", "10:05-10:50", "08:00-08:30")
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def minutes(hhmm: str) -> int:
    """Return minutes since midnight of a normalized "HH:MM"."""
    return int(hhmm[:2]) * 60 + int(hhmm[3:])


@cache
def dutch_holidays(year: int) -> set[dt.date]:
    """Return the Dutch public holidays of `year` (cached: building the table is slow)."""
    return set(holidays.NL(years=year))


def on_holiday(cfg: CapacityConfig, local: dt.datetime) -> bool:
    """Return True if the practice skips the day of `local` as a public holiday."""
    return cfg.public_holidays and local.date() in dutch_holidays(local.year)


def in_block(cfg: CapacityConfig, local: dt.datetime) -> list[Any]:
    """Return the blocks of that weekday containing the wall-clock minute of `local`."""
    minute = local.hour * 60 + local.minute
    day_blocks = getattr(cfg.blocks, DAYS[local.weekday()])
    return [b for b in day_blocks if minutes(b.start) <= minute < minutes(b.end)]


def closed_at(windows: Iterable[str], minute: int) -> bool:
    """Return True if a slot may not start at `minute` because of one of the closed windows."""
    return any(minutes(w[:5]) <= minute < minutes(w[6:]) for w in windows)


def hhmm(minute: int) -> str:
    """Return minutes since midnight as "HH:MM"."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


@st.composite
def configs(draw: st.DrawFn) -> CapacityConfig:
    """Draw a valid practice config with small slots so that filling it up stays fast."""
    slot = draw(st.sampled_from([10, 15, 20, 30, 60]))
    lowest_calls = -(-60 // slot)  # at least one call per slot for a single assistant
    calls = draw(st.integers(lowest_calls, lowest_calls + 4))
    closed = draw(st.lists(st.sampled_from(CLOSED_CHOICES), unique=True, max_size=3))
    grid = range(6 * 60, 19 * 60 + 1, slot)
    week: dict[str, list[dict[str, Any]]] = {}
    capacities: list[int] = []
    for day in DAYS:
        points = sorted(draw(st.sets(st.sampled_from(grid), max_size=4)))
        week[day] = []
        for start, end in zip(points[::2], points[1::2], strict=False):
            end = min(end, start + 4 * slot)
            if all(closed_at(closed, m) for m in range(start, end, slot)):
                continue  # a block that can never be used is a config error; leave it out
            assistants = draw(st.integers(1, 2))
            week[day].append({"start": hhmm(start), "end": hhmm(end), "assistants": assistants})
            capacities.append(assistants * calls * slot // 60)
    return CapacityConfig.model_validate(
        {
            "blocks": week,
            "calls_per_assistant_per_hour": calls,
            "slot_minutes": slot,
            "closed_windows": closed,
            "public_holidays": draw(st.booleans()),
            "closed_dates": draw(st.lists(st.dates(FIRST.date(), LAST.date()), max_size=3)),
            "min_lead_minutes": draw(st.sampled_from([0, 5, 15, 60, 240])),
            "horizon_days": draw(st.integers(0, 3)),
            "when_today_full": draw(st.sampled_from(["next_working_day", "say_full"])),
            "priority_reserved_per_slot": draw(st.integers(0, min([*capacities, 3]) - 1)),
        }
    )


moments = st.datetimes(FIRST, LAST, timezones=st.sampled_from([AMS, UTC, ZoneInfo("America/New_York")]))


def scan(cfg: CapacityConfig, now: dt.datetime) -> Iterable[tuple[dt.datetime, int]]:
    """Yield (UTC instant, capacity) of every slot on the days the planner may use, in time order."""
    today = now.astimezone(AMS).date()
    last = today if cfg.when_today_full == "say_full" else today + dt.timedelta(days=cfg.horizon_days)
    instant = dt.datetime.combine(today - dt.timedelta(days=1), dt.time(), tzinfo=UTC)
    while instant.astimezone(AMS).date() <= last:
        local = instant.astimezone(AMS)
        minute = local.hour * 60 + local.minute
        blocks = in_block(cfg, local)
        if (local.date() >= today and local.fold == 0 and blocks and not closed_at(cfg.closed_windows, minute)
                and not on_holiday(cfg, local) and local.date() not in cfg.closed_dates):  # fmt: skip
            yield instant, blocks[0].assistants * cfg.calls_per_assistant_per_hour * cfg.slot_minutes // 60
        instant += dt.timedelta(minutes=cfg.slot_minutes)


def oracle(
    cfg: CapacityConfig, bookings: list[Booking], now: dt.datetime, priority: bool, after: dt.datetime | None
) -> tuple[dt.datetime, int] | None:
    """Return (UTC start, remaining) of the earliest slot with room, by brute force, or None."""
    earliest = now.astimezone(UTC) + dt.timedelta(minutes=cfg.min_lead_minutes)
    for instant, capacity in scan(cfg, now):
        if instant < earliest or (after is not None and instant <= after.astimezone(UTC)):
            continue
        here = [b for b in bookings if b.slot_start.astimezone(UTC) == instant]
        urgent = sum(b.priority for b in here)
        ordinary = len(here) - urgent
        taken = ordinary + (urgent if priority else max(urgent, cfg.priority_reserved_per_slot))
        if taken < capacity:
            return instant, capacity - taken - 1
    return None


@st.composite
def situations(draw: st.DrawFn) -> tuple[CapacityConfig, list[Booking], dt.datetime]:
    """Draw a config, a moment and bookings that mostly land on real slots near that moment."""
    cfg = draw(configs())
    now = draw(moments)
    slots = [instant for instant, _ in scan(cfg, now)]
    on_slots = st.sampled_from(slots) if slots else st.nothing()
    starts = draw(st.lists(on_slots | moments, max_size=25))
    bookings = [
        Booking(start.astimezone(draw(st.sampled_from([AMS, UTC]))), priority=draw(st.booleans()))
        for start in starts
    ]
    return cfg, bookings, now


@FAST
@given(situations(), st.booleans(), st.none() | moments)
def test_always_the_earliest_free_slot(
    situation: tuple[CapacityConfig, list[Booking], dt.datetime], priority: bool, after: dt.datetime | None
) -> None:
    """The planner's answer equals the brute-force earliest slot with room (or both find none)."""
    cfg, bookings, now = situation
    result = earliest_slot(cfg, bookings, now, priority=priority, after=after)
    expected = oracle(cfg, bookings, now, priority, after)
    if expected is None:
        assert isinstance(result, NoSlot)
        if not any(getattr(cfg.blocks, day) for day in DAYS):
            assert result.reason == "no_capacity_configured"
        elif cfg.when_today_full == "say_full":
            assert result.reason in ("full_today", "closed_today")
        else:
            assert result.reason == "full_horizon"
    else:
        assert isinstance(result, Offer)
        assert (result.slot_start.astimezone(UTC), result.remaining) == expected
        assert result.slot_start.tzinfo == AMS
        assert result.slot_end - result.slot_start == dt.timedelta(minutes=cfg.slot_minutes)


@FAST
@given(situations(), st.booleans())
def test_never_closed_window_holiday_or_closed_date(
    situation: tuple[CapacityConfig, list[Booking], dt.datetime], priority: bool
) -> None:
    """An offered slot is on an open day, outside every closed window, inside a block, after the lead."""
    cfg, bookings, now = situation
    result = earliest_slot(cfg, bookings, now, priority=priority)
    if isinstance(result, Offer):
        local = result.slot_start.astimezone(AMS)
        minute = local.hour * 60 + local.minute
        assert not closed_at(cfg.closed_windows, minute)
        assert local.date() not in cfg.closed_dates
        assert not on_holiday(cfg, local)
        assert in_block(cfg, local)
        assert result.slot_start >= now + dt.timedelta(minutes=cfg.min_lead_minutes)


@FAST
@given(configs(), moments, st.lists(st.booleans(), min_size=1, max_size=5))
def test_never_over_capacity_when_booking_every_offer(
    cfg: CapacityConfig, now: dt.datetime, kinds: list[bool]
) -> None:
    """Booking each offer until none is left never overfills a slot or lets ordinary eat the reserve."""
    bookings: list[Booking] = []
    capacities = dict(scan(cfg, now))
    for step in range(2000):
        priority = kinds[step % len(kinds)]
        result = earliest_slot(cfg, bookings, now, priority=priority)
        if isinstance(result, NoSlot):
            break
        assert result.remaining >= 0
        bookings.append(Booking(result.slot_start, priority=priority))
    else:
        raise AssertionError("the planner kept offering slots")
    for instant, capacity in capacities.items():
        here = [b for b in bookings if b.slot_start.astimezone(UTC) == instant]
        ordinary = sum(not b.priority for b in here)
        assert len(here) <= capacity
        assert ordinary <= capacity - cfg.priority_reserved_per_slot
    assert all(b.slot_start.astimezone(UTC) in capacities for b in bookings)


@FAST
@given(situations(), st.booleans(), st.data())
def test_order_of_bookings_does_not_matter(
    situation: tuple[CapacityConfig, list[Booking], dt.datetime], priority: bool, data: st.DataObject
) -> None:
    """Any permutation of the same bookings gives the same answer."""
    cfg, bookings, now = situation
    shuffled = data.draw(st.permutations(bookings))
    assert earliest_slot(cfg, shuffled, now, priority=priority) == earliest_slot(
        cfg, bookings, now, priority=priority
    )


@given(st.integers(1, 30), st.integers(0, 29), st.integers(0, 30), st.integers(0, 30), st.booleans())
def test_free_capacity_is_the_shared_room_rule(
    capacity: int, reserved: int, ordinary: int, priority_booked: int, priority: bool
) -> None:
    """The planner counts room exactly as the atomic booking does: by common.room (defect 24)."""
    expected = max(0, places_left(capacity, reserved, ordinary, priority_booked, priority=priority))
    assert free_capacity(capacity, reserved, ordinary, priority_booked, priority=priority) == expected
