"""Figures from hand-written calls: every expected number here is worked out by hand from the builders."""

from __future__ import annotations

import datetime as dt

import pytest

from reports.figures import compute_figures
from reports.records import build_stories
from storage.call_events import EventKind as K
from tests.unit.reports.calls import MONDAY, TZ, Call, at, attempt, events, offered, queued, spoed


def figures(*calls: Call):
    return compute_figures(build_stories(events(*calls)), TZ)


def test_spoed_counts_answered_within_30_s_and_takes_percentiles_over_answered_calls() -> None:
    """Five spoed calls answered after 10, 20, 30, 31 and 45 s and one given up: 3 of 6 within 30 s."""
    calls = [spoed(at(MONDAY, "08:00", 60 * n), s) for n, s in enumerate([10, 20, 30, 31, 45])]
    calls.append(spoed(at(MONDAY, "09:00"), None))
    calls.append(spoed(at(MONDAY, "09:30"), 50, by="spoed_overflow", overflow_after=40))
    f = figures(*calls)
    assert f.calls == 7
    assert f.spoed.calls == 7
    assert (f.spoed.within_norm.count, f.spoed.within_norm.of) == (3, 7)
    # Nearest rank over 10, 20, 30, 31, 45, 50: p50 is the 3rd value, p90 the 6th.
    assert (f.spoed.to_person.p50, f.spoed.to_person.p90) == (30, 50)
    assert (f.spoed.overflowed, f.spoed.not_answered) == (1, 1)


def test_regular_calls_count_the_2_minute_norm_abandonment_and_the_10_minute_limit() -> None:
    """Answered after 60, 120, 121 and 700 s, abandoned after 45 and 620 s, one kept place: 2 of 6 in norm."""
    start = at(MONDAY, "08:00")
    calls = [queued(start, w, "answered") for w in (60, 120, 121, 700)]
    calls += [queued(start, w, "abandoned") for w in (45, 620)]
    calls.append(queued(start, 300, "kept", request_id=77))
    r = figures(*calls).regular
    assert (r.calls, r.answered) == (7, 4)
    assert (r.within_norm.count, r.within_norm.of) == (2, 6), "the kept place left by choice: not counted"
    assert (r.abandoned.count, r.abandoned.of) == (2, 6)
    assert (r.abandoned_after.p50, r.abandoned_after.maximum) == (45, 620)
    assert dict(r.abandoned_buckets)["30 s - 1 min"] == 1 and dict(r.abandoned_buckets)["> 10 min"] == 1
    assert (r.over_10_min.count, r.over_10_min.of) == (2, 6)
    assert r.left_for_kept_place == 1


def test_offers_count_confirmed_declined_and_turned_away_with_the_time_declined() -> None:
    """Two bookings, one decline of 11:30 offered at 08:00 (210 min ahead), one "vol" for the next day."""
    slot = at(MONDAY, "10:15")
    calls = [
        offered(at(MONDAY, "08:00"), slot, "booked", request_id=1),
        offered(at(MONDAY, "08:10"), slot, "booked", request_id=2),
        offered(at(MONDAY, "07:59", 45), at(MONDAY, "11:30"), "declined"),
        offered(at(MONDAY, "09:00"), slot, "turned_away", next_open_day=MONDAY + dt.timedelta(days=1)),
    ]
    o = figures(*calls).offers
    assert (o.offered, o.confirmed, o.declined, o.turned_away) == (3, 2, 1, 1)
    assert o.declined_lead_minutes.p50 == pytest.approx(210.0)
    assert o.declined_by_hour == (("11:00", 1),)
    assert o.turned_away_by_day == ((MONDAY, 1, MONDAY + dt.timedelta(days=1)),)


def test_punctuality_takes_the_first_time_the_patients_phone_rang_against_the_promised_slot() -> None:
    """Promised 10:15; the patient rang 10:15:05 and 10:29:59 (on time), 10:10:02 (early), 10:45:05, never."""
    slot = at(MONDAY, "10:15")
    calls = []
    minutes = dt.timedelta(minutes=1)
    headset_rang = [slot, slot + 14.9 * minutes, slot - 5.05 * minutes, slot + 30 * minutes]
    for n, start in enumerate(headset_rang):
        call = offered(at(MONDAY, "08:00", n), slot, "booked", request_id=10 + n)
        calls.append(attempt(call, 10 + n, start, "reached", slot=slot, closes="done"))
    calls.append(offered(at(MONDAY, "08:05"), slot, "booked", request_id=20))
    p = figures(*calls).punctuality
    assert (p.bookings, p.called, p.not_called) == (5, 4, 1)
    assert (p.on_time.count, p.on_time.of, p.early, p.late) == (2, 4, 1, 1)
    buckets = dict(p.buckets)
    assert (buckets["-5..0"], buckets["0..5"], buckets["10..15"], buckets["30..60"]) == (1, 1, 1, 1)


def test_attempts_count_reached_at_the_first_or_second_call_and_requests_given_up() -> None:
    """Reached 1st; reached 2nd after a busy one; not reached twice (closed); one still open after a try."""
    slot = at(MONDAY, "10:00")
    first = attempt(offered(at(MONDAY, "08:00"), slot, "booked", request_id=1), 1, slot, "reached", slot=slot)
    second = offered(at(MONDAY, "08:01"), slot, "booked", request_id=2)
    attempt(second, 2, slot, "busy", slot=slot)
    attempt(second, 2, slot + dt.timedelta(minutes=5), "reached", attempt_no=2, slot=slot)
    lost = offered(at(MONDAY, "08:02"), slot, "booked", request_id=3)
    attempt(lost, 3, slot, "not_reached", slot=slot)
    attempt(
        lost, 3, slot + dt.timedelta(minutes=5), "voicemail", attempt_no=2, slot=slot, closes="not_reached"
    )
    waiting = attempt(offered(at(MONDAY, "08:03"), slot, "booked", request_id=4), 4, slot, "busy", slot=slot)
    a = figures(first, second, lost, waiting).attempts
    assert (a.requests, a.calls_to_patients) == (4, 6)
    assert (a.reached_first, a.reached_second, a.not_reached, a.open) == (1, 1, 1, 1)


def test_a_kept_place_waits_from_the_arrival_until_the_patients_phone_rings() -> None:
    """Arrived 08:00, kept the place after 5 min, called back at 08:40 (dialled 5 s later): 40 min wait."""
    call = queued(at(MONDAY, "08:00"), 300, "kept", request_id=5)
    attempt(call, 5, at(MONDAY, "08:39", 55), "reached", kind="kept_place")
    k = figures(call).kept
    assert (k.kept, k.reached) == (1, 1)
    assert k.wait_minutes.p50 == pytest.approx(40.0)


def test_assistants_get_their_handled_calls_talk_time_and_calls_per_hour_on_the_phone() -> None:
    """assistent1 answers two queue calls (2 + 3 min) and spoed (1 min) in two clock hours: 1.5 per hour."""
    calls = [
        queued(at(MONDAY, "08:00"), 30, "answered", talk=120),
        queued(at(MONDAY, "08:10"), 30, "answered", talk=180),
        spoed(at(MONDAY, "09:05"), 10, talk=60),
    ]
    [a1] = figures(*calls).assistants
    assert (a1.headset, a1.handled, a1.talk_seconds, a1.hours_on_phone) == ("assistent1", 3, 360.0, 2)
    assert a1.handled_per_hour == 1.5


def test_a_caller_resumed_by_a_restarted_controller_is_one_call_with_one_wait() -> None:
    """The queue joined under the first controller and left under the second: one call, answered in 90 s."""
    first = Call(at(MONDAY, "08:00")).arrive().event(K.QUEUE_JOINED, entry_id=9, group="balie", rank=0)
    first.after(40).end("controller_stopped")
    second = Call(first.now, call_id="call-after-restart")
    second.event(K.CALL_RESUMED, resumed_from=first.call_id, entry_id=9)
    second.after(50).event(K.QUEUE_LEFT, entry_id=9, outcome="answered", waited_seconds=90.0, headset="a1")
    second.after(60).end()
    f = figures(first, second)
    assert (f.calls, f.regular.calls, f.regular.answered) == (1, 1, 1)
    assert f.regular.wait.p50 == 90.0
