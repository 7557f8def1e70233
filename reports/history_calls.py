"""One generated call from its arrival to its hang-up, traced the way the controller traces a real one.

The steps and their detail fields follow ivr/core/controller.py (arrival, end), ivr/menu/runner.py (menu
choice, outside hours, the headsets option), ivr/spoed.py, ivr/queue/wait.py and ivr/callback/offer.py.
Each step is counted in the tally as it is written. A call that asks for a callback (a booked slot or a
kept place) returns its `Request`; the callbacks themselves are reports.history_callbacks.
"""

from __future__ import annotations

import datetime as dt
import math

from capacity.planner import Booking, NoSlot, Offer, earliest_slot
from reports.history_callbacks import Request
from reports.history_kit import CallLog, Sim, later, seconds_between
from storage.call_events import EventKind, QueueExit, SpoedEnd
from storage.status import NumberSource, RequestKind

# The generated practice's main menu: the key of each option (the queue is also the default).
MENU_KEYS = {"spoed": "1", "headsets": "2", "callback": "4", "queue": "5"}
DEFAULT_CHOICE_SHARE = 0.05  # of the queue's callers: pressed nothing, the menu's default applied
KEEP_PLACE_AFTER_SECONDS = 180  # the queue offers to keep the place when the expected wait is longer
KEEP_PLACE_WHEN_AHEAD = 3  # ... or when more callers than this are ahead
ANNOUNCE_EVERY_SECONDS = 45
FIRST_ANNOUNCEMENT_SECONDS = 8.0  # after the queue's welcome prompt


def arrive(sim: Sim, log: CallLog, caller: str) -> None:
    sim.tally.calls += 1
    log.add(EventKind.CALL_ARRIVED, log.arrived, caller=caller)


def outside_hours(sim: Sim, log: CallLog) -> None:
    """The closed prompt; a few press spoed and are put through to the huisartsenpost."""
    sim.tally.outside_hours += 1
    heard = log.add(EventKind.OUTSIDE_HOURS, later(log.arrived, 0.2))
    if sim.chance(sim.profile.huisartsenpost_share):
        started = log.add(
            EventKind.SPOED_STARTED, later(heard, sim.between(4, 12)), route="huisartsenpost", headsets=0
        )
        answered = later(started, sim.between(8, 40))
        seconds = seconds_between(started, answered)
        log.add(EventKind.SPOED_ANSWERED, answered, by="huisartsenpost", seconds=seconds, overflowed=False)
        log.end(later(answered, sim.talk(240.0)), _conversation_end(sim))
    elif sim.chance(0.6):
        log.end(later(heard, sim.between(3, 15)), "patient_hung_up")
    else:
        log.end(later(heard, sim.between(20, 26)), "completed")  # the prompt, then 5 s for the spoed key


def in_hours(sim: Sim, log: CallLog, caller: str) -> Request | None:
    """The main menu and the option chosen; the callback request the call made, if any."""
    profile = sim.profile
    choice = sim.pick(profile.choices)
    if choice == "none":
        log.end(later(log.arrived, sim.between(2, 20)), "patient_hung_up")
        return None
    by_default = choice == "queue" and sim.chance(DEFAULT_CHOICE_SHARE)
    if by_default:
        after = sim.between(36, 45)  # the menu repeated after silence, then its default
    elif choice == "spoed":
        after = sim.between(2, 6)  # spoed is the first thing the welcome says
    else:
        after = sim.between(6, 14)
    group = {"queue": profile.queue_group, "headsets": profile.headsets_group}.get(choice)
    chosen = log.add(
        EventKind.MENU_CHOICE,
        later(log.arrived, after),
        path="",
        key=None if by_default else MENU_KEYS[choice],
        option=choice,
        group=group,
    )
    if choice == "spoed":
        spoed(sim, log, chosen)
    elif choice == "headsets":
        headsets(sim, log, chosen)
    elif choice == "callback":
        return offer(sim, log, chosen, caller)
    else:
        return queue(sim, log, chosen, caller)
    return None


def spoed(sim: Sim, log: CallLog, chosen: dt.datetime) -> None:
    """The spoed headsets ring; after `spoed_overflow_after` seconds the overflow number rings instead."""
    profile, tally = sim.profile, sim.tally
    started = log.add(
        EventKind.SPOED_STARTED, later(chosen, 0.05), route="practice", headsets=len(profile.headsets)
    )
    tally.spoed += 1
    overflow_at = later(started, profile.spoed_overflow_after)
    if sim.chance(profile.spoed_given_up_share):
        gone = later(started, sim.between(15, 60))
        if gone > overflow_at:
            _overflowed(sim, log, started, overflow_at)
        seconds = seconds_between(started, gone)
        log.add(EventKind.SPOED_GIVEN_UP, gone, reason=str(SpoedEnd.HUNG_UP), seconds=seconds)
        tally.spoed_not_answered += 1
        log.end(later(gone, 0.02), "patient_hung_up")
        return
    talk = sim.talk(profile.mean_talk)
    headset: str | None = None
    answered = overflow_at
    if not sim.chance(profile.spoed_overflow_share):
        rings = later(started, sim.rng.triangular(3.0, profile.spoed_overflow_after - 1.0, 9.0))
        free, start = sim.desk.earliest(profile.staffed(sim.local(started)), rings, talk)
        if start == rings:  # somebody free picks up; if all are in a conversation it overflows
            headset, answered = free, rings
    if headset is None:
        _overflowed(sim, log, started, overflow_at)
        answered = later(overflow_at, sim.between(4, 30))
    else:
        sim.desk.take(headset, answered, later(answered, talk))
    seconds = seconds_between(started, answered)
    log.add(
        EventKind.SPOED_ANSWERED,
        answered,
        by=headset or "spoed_overflow",
        seconds=seconds,
        overflowed=headset is None,
    )
    ended = log.end(later(answered, talk), _conversation_end(sim))
    tally.spoed_seconds.append(seconds)
    tally.spoed_within_30 += seconds <= 30.0
    if headset is not None:
        tally.handled(headset, (ended - answered).total_seconds())


def _overflowed(sim: Sim, log: CallLog, started: dt.datetime, at: dt.datetime) -> None:
    log.add(EventKind.SPOED_OVERFLOWED, at, round=1, seconds=seconds_between(started, at))
    sim.tally.spoed_overflowed += 1


def queue(sim: Sim, log: CallLog, chosen: dt.datetime, caller: str) -> Request | None:
    """The live queue: answered, abandoned, or the caller keeps the place and is called back."""
    profile, tally = sim.profile, sim.tally
    entry_id = next(sim.entry_ids)
    joined = log.add(
        EventKind.QUEUE_JOINED, later(chosen, 0.05), entry_id=entry_id, group=profile.queue_group, rank=1
    )
    local = sim.local(joined)
    peak = profile.is_peak(local)
    if peak and sim.chance(profile.very_long_wait_share):
        wait = sim.between(600, 900)
    else:
        wait = 3.0 + sim.rng.expovariate(1.0 / (profile.peak_mean_wait if peak else profile.mean_wait))
    patience = 10.0 + sim.rng.expovariate(1.0 / profile.mean_patience)
    talk = sim.talk(profile.mean_talk)
    staffed = profile.staffed(local)
    headset, answer = sim.desk.earliest(staffed, later(joined, wait), talk)
    wait = seconds_between(joined, answer)  # later than drawn when every headset was in a conversation
    keep = None
    # Offered from the first announcement when the wait is long; pressed after hearing it a while.
    if (
        caller == "number"
        and wait > KEEP_PLACE_AFTER_SECONDS
        and patience > 60
        and sim.chance(profile.keep_share)
    ):
        keep = sim.between(40, min(wait, patience, 420))
    leave = keep if keep is not None else min(wait, patience)
    _announce(sim, log, joined, entry_id, wait, leave, len(staffed), caller)
    if keep is not None:
        left = later(joined, keep)
        request_id = next(sim.request_ids)
        waited = seconds_between(joined, left)
        log.add(
            EventKind.QUEUE_LEFT,
            left,
            entry_id=entry_id,
            outcome=str(QueueExit.KEPT),
            waited_seconds=waited,
            request_id=request_id,
            number_source=str(NumberSource.CALLER_ID),
        )
        tally.regular_wait("kept", waited)
        log.end(later(left, sim.between(5, 9)), "completed")
        return Request(request_id, RequestKind.KEPT_PLACE, asked_at=left, due_at=joined)
    if patience < wait:
        left = later(joined, patience)
        waited = seconds_between(joined, left)
        log.add(
            EventKind.QUEUE_LEFT,
            left,
            entry_id=entry_id,
            outcome=str(QueueExit.ABANDONED),
            waited_seconds=waited,
        )
        tally.regular_wait("abandoned", waited)
        log.end(later(left, 0.02), "patient_hung_up")
        return None
    sim.desk.take(headset, answer, later(answer, talk))
    log.add(
        EventKind.QUEUE_LEFT,
        answer,
        entry_id=entry_id,
        outcome=str(QueueExit.ANSWERED),
        waited_seconds=wait,
        headset=headset,
    )
    tally.regular_wait("answered", wait)
    ended = log.end(later(answer, talk), _conversation_end(sim))
    tally.handled(headset, (ended - answer).total_seconds())
    return None


def _announce(
    sim: Sim,
    log: CallLog,
    joined: dt.datetime,
    entry_id: int,
    wait: float,
    leave: float,
    staffed: int,
    caller: str,
) -> None:
    """Position and expected wait, each time they change (the expected wait is never raised once said)."""
    per_caller = sim.profile.minutes_per_call * 60.0 / staffed
    said: tuple[int, int, bool] | None = None
    at = FIRST_ANNOUNCEMENT_SECONDS
    while at < leave:
        position = max(1, math.ceil((wait - at) / per_caller))
        expected = round(position * per_caller)
        if said is not None:
            expected = min(expected, said[1])
        ahead = position - 1
        keep = caller == "number" and (expected > KEEP_PLACE_AFTER_SECONDS or ahead > KEEP_PLACE_WHEN_AHEAD)
        if (position, expected, keep) != said:
            said = (position, expected, keep)
            log.add(
                EventKind.QUEUE_ANNOUNCED,
                later(joined, at),
                entry_id=entry_id,
                position=position,
                expected_seconds=expected,
                keep_offered=keep,
            )
        at += ANNOUNCE_EVERY_SECONDS


def headsets(sim: Sim, log: CallLog, chosen: dt.datetime) -> None:
    """The headsets option: every assistant on the phone rings at once, until one answers or it times out."""
    profile, tally = sim.profile, sim.tally
    group = profile.headsets_group
    staffed = profile.staffed(sim.local(chosen))
    rung = log.add(EventKind.HEADSETS_RUNG, later(chosen, 0.05), group=group, headsets=len(staffed))
    talk = sim.talk(profile.mean_talk)
    headset, answer = sim.desk.earliest(staffed, later(rung, sim.between(3, 30)), talk)
    waited = seconds_between(rung, answer)
    patience = sim.between(10, 90) if sim.chance(0.1) else math.inf
    timeout = profile.headsets_timeout
    if min(waited, timeout) > patience:
        gone = later(rung, patience)
        seconds = seconds_between(rung, gone)
        log.add(EventKind.HEADSETS_UNANSWERED, gone, group=group, result="hung_up", seconds=seconds)
        tally.regular_wait("abandoned", seconds)
        log.end(later(gone, 0.02), "patient_hung_up")
    elif waited > timeout:
        given_up = later(rung, timeout)
        seconds = seconds_between(rung, given_up)
        log.add(EventKind.HEADSETS_UNANSWERED, given_up, group=group, result="no_answer", seconds=seconds)
        tally.regular_wait("no_answer", seconds)
        log.end(later(given_up, sim.between(6, 9)), "completed")  # the no-answer prompt
    else:
        sim.desk.take(headset, answer, later(answer, talk))
        log.add(EventKind.HEADSETS_ANSWERED, answer, group=group, by=headset, seconds=waited)
        tally.regular_wait("answered", waited)
        ended = log.end(later(answer, talk), _conversation_end(sim))
        tally.handled(headset, (ended - answer).total_seconds())


def offer(sim: Sim, log: CallLog, chosen: dt.datetime, caller: str) -> Request | None:
    """The earliest callback time: confirmed, a later one asked for, declined, or none left today."""
    profile, tally = sim.profile, sim.tally
    # A caller without a usable caller id types the number first.
    asked = later(chosen, sim.between(1, 3) if caller == "number" else sim.between(15, 30))
    found = earliest_slot(sim.capacity, sim.bookings, asked)
    if isinstance(found, NoSlot):
        next_day = found.next_open_day.isoformat() if found.next_open_day else None
        told = log.add(EventKind.CALLBACK_TURNED_AWAY, asked, reason=found.reason, next_open_day=next_day)
        tally.turned_away += 1
        log.end(later(told, sim.between(10, 16)), "completed")
        return None
    tally.offers += 1
    heard = log.add(EventKind.CALLBACK_OFFERED, asked, slot=found.slot_start.isoformat())
    if sim.chance(profile.offer_hang_up_share):
        gone = later(heard, sim.between(3, 10))
        log.add(EventKind.CALLBACK_ABANDONED, gone, stage="offer", slot=found.slot_start.isoformat())
        log.end(later(gone, 0.02), "patient_hung_up")
        return None
    if sim.chance(profile.later_time_share):
        pressed = later(heard, sim.between(7, 10))
        other = earliest_slot(sim.capacity, sim.bookings, pressed, after=found.slot_start)
        found = other if isinstance(other, Offer) else found  # none later: the same time again
        heard = log.add(EventKind.CALLBACK_OFFERED, later(pressed, 1.5), slot=found.slot_start.isoformat())
    slot = found.slot_start.isoformat()
    hours_ahead = (found.slot_start - heard).total_seconds() / 3600.0
    extra = profile.decline_per_hour_ahead * max(0.0, hours_ahead - 1.0)
    if sim.chance(min(profile.max_decline_share, profile.decline_share + extra)):
        # No key: the offer is repeated once, then the call ends with nothing booked.
        again = log.add(EventKind.CALLBACK_OFFERED, later(heard, sim.between(11, 13)), slot=slot)
        declined = log.add(EventKind.CALLBACK_DECLINED, later(again, sim.between(11, 13)), slot=slot)
        tally.declined += 1
        log.end(later(declined, sim.between(4, 7)), "completed")
        return None
    request_id = next(sim.request_ids)
    booked = log.add(
        EventKind.CALLBACK_BOOKED, later(heard, sim.between(3, 8)), request_id=request_id, slot=slot
    )
    sim.bookings.append(Booking(found.slot_start))
    tally.confirmed += 1
    tally.slot_bookings += 1
    log.end(later(booked, sim.between(5, 9)), "completed")
    return Request(
        request_id,
        RequestKind.SLOT,
        asked_at=booked,
        due_at=found.slot_start,
        slot_start=found.slot_start,
        slot_end=found.slot_end,
    )


def _conversation_end(sim: Sim) -> str:
    """Who ended a conversation: the patient hung up, or the assistant did and the flow completed."""
    return "patient_hung_up" if sim.chance(0.6) else "completed"
