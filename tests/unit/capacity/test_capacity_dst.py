"""Daylight saving time: slots on the days the clocks change (27 March and 30 October 2022)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from capacity.config import CapacityConfig
from capacity.planner import Booking, Offer, earliest_slot, slot_capacity, slots_of_day

AMS = ZoneInfo("Europe/Amsterdam")
SPRING = dt.date(2022, 3, 27)  # 02:00 CET -> 03:00 CEST
AUTUMN = dt.date(2022, 10, 30)  # 03:00 CEST -> 02:00 CET
NIGHT = {"sunday": [{"start": "01:00", "end": "04:00", "assistants": 1}]}
WORKDAYS = {
    day: [{"start": "10:00", "end": "12:00", "assistants": 1}]
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
}


def night_config(**overrides: object) -> CapacityConfig:
    """Return a config with a Sunday night block around the clock change and no closed windows."""
    return CapacityConfig.model_validate({"blocks": NIGHT, "closed_windows": [], **overrides})


def utc(day: dt.date, hhmm: str) -> dt.datetime:
    """Return the UTC instant `hhmm` on `day`."""
    hour, minute = map(int, hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=dt.UTC)


def test_spring_forward_skips_the_missing_hour() -> None:
    """02:00-02:59 does not exist on 27 March, so no slot is planned in it and none is doubled."""
    slots = slots_of_day(night_config(), SPRING)
    assert [s.strftime("%H:%M") for s, _ in slots] == [
        "01:00", "01:15", "01:30", "01:45", "03:00", "03:15", "03:30", "03:45",
    ]  # fmt: skip
    instants = [s.astimezone(dt.UTC) for s, _ in slots]
    assert instants[3] == utc(SPRING, "00:45") and instants[4] == utc(SPRING, "01:00")
    assert len(set(instants)) == len(instants)


def test_slot_end_counts_real_minutes_across_the_jump() -> None:
    """The 01:45 slot on 27 March lasts 15 real minutes and so ends at 03:00 summer time."""
    offer = earliest_slot(night_config(min_lead_minutes=0), [], utc(SPRING, "00:40"))
    assert isinstance(offer, Offer)
    assert offer.slot_start.astimezone(dt.UTC) == utc(SPRING, "00:45")
    assert offer.slot_end.astimezone(dt.UTC) == utc(SPRING, "01:00")
    assert offer.slot_end.strftime("%H:%M %Z") == "03:00 CEST"


def test_lead_time_is_measured_in_real_minutes_over_the_jump() -> None:
    """At 01:50 CET plus 15 minutes it is 03:05 CEST, so 03:15 is offered rather than 03:00."""
    offer = earliest_slot(night_config(), [], utc(SPRING, "00:50"))
    assert isinstance(offer, Offer)
    assert offer.slot_start.astimezone(dt.UTC) == utc(SPRING, "01:15")


def test_fall_back_plans_the_repeated_hour_once() -> None:
    """02:00-02:59 happens twice on 30 October; each wall-clock slot exists once, in summer time."""
    slots = slots_of_day(night_config(), AUTUMN)
    assert len(slots) == 12
    two_fifteen = [s for s, _ in slots if s.strftime("%H:%M") == "02:15"]
    assert [s.astimezone(dt.UTC) for s in two_fifteen] == [utc(AUTUMN, "00:15")]


def test_fall_back_compares_instants_not_wall_clocks() -> None:
    """At 02:50 CEST plus 15 minutes it is 02:05 CET, which is after the 02:15 CEST slot."""
    offer = earliest_slot(night_config(), [], utc(AUTUMN, "00:50"))
    assert isinstance(offer, Offer)
    assert offer.slot_start.astimezone(dt.UTC) == utc(AUTUMN, "02:00")  # 03:00 CET


def test_bookings_in_utc_count_on_the_fall_back_night() -> None:
    """A booking for 02:15 CEST given in UTC fills that slot; the second 02:15 (CET) is not a slot."""
    slot = utc(AUTUMN, "00:15")
    assert slot_capacity(night_config(), slot) == 3
    assert slot_capacity(night_config(), utc(AUTUMN, "01:15")) == 0
    bookings = [Booking(slot)] * 3
    offer = earliest_slot(night_config(min_lead_minutes=0), bookings, utc(AUTUMN, "00:10"))
    assert isinstance(offer, Offer)
    assert offer.slot_start.astimezone(dt.UTC) == utc(AUTUMN, "00:30")


def test_next_week_offers_carry_the_new_offset() -> None:
    """Offers made before the change for the Monday after carry the UTC offset valid on that Monday."""
    cfg = CapacityConfig.model_validate({"blocks": WORKDAYS, "horizon_days": 3})
    spring = earliest_slot(cfg, [], dt.datetime(2022, 3, 25, 17, 0, tzinfo=AMS))
    autumn = earliest_slot(cfg, [], dt.datetime(2022, 10, 28, 17, 0, tzinfo=AMS))
    assert isinstance(spring, Offer) and isinstance(autumn, Offer)
    assert spring.slot_start.astimezone(dt.UTC) == utc(dt.date(2022, 3, 28), "08:00")
    assert autumn.slot_start.astimezone(dt.UTC) == utc(dt.date(2022, 10, 31), "09:00")
