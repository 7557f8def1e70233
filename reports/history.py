"""A seeded, realistic call history of a practice: the trace the controller would have written.

For tests with known answers, for the demo and to show a two-week report. Pure: the same first day,
number of days, seed, time zone and profile give exactly the same events; nothing reads a clock or a
file. The generator counts what it wrote as it goes (`HistoryTruth`), by the definitions of
docs/reports.md, so a report computed from the events can be checked against it.

Calls arrive per quarter-hour by the profile's shape, in arrival order within a day; each one's
callbacks are written with it, under its call id, at the time of the slot (so the history ends with
every attempt done). The assistants' headsets hold one conversation or callback at a time, so a busy
moment makes waits longer and callbacks later.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from zoneinfo import ZoneInfo

from reports.history_callbacks import call_back
from reports.history_calls import arrive, in_hours, outside_hours
from reports.history_kit import CallLog, Desk, Sim, Tally, later
from reports.profile import PracticeProfile
from storage.call_events import NewCallEvent

__all__ = ["History", "HistoryTruth", "PracticeProfile", "generate_history"]

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
DUO = PracticeProfile()  # frozen: one shared default is safe
EARLY_CALLERS_SHARE = 0.6  # of the outside-hours calls: before opening (the rest after closing)
OUTSIDE_WINDOW_SECONDS = (60 * 60.0, 90 * 60.0)  # up to an hour before opening, 1.5 hours after closing


@dataclass(frozen=True)
class HistoryTruth:
    """What the generator knows it generated, counted by the definitions in docs/reports.md."""

    calls: int  # call_arrived
    outside_hours: int
    spoed: int  # spoed_started with route practice
    spoed_within_30: int
    spoed_overflowed: int
    spoed_not_answered: int
    spoed_seconds: tuple[float, ...]  # time to a person of each answered spoed call, in arrival order
    regular: int  # waited through the queue or the headsets option
    regular_answered: int
    regular_within_2_min: int
    regular_abandoned: int
    regular_over_10_min: int  # of the regular calls that did not leave by their own choice
    kept: int  # queue_left outcome kept
    offers: int  # calls with at least one callback_offered
    confirmed: int
    declined: int
    turned_away: int  # heard no offer at all: not among `offers`
    slot_bookings: int
    on_time: int  # punctuality of the slot bookings, from the first call that rang the patient
    early: int
    late: int
    not_called: int
    reached_first: int  # callback requests (slot bookings and kept places) reached at the 1st call
    reached_second: int
    reached_later: int
    not_reached: int
    handled_by_headset: Mapping[str, int]
    talk_seconds_by_headset: Mapping[str, float]


@dataclass(frozen=True)
class History:
    events: tuple[NewCallEvent, ...]  # sorted by `at`
    truth: HistoryTruth


def generate_history(
    first_day: dt.date,
    days: int,
    *,
    seed: int,
    tz: ZoneInfo = AMSTERDAM,
    profile: PracticeProfile = DUO,
) -> History:
    """The calls of `days` days from `first_day` (in `tz`) and every callback they led to."""
    if days < 0:
        raise ValueError(f"days must not be negative, got {days}")
    rng = random.Random(seed)
    sim = Sim(rng=rng, profile=profile, tz=tz, capacity=profile.planning(tz), desk=Desk(rng))
    logs: list[CallLog] = []
    for offset in range(days):
        day = first_day + dt.timedelta(days=offset)
        for number, (arrived, open_) in enumerate(_arrivals(sim, day), start=1):
            log = CallLog(f"gen-{day.isoformat()}-{number:03d}", arrived)
            caller = sim.pick(profile.callers)
            arrive(sim, log, caller)
            if not open_:
                outside_hours(sim, log)
            elif (request := in_hours(sim, log, caller)) is not None:
                call_back(sim, log, request)
            logs.append(log)
    # Stable: events at the same instant keep the order in which they were written.
    events = sorted((event for log in logs for event in log.events), key=lambda event: event.at)
    return History(events=tuple(events), truth=_truth(sim.tally))


def _arrivals(sim: Sim, day: dt.date) -> list[tuple[dt.datetime, bool]]:
    """The day's arrivals (UTC, to the millisecond) in order, each with whether the practice was open."""
    profile, rng = sim.profile, sim.rng
    mean = profile.expected_calls(day)
    count = max(0, round(rng.gauss(mean, math.sqrt(mean)))) if mean > 0 else 0
    opens = dt.datetime.combine(day, profile.opens, sim.tz)
    closes = dt.datetime.combine(day, profile.closes, sim.tz)
    quarters = range(len(profile.quarter_weights))
    arrivals: list[tuple[dt.datetime, bool]] = []
    for _ in range(count):
        if sim.chance(profile.outside_hours_share):
            if sim.chance(EARLY_CALLERS_SHARE):
                moment = later(opens, -rng.uniform(1.0, OUTSIDE_WINDOW_SECONDS[0]))
            else:
                moment = later(closes, rng.uniform(1.0, OUTSIDE_WINDOW_SECONDS[1]))
            arrivals.append((moment, False))
            continue
        quarter = rng.choices(quarters, weights=profile.quarter_weights)[0]
        arrivals.append((later(opens, quarter * 900.0 + rng.uniform(0.0, 899.999)), True))
    return sorted((moment.astimezone(dt.UTC), open_) for moment, open_ in arrivals)


def _truth(tally: Tally) -> HistoryTruth:
    return HistoryTruth(
        calls=tally.calls,
        outside_hours=tally.outside_hours,
        spoed=tally.spoed,
        spoed_within_30=tally.spoed_within_30,
        spoed_overflowed=tally.spoed_overflowed,
        spoed_not_answered=tally.spoed_not_answered,
        spoed_seconds=tuple(tally.spoed_seconds),
        regular=tally.regular,
        regular_answered=tally.regular_answered,
        regular_within_2_min=tally.regular_within_2_min,
        regular_abandoned=tally.regular_abandoned,
        regular_over_10_min=tally.regular_over_10_min,
        kept=tally.kept,
        offers=tally.offers,
        confirmed=tally.confirmed,
        declined=tally.declined,
        turned_away=tally.turned_away,
        slot_bookings=tally.slot_bookings,
        on_time=tally.on_time,
        early=tally.early,
        late=tally.late,
        not_called=tally.not_called,
        reached_first=tally.reached_first,
        reached_second=tally.reached_second,
        reached_later=tally.reached_later,
        not_reached=tally.not_reached,
        handled_by_headset=MappingProxyType(dict(sorted(tally.handled_by_headset.items()))),
        talk_seconds_by_headset=MappingProxyType(dict(sorted(tally.talk_seconds_by_headset.items()))),
    )
