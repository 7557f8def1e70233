"""The report's shape: periods, the quarter-hour profile and grid, the norms' lights, the staffing advice."""

from __future__ import annotations

import datetime as dt

import pytest

from capacity.config import CapacityConfig
from capacity.erlang import agents_needed, callback_slots
from reports.advice import REGULAR_TARGET_SHARE, measure
from reports.records import build_stories
from reports.report import build_report, event_window
from tests.unit.reports.calls import MONDAY, at, attempt, booked, events, offered, queued, spoed

CONFIG = CapacityConfig.model_validate(
    {
        "calls_per_assistant_per_hour": 12,
        "blocks": {"monday": [{"start": "10:00", "end": "12:00", "assistants": 2}]},
        "public_holidays": False,
    }
)


def test_calls_fall_in_their_local_day_week_and_month() -> None:
    """00:30 Amsterdam time on Monday 2 Nov (23:30 UTC on Sunday) is Monday's; weeks and months split."""
    calls = [
        queued(at(MONDAY, "00:30"), 10, "answered"),
        queued(at(MONDAY + dt.timedelta(days=7), "09:00"), 10, "answered"),
        queued(at(dt.date(2026, 12, 1), "09:00"), 10, "answered"),
    ]
    report = build_report(events(*calls), CONFIG, MONDAY, dt.date(2026, 12, 1))
    by_day = {row.label: row.figures.calls for row in report.days}
    assert by_day["2026-11-02"] == 1 and by_day["2026-11-09"] == 1 and by_day["2026-12-01"] == 1
    assert by_day["2026-11-16"] == 0, "an open day without calls is shown with zero"
    assert {row.label: row.figures.calls for row in report.months} == {"2026-11": 2, "2026-12": 1}
    weeks = {row.label: row.figures.calls for row in report.weeks}
    assert weeks["2026-W45"] == 1 and weeks["2026-W46"] == 1 and weeks["2026-W49"] == 1
    assert report.total.calls == 3


def test_calls_outside_the_period_are_left_out_but_their_later_callbacks_count() -> None:
    """Sunday's call is not in Monday's report; Monday's booking called on Tuesday is."""
    slot = at(MONDAY + dt.timedelta(days=1), "10:00")
    booked = attempt(
        offered(at(MONDAY, "15:00"), slot, "booked", request_id=1), 1, slot, "reached", slot=slot
    )
    before = queued(at(MONDAY - dt.timedelta(days=1), "23:00"), 10, "answered")
    report = build_report(events(booked, before), CONFIG, MONDAY, MONDAY)
    assert report.total.calls == 1
    assert (report.total.punctuality.called, report.total.punctuality.on_time.count) == (1, 1)
    start, end = event_window(CONFIG, MONDAY, MONDAY)
    assert start == at(MONDAY, "00:00") and end >= slot + dt.timedelta(days=1)


def test_the_profile_averages_arrivals_per_quarter_and_draws_the_files_capacity() -> None:
    """Two Mondays, four calls at 08:05 and two at 10:20: 2.0 and 1.0 per day; capacity 6 per quarter."""
    calls = [
        queued(at(MONDAY + dt.timedelta(days=7 * w), "08:05", n), 10, "answered")
        for w in (0, 1)
        for n in (0, 1)
    ]
    calls += [queued(at(MONDAY + dt.timedelta(days=7 * w), "10:20"), 10, "answered") for w in (0, 1)]
    report = build_report(events(*calls), CONFIG, MONDAY, MONDAY + dt.timedelta(days=13))
    profile = dict(zip(report.profile.quarters, report.profile.arrivals, strict=True))
    capacity = dict(zip(report.profile.quarters, report.profile.capacity, strict=True))
    assert (profile["08:00"], profile["10:15"], profile["09:00"]) == (2.0, 1.0, 0.0)
    # 2 assistants x 12 calls an hour = 6 a quarter, on both Mondays; none before the block.
    assert (capacity["10:00"], capacity["11:45"], capacity["08:00"]) == (6.0, 6.0, None)
    cells = {(c.weekday, c.quarter): c.calls for c in report.grid}
    assert cells == {(0, "08:00"): 4, (0, "10:15"): 2}


def test_the_norms_light_up_green_orange_and_red() -> None:
    """Spoed 9 of 10 within 30 s is green; 2 min: 7 of 10 is 70%, orange within 5 points of 75%."""
    calls = [spoed(at(MONDAY, "08:00", n), 10 if n < 9 else 60) for n in range(10)]
    calls += [queued(at(MONDAY, "09:00", n), 60 if n < 7 else 200, "answered") for n in range(10)]
    lights = {n.name: n.light for n in build_report(events(*calls), CONFIG, MONDAY, MONDAY).norms}
    assert lights["Spoed binnen 30 seconden"] == "groen"
    assert lights["Binnen 2 minuten opgenomen"] == "oranje"
    assert lights["Terugbellen op tijd"] == "grijs", "no bookings: no light rather than a false green"


def test_the_advice_uses_the_measured_traffic_handling_time_and_patience() -> None:
    """Mondays 10-12: 24 waiting callers per 2 hours, 240 s talk, 4 hang-ups: Erlang A with that patience."""
    calls = []
    for n in range(24):
        outcome = "abandoned" if n % 6 == 0 else "answered"
        calls.append(queued(at(MONDAY, "10:00", n * 300), 90, outcome, talk=240))
    stories = build_stories(events(*calls))
    measured = measure(stories)
    assert measured.regular_handle_seconds == 240
    assert measured.patience_seconds == pytest.approx(24 * 90 / 4)  # all waiting time / hang-ups
    report = build_report(events(*calls), CONFIG, MONDAY, MONDAY)
    [block] = [a for a in report.advice if a.start == "10:00"]
    assert block.regular_per_hour == 12.0 and block.assistants_in_file == 2
    expected = agents_needed(12.0, 240, 120, REGULAR_TARGET_SHARE, patience_seconds=24 * 90 / 4)
    assert block.assistants_needed_regular == expected


def test_the_advice_counts_callback_slots_at_the_measured_time_per_request() -> None:
    """Three callbacks of 13 s ringing + 120 s talk each: 2 assistants keep floor(2*15*60*0.85/133) a slot."""
    slot = at(MONDAY, "10:00")
    calls = [booked(n, slot, talk=120) for n in (1, 2, 3)]
    report = build_report(events(*calls), CONFIG, MONDAY, MONDAY)
    [block] = [a for a in report.advice if a.start == "10:00"]
    assert block.callback_slots_advised == callback_slots(2, 133.0, 15) == 11
    assert block.callback_slots_in_file == CONFIG.block_slot_capacity(CONFIG.blocks.monday[0])
    # 3 promised in a 2-hour block: 1.5 an hour of 133 s each is 0.07 of an assistant: one is plenty.
    assert (block.callbacks_per_hour, block.assistants_needed_callbacks) == (1.5, 1)


def test_a_block_whose_callbacks_need_more_assistants_than_the_file_gives_says_so() -> None:
    """40 callbacks of 313 s in 10-12: 20 an hour x 313 s / 3600 / 0.85 = 2.05, so 3 against the file's 2."""
    slot = at(MONDAY, "10:00")
    calls = [booked(n, slot, talk=300) for n in range(40)]
    [block] = [a for a in build_report(events(*calls), CONFIG, MONDAY, MONDAY).advice if a.start == "10:00"]
    assert (block.callbacks_per_hour, block.assistants_needed_callbacks, block.assistants_in_file) == (
        20.0,
        3,
        2,
    )


def test_the_peak_outside_the_blocks_gets_advice_without_a_file_figure() -> None:
    """Calls at 08:xx on a Monday whose only block is 10-12: an 08:00-09:00 row, nothing from the file."""
    calls = [queued(at(MONDAY, "08:00", 60 * n), 30, "answered") for n in range(10)]
    advice = build_report(events(*calls), CONFIG, MONDAY, MONDAY).advice
    peak = next(a for a in advice if a.start == "08:00")
    assert (peak.end, peak.assistants_in_file, peak.regular_per_hour) == ("09:00", None, 10.0)
    assert peak.assistants_needed is not None and peak.assistants_needed >= 1
