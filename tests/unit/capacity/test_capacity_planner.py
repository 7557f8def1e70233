"""Unit tests for the Slimme Planner: which slot a caller is offered, and why none."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from capacity.config import CapacityConfig
from capacity.planner import (
    Booking,
    NoSlot,
    Offer,
    earliest_slot,
    slot_capacity,
    slots_of_day,
    slots_with_room,
)

AMS = ZoneInfo("Europe/Amsterdam")
MONDAY = dt.date(2027, 4, 19)  # an ordinary week: no holidays Monday 19 .. Sunday 25 April 2027
KONINGSDAG = dt.date(2027, 4, 27)  # a Tuesday
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")


def at(day: dt.date, hhmm: str) -> dt.datetime:
    """Return the Amsterdam wall-clock time `hhmm` on `day`."""
    hour, minute = map(int, hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=AMS)


def config(**overrides: Any) -> CapacityConfig:
    """Return a config with 10:00-12:00 and 14:00-16:00 on working days, 1 assistant (3 calls/slot)."""
    day_blocks = [
        {"start": "10:00", "end": "12:00", "assistants": 1},
        {"start": "14:00", "end": "16:00", "assistants": 1},
    ]
    settings: dict[str, Any] = {"blocks": dict.fromkeys(WEEKDAYS, day_blocks)}
    settings.update(overrides)
    return CapacityConfig.model_validate(settings)


def fill(cfg: CapacityConfig, day: dt.date, until: str, *, priority: bool = False) -> list[Booking]:
    """Return bookings that fill every slot of `day` starting before `until` to its full capacity."""
    return [
        Booking(start, priority=priority)
        for start, capacity in slots_of_day(cfg, day)
        if start < at(day, until)
        for _ in range(capacity)
    ]


def offered(result: Offer | NoSlot) -> dt.datetime:
    """Return the offered slot start, failing the test if there was no offer."""
    assert isinstance(result, Offer), result
    return result.slot_start


def test_seed_example_full_block_moves_to_1115() -> None:
    """When 10:00-11:00 is full and 11:00-11:15 is the coffee meeting, the caller hears 11:15."""
    cfg = config(
        blocks={
            "thursday": [
                {"start": "10:00", "end": "11:00", "assistants": 2},
                {"start": "11:15", "end": "12:00", "assistants": 1},
            ]
        }
    )
    thursday = MONDAY + dt.timedelta(days=3)
    now = at(thursday, "09:00")
    assert offered(earliest_slot(cfg, [], now)) == at(thursday, "10:00")
    almost = fill(cfg, thursday, "11:00")[1:]
    assert offered(earliest_slot(cfg, almost, now)) == at(thursday, "10:00")
    full = fill(cfg, thursday, "11:00")
    result = earliest_slot(cfg, full, now)
    assert result == Offer(at(thursday, "11:15"), at(thursday, "11:30"), remaining=2)


def test_lunch_and_after_four_never_offered() -> None:
    """A block spanning lunch and the evening still yields no slot 12:00-14:00 or from 16:00."""
    cfg = config(blocks={"monday": [{"start": "10:00", "end": "18:00", "assistants": 1}]}, horizon_days=0)
    starts = [start.strftime("%H:%M") for start, _ in slots_of_day(cfg, MONDAY)]
    assert starts[0] == "10:00"
    assert "11:45" in starts and "14:00" in starts and "15:45" in starts
    assert not [s for s in starts if "12:00" <= s < "14:00" or s >= "16:00"]
    assert offered(earliest_slot(cfg, fill(cfg, MONDAY, "12:00"), at(MONDAY, "09:00"))) == at(MONDAY, "14:00")
    assert earliest_slot(cfg, fill(cfg, MONDAY, "16:00"), at(MONDAY, "09:00")) == NoSlot(
        "full_horizon", MONDAY + dt.timedelta(days=7)
    )


def test_custom_closed_windows_replace_the_defaults() -> None:
    """With closed_windows emptied, lunch slots are offered; the defaults are not added back."""
    cfg = config(blocks={"monday": [{"start": "11:00", "end": "13:00", "assistants": 1}]}, closed_windows=[])
    assert offered(earliest_slot(cfg, fill(cfg, MONDAY, "12:00"), at(MONDAY, "09:00"))) == at(MONDAY, "12:00")


def test_koningsdag_is_skipped() -> None:
    """On the Monday before Koningsdag after hours, the next offer is Wednesday, not the holiday."""
    now = at(KONINGSDAG - dt.timedelta(days=1), "17:00")
    assert offered(earliest_slot(config(), [], now)) == at(KONINGSDAG + dt.timedelta(days=1), "10:00")
    assert slots_of_day(config(), KONINGSDAG) == []
    assert offered(earliest_slot(config(public_holidays=False), [], now)) == at(KONINGSDAG, "10:00")


def test_closed_dates_are_skipped() -> None:
    """A practice training day in closed_dates gets no slots and the offer moves to the next day."""
    tuesday = MONDAY + dt.timedelta(days=1)
    cfg = config(closed_dates=[tuesday.isoformat()])
    assert slots_of_day(cfg, tuesday) == []
    assert slot_capacity(cfg, at(tuesday, "10:00")) == 0
    assert offered(earliest_slot(cfg, [], at(MONDAY, "17:00"))) == at(tuesday + dt.timedelta(days=1), "10:00")


@pytest.mark.parametrize(
    ("now", "expected"),
    [("09:45", "10:00"), ("09:46", "10:15"), ("10:01", "10:30"), ("10:15", "10:30"), ("11:50", "14:00")],
)
def test_min_lead_time_rounds_up_to_the_grid(now: str, expected: str) -> None:
    """A slot starts at least min_lead_minutes after the call, on the next grid point."""
    assert offered(earliest_slot(config(), [], at(MONDAY, now))) == at(MONDAY, expected)


def test_min_lead_zero_allows_the_current_slot_start() -> None:
    """With no lead time, a caller at exactly 10:00 may be offered 10:00 itself."""
    assert offered(earliest_slot(config(min_lead_minutes=0), [], at(MONDAY, "10:00"))) == at(MONDAY, "10:00")


def test_horizon_limits_days_ahead() -> None:
    """Friday evening with horizon 2 finds nothing (weekend); horizon 3 reaches Monday."""
    friday = MONDAY + dt.timedelta(days=4)
    next_monday = MONDAY + dt.timedelta(days=7)
    now = at(friday, "17:00")
    assert earliest_slot(config(horizon_days=2), [], now) == NoSlot("full_horizon", next_monday)
    assert offered(earliest_slot(config(horizon_days=3), [], now)) == at(next_monday, "10:00")


def test_horizon_zero_is_today_only() -> None:
    """Horizon 0 never offers tomorrow, even when tomorrow is empty."""
    now = at(MONDAY, "16:30")
    assert earliest_slot(config(horizon_days=0), [], now) == NoSlot(
        "full_horizon", MONDAY + dt.timedelta(days=1)
    )


def test_next_working_day_when_today_full() -> None:
    """By default a full today moves the offer to the first slot of the next working day."""
    full = fill(config(), MONDAY, "16:00")
    assert offered(earliest_slot(config(), full, at(MONDAY, "09:00"))) == at(
        MONDAY + dt.timedelta(days=1), "10:00"
    )


def test_say_full_reports_full_today() -> None:
    """With say_full, a full today is reported instead of offering tomorrow."""
    cfg = config(when_today_full="say_full")
    full = fill(cfg, MONDAY, "16:00")
    assert earliest_slot(cfg, full, at(MONDAY, "09:00")) == NoSlot(
        "full_today", MONDAY + dt.timedelta(days=1)
    )


def test_say_full_reports_closed_today_on_a_day_without_blocks() -> None:
    """With say_full, a Saturday or a holiday is reported as closed today, with the next open day."""
    cfg = config(when_today_full="say_full")
    saturday = MONDAY + dt.timedelta(days=5)
    assert earliest_slot(cfg, [], at(saturday, "09:00")) == NoSlot(
        "closed_today", MONDAY + dt.timedelta(days=7)
    )
    assert earliest_slot(cfg, [], at(KONINGSDAG, "09:00")) == NoSlot(
        "closed_today", KONINGSDAG + dt.timedelta(days=1)
    )


def test_no_blocks_at_all() -> None:
    """A config without any block says so rather than claiming the practice is full."""
    assert earliest_slot(CapacityConfig(), [], at(MONDAY, "09:00")) == NoSlot("no_capacity_configured")


def test_priority_may_use_reserved_capacity_ordinary_may_not() -> None:
    """With 3 calls per slot and 1 reserved, ordinary requests stop at 2 and priority gets the third."""
    cfg = config(priority_reserved_per_slot=1)
    ten = at(MONDAY, "10:00")
    now = at(MONDAY, "09:00")
    assert earliest_slot(cfg, [], now) == Offer(ten, at(MONDAY, "10:15"), remaining=1)
    two_ordinary = [Booking(ten), Booking(ten)]
    assert offered(earliest_slot(cfg, two_ordinary, now)) == at(MONDAY, "10:15")
    assert earliest_slot(cfg, two_ordinary, now, priority=True) == Offer(ten, at(MONDAY, "10:15"), 0)
    assert offered(earliest_slot(cfg, [*two_ordinary, Booking(ten, True)], now, priority=True)) == at(
        MONDAY, "10:15"
    )


def test_priority_bookings_fill_the_reserve_first() -> None:
    """A priority booking uses the reserved seat, so ordinary callers still get their full share."""
    cfg = config(priority_reserved_per_slot=1)
    ten = at(MONDAY, "10:00")
    now = at(MONDAY, "09:00")
    assert earliest_slot(cfg, [Booking(ten, True), Booking(ten)], now) == Offer(ten, at(MONDAY, "10:15"), 0)
    two_priority = [Booking(ten, True), Booking(ten, True)]
    assert earliest_slot(cfg, two_priority, now) == Offer(ten, at(MONDAY, "10:15"), 0)


def test_after_gives_the_next_slot() -> None:
    """Passing the previous offer as `after` ("toets 2") yields the following slot, even across lunch."""
    now = at(MONDAY, "09:00")
    assert offered(earliest_slot(config(), [], now, after=at(MONDAY, "10:00"))) == at(MONDAY, "10:15")
    assert offered(earliest_slot(config(), [], now, after=at(MONDAY, "10:07"))) == at(MONDAY, "10:15")
    assert offered(earliest_slot(config(), [], now, after=at(MONDAY, "11:45"))) == at(MONDAY, "14:00")


def test_bookings_and_now_in_other_time_zones() -> None:
    """A booking stored in UTC counts against the Amsterdam slot it denotes; `now` may be in UTC."""
    ten_utc = at(MONDAY, "10:00").astimezone(dt.UTC)
    bookings = [Booking(ten_utc)] * 3
    now_utc = at(MONDAY, "09:00").astimezone(dt.UTC)
    result = earliest_slot(config(), bookings, now_utc)
    assert offered(result) == at(MONDAY, "10:15")
    assert result.slot_start.tzinfo == AMS  # type: ignore[union-attr]


def test_off_grid_bookings_do_not_count() -> None:
    """A booking at a time where no slot starts does not consume any slot's capacity."""
    bookings = [Booking(at(MONDAY, "10:05"))] * 10
    assert offered(earliest_slot(config(), bookings, at(MONDAY, "09:00"))) == at(MONDAY, "10:00")


def test_naive_datetimes_are_rejected() -> None:
    """A naive `now` or booking is ambiguous and raises rather than guessing a time zone."""
    with pytest.raises(ValueError, match="timezone-aware"):
        earliest_slot(config(), [], dt.datetime(2027, 4, 19, 9, 0))
    with pytest.raises(ValueError, match="timezone-aware"):
        earliest_slot(config(), [Booking(dt.datetime(2027, 4, 19, 10, 0))], at(MONDAY, "09:00"))


def test_slot_capacity_formula_and_non_slots() -> None:
    """Capacity is floor(assistants * calls/hour * slot/60); closed or off-grid times have 0."""
    cfg = config(blocks={"monday": [{"start": "10:00", "end": "11:00", "assistants": 2}]})
    assert slot_capacity(cfg, at(MONDAY, "10:15")) == 7  # 2 * 15 * 15 / 60 = 7.5
    assert slot_capacity(config(calls_per_assistant_per_hour=20), at(MONDAY, "10:15")) == 5
    assert slot_capacity(cfg, at(MONDAY, "10:10")) == 0
    assert slot_capacity(cfg, at(MONDAY, "11:00")) == 0


def test_priority_booking_in_the_reserve_leaves_room_for_an_ordinary_caller() -> None:
    """Capacity 3 with 1 reserved, one priority and one ordinary booked: one ordinary place is left."""
    cfg = config(calls_per_assistant_per_hour=12, priority_reserved_per_slot=1)  # 3 per 15-minute slot
    now = at(MONDAY, "09:00")
    ten = at(MONDAY, "10:00")
    bookings = [Booking(ten, priority=True), Booking(ten)]
    assert earliest_slot(cfg, bookings, now) == Offer(ten, at(MONDAY, "10:15"), remaining=0)
    assert offered(earliest_slot(cfg, [*bookings, Booking(ten)], now)) == at(MONDAY, "10:15")


def test_slots_with_room_leave_out_started_and_full_slots() -> None:
    """Moving by hand lists the day's slots not yet begun that still have room, with what remains."""
    cfg = config()
    full_1015 = [Booking(at(MONDAY, "10:15"))] * slot_capacity(cfg, at(MONDAY, "10:15"))
    one_at_1030 = [Booking(at(MONDAY, "10:30"))]
    offers = slots_with_room(cfg, full_1015 + one_at_1030, MONDAY, at(MONDAY, "10:05"))
    starts = [o.slot_start for o in offers]
    assert at(MONDAY, "10:00") not in starts  # begun
    assert at(MONDAY, "10:15") not in starts  # full
    assert starts[0] == at(MONDAY, "10:30")
    assert offers[0].remaining == slot_capacity(cfg, at(MONDAY, "10:30")) - 2
    assert len(starts) == len(slots_of_day(cfg, MONDAY)) - 2


def test_slots_with_room_on_a_closed_day_are_none() -> None:
    """A holiday has no slots to move to."""
    assert slots_with_room(config(), [], KONINGSDAG, at(KONINGSDAG, "07:00")) == []
