"""One instant, one answer: the planner reads `now` as an instant however it is written.

Europe/Amsterdam changes its clocks at 02:00/03:00, so a wrong reading of a wall time there never moves
"today". Atlantic/Azores (the same EU rule, at local midnight) and America/Nuuk (the EU rule at 23:00 on
the Saturday) have the skipped hour at a day boundary, which is where reading the wall time as written
instead of converting through UTC gave a different day, and so a different offer.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from capacity.config import CapacityConfig
from capacity.planner import NoSlot, Offer, earliest_slot
from capacity.schedule import slot_capacity, slot_end

UTC = dt.UTC
AMS = ZoneInfo("Europe/Amsterdam")
AZORES = ZoneInfo("Atlantic/Azores")
NUUK = ZoneInfo("America/Nuuk")
ELSEWHERE = ZoneInfo("Asia/Tokyo")
ALL_DAY = {day: [{"start": "00:00", "end": "24:00", "assistants": 1}] for day in (
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"
)}  # fmt: skip


def config(zone: ZoneInfo) -> CapacityConfig:
    """Callbacks all day every day, only today counts: the answer shows which day the planner took."""
    return CapacityConfig.model_validate(
        {
            "timezone": zone.key,
            "blocks": ALL_DAY,
            "closed_windows": [],
            "public_holidays": False,
            "when_today_full": "say_full",
        }
    )


def answer(result: Offer | NoSlot) -> tuple[str, dt.datetime | None]:
    """What the caller would hear, in comparable form: the slot as a UTC instant, or why there is none."""
    if isinstance(result, Offer):
        return ("offer", result.slot_start.astimezone(UTC))
    return (result.reason, None)


def writings(now: dt.datetime, zone: ZoneInfo) -> dict[str, dt.datetime]:
    """The same instant as `now`, written in UTC, in the practice's zone (normalized) and elsewhere."""
    instant = now.astimezone(UTC)
    return {
        "as given": now,
        "utc": instant,
        "practice zone": instant.astimezone(zone),
        "elsewhere": instant.astimezone(ELSEWHERE),
    }


WALL_TIMES = [
    # Amsterdam: the skipped hour of 29 March 2026 and the repeated hour of 25 October 2026.
    pytest.param(AMS, dt.datetime(2026, 3, 29, 2, 30), 0, id="ams-skipped-fold0"),
    pytest.param(AMS, dt.datetime(2026, 3, 29, 2, 30), 1, id="ams-skipped-fold1"),
    pytest.param(AMS, dt.datetime(2026, 10, 25, 2, 30), 0, id="ams-repeated-first"),
    pytest.param(AMS, dt.datetime(2026, 10, 25, 2, 30), 1, id="ams-repeated-second"),
    pytest.param(AMS, dt.datetime(2026, 11, 23, 10, 5), 0, id="ams-ordinary"),
    # Azores: 00:00-00:59 is skipped on 29 March and repeated on 25 October.
    pytest.param(AZORES, dt.datetime(2026, 3, 29, 0, 30), 0, id="azores-skipped-fold0"),
    pytest.param(AZORES, dt.datetime(2026, 3, 29, 0, 30), 1, id="azores-skipped-fold1"),
    pytest.param(AZORES, dt.datetime(2026, 10, 25, 0, 30), 0, id="azores-repeated-first"),
    pytest.param(AZORES, dt.datetime(2026, 10, 25, 0, 30), 1, id="azores-repeated-second"),
    # Nuuk: 23:00-23:59 on Saturday 28 March is skipped; the clock jumps to Sunday 00:00.
    pytest.param(NUUK, dt.datetime(2026, 3, 28, 23, 30), 0, id="nuuk-skipped-fold0"),
    pytest.param(NUUK, dt.datetime(2026, 3, 28, 23, 30), 1, id="nuuk-skipped-fold1"),
]


@pytest.mark.parametrize(("zone", "wall", "fold"), WALL_TIMES)
def test_same_instant_written_any_way_gets_the_same_offer(
    zone: ZoneInfo, wall: dt.datetime, fold: int
) -> None:
    """A wall time in the practice's zone (skipped or repeated hour, any fold), UTC and elsewhere agree."""
    now = wall.replace(tzinfo=zone, fold=fold)
    cfg = config(zone)
    answers = {name: answer(earliest_slot(cfg, [], moment)) for name, moment in writings(now, zone).items()}
    assert len(set(answers.values())) == 1, answers


@pytest.mark.parametrize(("zone", "wall", "fold"), WALL_TIMES)
def test_the_offer_falls_on_the_instants_own_day(zone: ZoneInfo, wall: dt.datetime, fold: int) -> None:
    """With only today counting, the offered slot lies on the instant's own day in the practice's zone."""
    now = wall.replace(tzinfo=zone, fold=fold)
    offer = earliest_slot(config(zone), [], now)
    today = now.astimezone(UTC).astimezone(zone).date()
    assert isinstance(offer, Offer), offer
    assert offer.slot_start.astimezone(zone).date() == today
    assert offer.slot_start.astimezone(UTC) >= now.astimezone(UTC) + dt.timedelta(minutes=15)


def test_azores_wall_time_in_the_skipped_hour_read_as_the_evening_before() -> None:
    """00:30 (second reading) on 29 March in the Azores is 23:30 on the 28th: the 23:45 slot is offered."""
    now = dt.datetime(2026, 3, 29, 0, 30, tzinfo=AZORES, fold=1)
    offer = earliest_slot(config(AZORES), [], now)
    assert isinstance(offer, Offer)
    assert offer.slot_start.astimezone(UTC) == dt.datetime(2026, 3, 29, 0, 45, tzinfo=UTC)
    assert offer.slot_start.astimezone(AZORES).strftime("%d %H:%M") == "28 23:45"


# Each zone's clock changes of 2026, as (zone, a wall time two hours before the change).
CHANGES = [
    (ZoneInfo(key), wall)
    for key, walls in {
        "Europe/Amsterdam": ["2026-03-29T00:00", "2026-10-25T01:00"],
        "Atlantic/Azores": ["2026-03-28T22:00", "2026-10-24T23:00"],
        "America/Nuuk": ["2026-03-28T21:00", "2026-10-24T21:00"],
        "Asia/Beirut": ["2026-03-28T22:00", "2026-10-24T22:00"],
        "America/Havana": ["2026-03-07T22:00", "2026-10-31T23:00"],
        "America/Santiago": ["2026-04-04T22:00", "2026-09-05T22:00"],
        "Australia/Lord_Howe": ["2026-04-05T00:00", "2026-10-04T00:00"],
    }.items()
    for wall in map(dt.datetime.fromisoformat, walls)
]


@given(st.sampled_from(CHANGES), st.integers(min_value=0, max_value=4 * 60), st.integers(0, 1))
def test_any_wall_time_around_a_clock_change_agrees_with_its_utc_instant(
    change: tuple[ZoneInfo, dt.datetime], minutes: int, fold: int
) -> None:
    """Around every clock change of several zones, each wall time and fold gets the answer of its instant."""
    zone, start = change
    now = (start + dt.timedelta(minutes=minutes)).replace(tzinfo=zone, fold=fold)
    cfg = config(zone)
    assert answer(earliest_slot(cfg, [], now)) == answer(earliest_slot(cfg, [], now.astimezone(UTC)))


@pytest.mark.parametrize(("zone", "wall", "fold"), WALL_TIMES)
def test_slot_capacity_and_end_read_a_slot_start_as_an_instant(
    zone: ZoneInfo, wall: dt.datetime, fold: int
) -> None:
    """slot_capacity and slot_end give the same result for a slot start written in any zone."""
    cfg = config(zone)
    offer = earliest_slot(cfg, [], wall.replace(tzinfo=zone, fold=fold))
    assert isinstance(offer, Offer)
    for moment in writings(offer.slot_start, zone).values():
        assert slot_capacity(cfg, moment) == 3
        assert slot_end(cfg, moment).astimezone(UTC) == offer.slot_end.astimezone(UTC)
