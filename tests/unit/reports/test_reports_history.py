"""The generated call history: deterministic, traced like the controller, and counted right in its truth."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections import defaultdict
from functools import cache
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from reports.figures import compute_figures
from reports.history import History, generate_history
from reports.profile import PracticeProfile
from reports.records import build_stories
from storage.call_events import EventKind, NewCallEvent

TZ = ZoneInfo("Europe/Amsterdam")
MONDAY = dt.date(2026, 11, 2)
# The kinds written under a call id after the call itself may have ended: its callbacks and the screen.
AFTER_THE_CALL = {
    EventKind.ATTEMPT_STARTED,
    EventKind.ATTEMPT_DIALLED,
    EventKind.ATTEMPT_ANSWERED,
    EventKind.ATTEMPT_ENDED,
    EventKind.REQUEST_ENDED,
    EventKind.MANUAL_DELETED,
}
ATTEMPT_KINDS = AFTER_THE_CALL - {EventKind.REQUEST_ENDED, EventKind.MANUAL_DELETED}


@cache
def two_weeks(seed: int = 1) -> History:
    return generate_history(MONDAY, 14, seed=seed)


def by_call(events: tuple[NewCallEvent, ...]) -> dict[str, list[NewCallEvent]]:
    calls: dict[str, list[NewCallEvent]] = defaultdict(list)
    for event in events:
        calls[event.call_id].append(event)
    return calls


def test_the_same_seed_gives_the_same_events_and_another_seed_other_events() -> None:
    """Two runs with seed 1 are identical; seed 2 gives another history."""
    again = generate_history(MONDAY, 14, seed=1)
    assert again.events == two_weeks().events
    assert again.truth == two_weeks().truth
    assert generate_history(MONDAY, 14, seed=2).events != two_weeks().events


def test_every_call_arrives_once_and_ends_once_after_everything_else_of_the_call() -> None:
    """One call_arrived first and one call_ended after every call-level event; callbacks may follow it."""
    for call_id, events in by_call(two_weeks().events).items():
        kinds = [e.kind for e in events]
        assert kinds.count(EventKind.CALL_ARRIVED) == 1 and kinds[0] == EventKind.CALL_ARRIVED, call_id
        assert kinds.count(EventKind.CALL_ENDED) == 1, call_id
        own = [k for k in kinds if k not in AFTER_THE_CALL]
        assert own[-1] == EventKind.CALL_ENDED, call_id
        ended = kinds.index(EventKind.CALL_ENDED)
        assert all(k in AFTER_THE_CALL for k in kinds[ended + 1 :]), call_id


def test_the_events_of_a_call_are_in_causal_order_with_increasing_aware_utc_times() -> None:
    """Within a call every event is strictly later than the one before, and every time is aware UTC."""
    history = two_weeks()
    assert [e.at for e in history.events] == sorted(e.at for e in history.events)
    for events in by_call(history.events).values():
        times = [e.at for e in events]
        assert all(a < b for a, b in pairwise(times))
        assert all(t.utcoffset() == dt.timedelta(0) for t in times)


def test_the_detail_seconds_agree_with_the_event_times() -> None:
    """call_ended.seconds is the time since the arrival, spoed_answered.seconds since spoed_started."""
    for events in by_call(two_weeks().events).values():
        first = {e.kind: e for e in reversed(events)}
        arrived, ended = first[EventKind.CALL_ARRIVED], first[EventKind.CALL_ENDED]
        assert ended.detail["seconds"] == pytest.approx((ended.at - arrived.at).total_seconds(), abs=1e-3)
        if EventKind.SPOED_ANSWERED in first:
            started, answered = first[EventKind.SPOED_STARTED], first[EventKind.SPOED_ANSWERED]
            gap = (answered.at - started.at).total_seconds()
            assert answered.detail["seconds"] == pytest.approx(gap, abs=1e-3)


def test_no_detail_holds_anything_like_a_phone_number_and_every_detail_is_json() -> None:
    """No run of 9 or more digits in any detail, and every detail survives a JSON round trip unchanged."""
    digits = re.compile(r"\d{9,}")
    for event in two_weeks().events:
        text = json.dumps(event.detail)
        assert not digits.search(text), (event.kind, text)
        assert json.loads(text) == event.detail


def test_every_kind_and_field_is_the_controllers() -> None:
    """Only EventKind kinds; attempt events carry request, attempt and headset; kept places their request."""
    known = {str(kind) for kind in EventKind}
    for event in two_weeks().events:
        assert event.kind in known
        if event.kind in ATTEMPT_KINDS:
            assert {"request_id", "attempt_id", "headset"} <= event.detail.keys()
        if event.kind == EventKind.ATTEMPT_STARTED:
            assert event.detail["request_kind"] in ("slot", "kept_place")
            assert {"attempt_no", "due_at", "slot_start", "slot_end"} <= event.detail.keys()
        if event.kind == EventKind.QUEUE_LEFT:
            extra = {"answered": {"headset"}, "kept": {"request_id", "number_source"}, "abandoned": set()}
            fields = {"entry_id", "outcome", "waited_seconds"} | extra[event.detail["outcome"]]
            assert event.detail.keys() == fields
        if event.kind == EventKind.ATTEMPT_ENDED and event.detail["outcome"] == "reached":
            assert event.detail["talk_seconds"] > 0


def test_callbacks_refer_only_to_requests_booked_or_kept_in_the_same_call() -> None:
    """Every request id of an attempt or a deletion comes from its call's booking or kept place."""
    requests: set[int] = set()
    for call_id, events in by_call(two_weeks().events).items():
        made = {
            e.detail["request_id"]
            for e in events
            if e.kind == EventKind.CALLBACK_BOOKED
            or (e.kind == EventKind.QUEUE_LEFT and e.detail["outcome"] == "kept")
        }
        assert len(made) <= 1 and not made & requests, call_id
        requests |= made
        used = {e.detail["request_id"] for e in events if e.kind in AFTER_THE_CALL}
        assert used <= made, call_id
    attempt_ids = [e.detail["attempt_id"] for e in two_weeks().events if e.kind == EventKind.ATTEMPT_STARTED]
    assert len(attempt_ids) == len(set(attempt_ids))


def test_a_headset_holds_one_conversation_or_callback_at_a_time() -> None:
    """The conversations and callback attempts of each headset never overlap."""
    busy: dict[str, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    for events in by_call(two_weeks().events).values():
        ended = next(e.at for e in events if e.kind == EventKind.CALL_ENDED)
        started: dict[int, NewCallEvent] = {}
        for e in events:
            d = e.detail
            if e.kind == EventKind.QUEUE_LEFT and d["outcome"] == "answered":
                busy[d["headset"]].append((e.at, ended))
            elif e.kind in (EventKind.HEADSETS_ANSWERED, EventKind.SPOED_ANSWERED) and d["by"].startswith(
                "a"
            ):
                busy[d["by"]].append((e.at, ended))
            elif e.kind == EventKind.ATTEMPT_STARTED:
                started[d["attempt_id"]] = e
            elif e.kind == EventKind.ATTEMPT_ENDED and d["outcome"] != "assistant_no_answer":
                busy[d["headset"]].append((started[d["attempt_id"]].at, e.at))
    assert set(busy) == {"assistent1", "assistent2", "assistent3"}
    for spans in busy.values():
        spans.sort()
        assert all(end <= start for (_, end), (start, _) in pairwise(spans))


def test_the_default_practice_has_no_calls_at_the_weekend_and_more_on_monday() -> None:
    """Saturday and Sunday are empty; Mondays bring about half as many calls again as a Tuesday."""
    arrivals: dict[dt.date, int] = defaultdict(int)
    for event in two_weeks().events:
        if event.kind == EventKind.CALL_ARRIVED:
            arrivals[event.at.astimezone(TZ).date()] += 1
    assert not any(day.weekday() >= 5 for day in arrivals)
    assert set(arrivals) == {MONDAY + dt.timedelta(days=n) for n in range(14) if n % 7 < 5}
    mondays = [arrivals[MONDAY], arrivals[MONDAY + dt.timedelta(days=7)]]
    assert all(120 <= count <= 180 for count in mondays)
    assert all(70 <= count <= 130 for day, count in arrivals.items() if day.weekday() != 0)


def test_two_weeks_have_a_plausible_size_and_shape() -> None:
    """About 1,100 calls; most answered in time, most callbacks on time and reached at the first call."""
    truth = two_weeks().truth
    assert 1000 <= truth.calls <= 1500
    assert 0.01 <= truth.outside_hours / truth.calls <= 0.06
    assert 0.02 <= truth.spoed / truth.calls <= 0.09
    assert truth.regular_within_2_min > 0.6 * truth.regular
    assert 0 < truth.regular_abandoned < 0.2 * truth.regular
    assert 0 < truth.regular_over_10_min < 0.02 * truth.regular
    assert truth.kept > 0 and truth.declined > 0 and truth.turned_away > 0 and truth.not_called > 0
    assert truth.on_time > truth.late > truth.early > 0
    assert truth.reached_first > truth.reached_second > 0 and truth.reached_later > 0
    assert truth.not_reached > 0 and truth.spoed_overflowed > 0


def test_the_truth_counts_add_up() -> None:
    """Every part is within its whole, and every slot booking and kept place has exactly one end."""
    t = two_weeks().truth
    assert t.on_time + t.early + t.late + t.not_called == t.slot_bookings == t.confirmed
    assert t.regular_answered + t.regular_abandoned + t.kept <= t.regular
    assert t.regular_within_2_min <= t.regular_answered
    assert t.confirmed + t.declined <= t.offers
    assert t.offers + t.turned_away <= t.calls
    assert t.spoed_within_30 <= t.spoed and len(t.spoed_seconds) == t.spoed - t.spoed_not_answered
    assert t.spoed_within_30 == sum(1 for s in t.spoed_seconds if s <= 30.0)
    ends = t.reached_first + t.reached_second + t.reached_later + t.not_reached + t.not_called
    assert ends == t.slot_bookings + t.kept
    assert sum(t.handled_by_headset.values()) >= t.regular_answered + t.reached_first


def test_the_report_figures_of_the_events_equal_the_truth() -> None:
    """What reports.figures counts from the events is what the generator says it generated."""
    truth = two_weeks().truth
    f = compute_figures(build_stories(two_weeks().events), TZ)
    counted = {
        "calls": f.calls,
        "outside_hours": f.outside_hours,
        "spoed": f.spoed.calls,
        "spoed_within_30": f.spoed.within_norm.count,
        "spoed_overflowed": f.spoed.overflowed,
        "spoed_not_answered": f.spoed.not_answered,
        "regular": f.regular.calls,
        "regular_answered": f.regular.answered,
        "regular_within_2_min": f.regular.within_norm.count,
        "regular_abandoned": f.regular.abandoned.count,
        "regular_over_10_min": f.regular.over_10_min.count,
        "kept": f.kept.kept,
        "offers": f.offers.offered,
        "confirmed": f.offers.confirmed,
        "declined": f.offers.declined,
        "turned_away": f.offers.turned_away,
        "slot_bookings": f.punctuality.bookings,
        "on_time": f.punctuality.on_time.count,
        "early": f.punctuality.early,
        "late": f.punctuality.late,
        "not_called": f.punctuality.not_called,
        "reached_first": f.attempts.reached_first,
        "reached_second": f.attempts.reached_second,
        "reached_later": f.attempts.reached_later,
        "not_reached": f.attempts.not_reached,
    }
    assert counted == {name: getattr(truth, name) for name in counted}
    assert f.spoed.to_person.count == len(truth.spoed_seconds)
    assert f.spoed.to_person.maximum == max(truth.spoed_seconds)
    assert (f.attempts.open, f.attempts.cancelled) == (0, truth.not_called), "every attempt is done"
    assert {a.headset: a.handled for a in f.assistants} == dict(truth.handled_by_headset)
    talk = {a.headset: a.talk_seconds for a in f.assistants}
    assert talk == pytest.approx(dict(truth.talk_seconds_by_headset))


def test_callbacks_of_a_booking_come_at_the_time_of_its_slot() -> None:
    """The first attempt of a slot booking starts within an hour of the slot the caller confirmed."""
    for events in by_call(two_weeks().events).values():
        booked = [e for e in events if e.kind == EventKind.CALLBACK_BOOKED]
        first = next((e for e in events if e.kind == EventKind.ATTEMPT_STARTED), None)
        if booked and first is not None:
            slot = dt.datetime.fromisoformat(booked[0].detail["slot"])
            assert dt.datetime.fromisoformat(first.detail["slot_start"]) == slot
            assert -6 * 60 <= (first.at - slot).total_seconds() <= 60 * 60


def test_opening_hours_are_read_in_the_history_time_zone() -> None:
    """In UTC the menu is chosen between 08:00 and 17:00 UTC; the outside-hours calls fall outside them."""
    history = generate_history(MONDAY, 1, seed=3, tz=ZoneInfo("UTC"))
    calls = by_call(history.events)
    for events in calls.values():
        arrived = events[0].at.time()
        outside = any(e.kind == EventKind.OUTSIDE_HOURS for e in events)
        assert outside == (not dt.time(8) <= arrived < dt.time(17))
    assert any(e.kind == EventKind.CALLBACK_BOOKED for e in history.events)


def test_a_profile_gives_the_shape_of_the_history() -> None:
    """A practice open on Saturday gets Saturday calls; no callers choosing spoed gives no spoed calls."""
    choices = (("queue", 0.6), ("callback", 0.4))
    saturday = dataclasses.replace(
        PracticeProfile(), calls_per_weekday=(0, 0, 0, 0, 0, 40, 0), choices=choices
    )
    history = generate_history(MONDAY + dt.timedelta(days=5), 2, seed=1, profile=saturday)
    days = {e.at.astimezone(TZ).date() for e in history.events if e.kind == EventKind.CALL_ARRIVED}
    assert days == {MONDAY + dt.timedelta(days=5)}
    assert history.truth.spoed == 0 and history.truth.calls > 20


def test_a_profile_whose_shares_do_not_add_up_is_refused() -> None:
    """Menu choices that add up to 90% are a mistake in the profile, not a silent 10% of nothing."""
    with pytest.raises(ValueError, match="choices"):
        PracticeProfile(choices=(("queue", 0.5), ("callback", 0.4)))
