"""Validation of the capacity configuration: defaults, and clear errors pointing at the right field."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from capacity.config import CapacityConfig
from common.calendar import parse_clock, parse_window


def errors(settings: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    """Return (location, message) of every validation error for `settings`."""
    with pytest.raises(ValidationError) as caught:
        CapacityConfig.model_validate(settings)
    return [(tuple(error["loc"]), error["msg"]) for error in caught.value.errors()]


def monday(*blocks: dict[str, Any]) -> dict[str, Any]:
    """Return a `blocks` setting with the given Monday blocks."""
    return {"monday": list(blocks)}


def block(start: Any, end: Any, assistants: int = 1) -> dict[str, Any]:
    """Return one block setting."""
    return {"start": start, "end": end, "assistants": assistants}


def test_defaults_match_the_practice_documents() -> None:
    """Defaults: Amsterdam, 15 calls/hour, 15-minute slots, lunch and after 16:00 closed, 2 days ahead."""
    cfg = CapacityConfig()
    assert cfg.timezone == "Europe/Amsterdam"
    assert (cfg.calls_per_assistant_per_hour, cfg.slot_minutes, cfg.min_lead_minutes) == (15, 15, 15)
    assert cfg.closed_windows == ("12:00-14:00", "16:00-24:00")
    assert cfg.closed_ranges == ((720, 840), (960, 1440))
    assert cfg.public_holidays is True and cfg.horizon_days == 2
    assert cfg.when_today_full == "next_working_day" and cfg.priority_reserved_per_slot == 0


def test_times_are_normalized() -> None:
    """ "9:00" and " 09:00 " are the same time, so grid and overlap checks see them equal."""
    cfg = CapacityConfig.model_validate(
        {"blocks": monday(block("9:00", " 10:00 ")), "closed_windows": ["9:00-9:30"]}
    )
    assert (cfg.blocks.monday[0].start, cfg.blocks.monday[0].end) == ("09:00", "10:00")
    assert cfg.closed_windows == ("09:00-09:30",)


def test_unquoted_yaml_time_gets_a_hint() -> None:
    """An unquoted YAML 10:00 arrives as the number 600; the error says to quote it."""
    [(loc, msg)] = errors({"blocks": monday(block(600, "11:00"))})
    assert loc == ("blocks", "monday", 0, "start")
    assert 'quoted text, e.g. "10:00"' in msg


@pytest.mark.parametrize("bad", ["10", "10:60", "25:00", "24:15", "ten", "10:0"])
def test_malformed_times_are_rejected(bad: str) -> None:
    """Times that are not HH:MM within the day are refused with the offending text in the message."""
    [(loc, msg)] = errors({"blocks": monday(block(bad, "23:00"))})
    assert loc == ("blocks", "monday", 0, "start") and repr(bad) in msg


def test_block_must_start_before_end() -> None:
    """A block 11:00-10:00 (or empty 10:00-10:00) is refused at the block's location."""
    for start, end in (("11:00", "10:00"), ("10:00", "10:00")):
        [(loc, msg)] = errors({"blocks": monday(block(start, end))})
        assert loc == ("blocks", "monday", 0) and "must start before it ends" in msg


def test_block_must_lie_on_the_slot_grid() -> None:
    """With 15-minute slots a block from 10:10 is refused, suggesting 10:00."""
    [(loc, msg)] = errors({"blocks": monday(block("10:10", "11:00"))})
    assert loc == ("blocks", "monday", 0, "start")
    assert "not on the 15-minute slot grid" in msg and "10:00" in msg


def test_overlapping_blocks_are_rejected_even_when_not_adjacent_in_order() -> None:
    """A long block overlapping a later one is caught even with a non-overlapping block between."""
    problems = errors(
        {"blocks": monday(block("09:00", "11:45"), block("10:00", "10:30"), block("11:00", "11:30"))}
    )
    assert [loc for loc, _ in problems] == [("blocks", "monday", 1), ("blocks", "monday", 2)]
    assert all("overlaps block 09:00-11:45" in msg for _, msg in problems)


def test_touching_blocks_are_fine() -> None:
    """Blocks 10:00-11:00 and 11:00-12:00 do not overlap."""
    CapacityConfig.model_validate({"blocks": monday(block("10:00", "11:00"), block("11:00", "12:00", 2))})


@pytest.mark.parametrize("minutes", [0, 7, 25, 45, 90])
def test_slot_minutes_must_divide_60(minutes: int) -> None:
    """Slot lengths that do not divide the hour are refused."""
    [(loc, msg)] = errors({"slot_minutes": minutes})
    assert loc == ("slot_minutes",) and "must divide 60" in msg


def test_unknown_timezone() -> None:
    """A misspelt time zone is refused with an example of a valid one."""
    [(loc, msg)] = errors({"timezone": "Europe/Amsterdan"})
    assert loc == ("timezone",) and "Europe/Amsterdam" in msg


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("calls_per_assistant_per_hour", 0),
        ("calls_per_assistant_per_hour", 61),
        ("horizon_days", -1),
        ("min_lead_minutes", -5),
        ("priority_reserved_per_slot", -1),
    ],
)
def test_numbers_out_of_range(field: str, value: int) -> None:
    """Out-of-range numbers are refused at their own field."""
    [(loc, _)] = errors({field: value})
    assert loc == (field,)


def test_reserved_must_leave_room_for_ordinary_callers() -> None:
    """Reserving all 3 calls of a 1-assistant slot would starve ordinary callers, so it is refused."""
    [(loc, msg)] = errors({"blocks": monday(block("10:00", "11:00")), "priority_reserved_per_slot": 3})
    assert loc == ("blocks", "monday", 0, "assistants")
    assert "priority_reserved_per_slot (3)" in msg and "3 calls per slot" in msg
    CapacityConfig.model_validate(
        {"blocks": monday(block("10:00", "11:00")), "priority_reserved_per_slot": 2}
    )


def test_block_with_zero_capacity_is_rejected() -> None:
    """2 calls an hour in 15-minute slots rounds down to 0 per slot: the block would be useless."""
    [(loc, msg)] = errors({"blocks": monday(block("10:00", "11:00")), "calls_per_assistant_per_hour": 2})
    assert loc == ("blocks", "monday", 0, "assistants") and "holds 0 calls" in msg


def test_block_wholly_inside_closed_window_is_rejected() -> None:
    """A Tuesday block 12:00-13:00 can never be used while lunch is closed, so it is refused."""
    [(loc, msg)] = errors({"blocks": {"tuesday": [block("12:00", "13:00")]}})
    assert loc == ("blocks", "tuesday", 0) and "entirely inside the closed windows" in msg
    CapacityConfig.model_validate({"blocks": {"tuesday": [block("11:45", "13:00")]}})


def test_all_cross_field_problems_are_reported_at_once() -> None:
    """Two broken blocks on different days give two errors, so the admin fixes them in one go."""
    problems = errors({"blocks": {"monday": [block("10:05", "11:00")], "friday": [block("13:00", "13:30")]}})
    assert [loc for loc, _ in problems] == [("blocks", "monday", 0, "start"), ("blocks", "friday", 0)]


@pytest.mark.parametrize("bad", ["12:00", "14:00-12:00", "12:00-12:00", "noon-14:00", 1200])
def test_malformed_closed_windows(bad: object) -> None:
    """Closed windows must be "HH:MM-HH:MM" with the start first."""
    [(loc, _)] = errors({"closed_windows": [bad]})
    assert loc == ("closed_windows", 0)


@pytest.mark.parametrize(
    "settings",
    [{"blocks": {"mondag": []}}, {"blocks": monday({**block("10:00", "11:00"), "staff": 1})}, {"slots": 15}],
)
def test_unknown_keys_are_forbidden(settings: dict[str, Any]) -> None:
    """Typos such as a Dutch weekday name are errors, not silently ignored settings."""
    [(_, msg)] = errors(settings)
    assert "Extra inputs are not permitted" in msg


def test_when_today_full_choices() -> None:
    """Only the two documented behaviours for a full day are accepted."""
    [(loc, _)] = errors({"when_today_full": "tomorrow"})
    assert loc == ("when_today_full",)


def test_closed_dates_parse_iso_dates() -> None:
    """Closed dates written as ISO text become dates."""
    cfg = CapacityConfig.model_validate({"closed_dates": ["2027-05-07"]})
    assert [d.isoformat() for d in cfg.closed_dates] == ["2027-05-07"]


def test_clock_helpers() -> None:
    """24:00 is the end of the day and windows come back as minute ranges."""
    assert parse_clock("24:00") == 1440 and parse_clock("0:15") == 15
    assert parse_window("16:00-24:00") == (960, 1440)
