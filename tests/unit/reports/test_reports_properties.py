"""Properties of the figures over random histories: counts add up, shares stay within 0-100, and splitting
the period into days, weeks, months or weekday x quarter-hours counts every call exactly once."""

from __future__ import annotations

import datetime as dt
from dataclasses import fields
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from capacity.config import CapacityConfig
from reports.report import Report, build_report
from reports.stats import Share
from tests.unit.reports.calls import MONDAY, Call, at, attempt, events, offered, queued, spoed

CONFIG = CapacityConfig.model_validate(
    {"blocks": {"monday": [{"start": "10:00", "end": "12:00", "assistants": 2}]}, "public_holidays": False}
)
DAYS = 21

moments = st.builds(
    lambda day, minute: at(MONDAY + dt.timedelta(days=day), "00:00", 60.0 * minute),
    st.integers(0, DAYS - 1),
    st.integers(7 * 60, 18 * 60),
)
waits = st.floats(0, 1200, allow_nan=False)


@st.composite
def a_call(draw: Any) -> Call:
    start = draw(moments)
    kind = draw(st.sampled_from(["spoed", "queue", "offer"]))
    if kind == "spoed":
        return spoed(start, draw(st.none() | st.floats(1, 120)), talk=draw(st.floats(1, 600)))
    if kind == "queue":
        outcome = draw(st.sampled_from(["answered", "abandoned", "kept", "max_wait", "spoed"]))
        request_id = draw(st.integers(1, 10**6)) if outcome == "kept" else None
        call = queued(start, draw(waits), outcome, request_id=request_id)
        if request_id is not None and draw(st.booleans()):
            attempt(call, request_id, call.now + dt.timedelta(minutes=30), "reached", kind="kept_place")
        return call
    slot = start + dt.timedelta(minutes=draw(st.integers(15, 600)))
    outcome = draw(st.sampled_from(["booked", "declined", "turned_away"]))
    request_id = draw(st.integers(1, 10**6))
    call = offered(start, slot, outcome, request_id=request_id, next_open_day=MONDAY)
    if outcome == "booked":
        for n in range(draw(st.integers(0, 3))):
            late = dt.timedelta(minutes=draw(st.floats(-20, 90)) + 10 * n)
            result = draw(
                st.sampled_from(["reached", "not_reached", "busy", "voicemail", "assistant_no_answer"])
            )
            attempt(call, request_id, slot + late, result, attempt_no=n + 1, slot=slot)
            if result == "reached":
                break
    return call


histories = st.lists(a_call(), max_size=40)


def report_of(calls: list[Call]) -> Report:
    last = MONDAY + dt.timedelta(days=DAYS - 1)
    return build_report(events(*calls), CONFIG, MONDAY, last)


def shares(value: Any) -> list[Share]:
    """Every Share anywhere in a figures dataclass."""
    if isinstance(value, Share):
        return [value]
    if hasattr(value, "__dataclass_fields__"):
        return [s for f in fields(value) for s in shares(getattr(value, f.name))]
    if isinstance(value, tuple):
        return [s for item in value for s in shares(item)]
    return []


@settings(max_examples=60, deadline=None)
@given(histories)
def test_the_outcomes_of_each_kind_of_call_add_up(calls: list[Call]) -> None:
    """Spoed, waits, offers, punctuality and requests: the parts make up the whole, none counted twice."""
    t = report_of(calls).total
    assert t.calls == len(calls)
    assert t.spoed.within_norm.count + (t.spoed.within_norm.of - t.spoed.within_norm.count) == t.spoed.calls
    assert t.spoed.not_answered + t.spoed.to_person.count == t.spoed.calls
    r = t.regular
    assert r.answered + r.abandoned.count + r.sent_away + r.left_for_kept_place + r.left_for_spoed == r.calls
    assert r.within_norm.count <= r.answered and r.over_10_min.count <= r.within_norm.of
    o = t.offers
    assert o.confirmed + o.declined <= o.offered and o.turned_away + o.offered <= t.calls
    p = t.punctuality
    assert p.on_time.count + p.early + p.late == p.called and p.called + p.not_called == p.bookings
    a = t.attempts
    assert (
        a.reached_first
        + a.reached_second
        + a.reached_later
        + a.not_reached
        + a.by_hand
        + a.cancelled
        + a.open
        == a.requests
    )
    assert sum(count for _, count in p.buckets) == p.called
    assert sum(count for _, count in r.abandoned_buckets) == r.abandoned.count


@settings(max_examples=60, deadline=None)
@given(histories)
def test_every_share_is_a_percentage_of_its_own_count(calls: list[Call]) -> None:
    """0 <= count <= of for every share; the percentage is within 0-100, or None when there is nothing."""
    report = report_of(calls)
    everything = shares(report.total) + [s for row in report.days for s in shares(row.figures)]
    for share in everything + [c.regular_within_norm for c in report.grid]:
        assert 0 <= share.count <= share.of
        assert (share.percent is None) == (share.of == 0)
        assert share.percent is None or 0.0 <= share.percent <= 100.0


@settings(max_examples=60, deadline=None)
@given(histories)
def test_days_weeks_months_and_quarters_each_count_every_call_once(calls: list[Call]) -> None:
    """Summed over the days, the weeks, the months or the grid cells, the counts equal the period's."""
    report = report_of(calls)
    t = report.total
    for rows in (report.days, report.weeks, report.months):
        assert sum(row.figures.calls for row in rows) == t.calls
        assert sum(row.figures.spoed.calls for row in rows) == t.spoed.calls
        assert sum(row.figures.regular.abandoned.count for row in rows) == t.regular.abandoned.count
        assert sum(row.figures.offers.confirmed for row in rows) == t.offers.confirmed
        assert sum(row.figures.punctuality.on_time.count for row in rows) == t.punctuality.on_time.count
    assert sum(cell.calls for cell in report.grid) == t.calls
    assert sum(cell.offered for cell in report.grid) == t.offers.offered
    assert sum(a.handled for a in t.assistants) == sum(
        a.handled for row in report.days for a in row.figures.assistants
    )
