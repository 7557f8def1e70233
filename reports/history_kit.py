"""The parts the history generator shares: one call's events, the assistants' headsets, the tally.

Times are kept to the millisecond and the detail's seconds are taken from those times, rounded like the
controller's trace (3 decimals), so ``answered.at - started.at`` and ``answered.detail["seconds"]`` agree.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import math
import random
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from capacity.config import CapacityConfig
from capacity.planner import Booking
from reports.profile import PracticeProfile
from storage.call_events import EventKind, NewCallEvent


def later(moment: dt.datetime, seconds: float) -> dt.datetime:
    """`moment` plus `seconds`, to the millisecond."""
    return moment + dt.timedelta(milliseconds=round(seconds * 1000))


def seconds_between(start: dt.datetime, end: dt.datetime) -> float:
    return round((end - start).total_seconds(), 3)


def iso(moment: dt.datetime | None) -> str | None:
    """A time in a detail as the database gives it back: ISO text in UTC."""
    return None if moment is None else moment.astimezone(dt.UTC).isoformat()


class CallLog:
    """One caller's events (the call and its callbacks) in the order they happen, each after the last."""

    def __init__(self, call_id: str, arrived: dt.datetime) -> None:
        self.call_id = call_id
        self.arrived = arrived
        self.events: list[NewCallEvent] = []

    @property
    def last(self) -> dt.datetime | None:
        return self.events[-1].at if self.events else None

    def add(self, kind: EventKind, at: dt.datetime, **detail: Any) -> dt.datetime:
        at = at.astimezone(dt.UTC)
        if self.last is not None and at <= self.last:
            raise ValueError(f"{self.call_id}: {kind} at {at} is not after {self.last}")
        self.events.append(NewCallEvent(self.call_id, str(kind), at, detail))
        return at

    def end(self, at: dt.datetime, reason: str) -> dt.datetime:
        return self.add(EventKind.CALL_ENDED, at, reason=reason, seconds=seconds_between(self.arrived, at))


class Desk:
    """When each headset is in a conversation or a callback: one at a time, never two at once."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._starts: defaultdict[str, list[dt.datetime]] = defaultdict(list)
        self._ends: defaultdict[str, list[dt.datetime]] = defaultdict(list)

    def free_from(self, headset: str, at: dt.datetime, seconds: float) -> dt.datetime:
        """The earliest start from `at` on at which `headset` is free for `seconds`."""
        starts, ends = self._starts[headset], self._ends[headset]
        start = at
        # The intervals never overlap, so their ends are sorted too: skip those over before `at`.
        for index in range(bisect.bisect_right(ends, at), len(starts)):
            if starts[index] >= later(start, seconds):
                break
            start = max(start, ends[index])
        return start

    def earliest(self, headsets: Sequence[str], at: dt.datetime, seconds: float) -> tuple[str, dt.datetime]:
        """The headset free soonest from `at` for `seconds`, and when; a tie is drawn at random."""
        options = [(self.free_from(h, at, seconds), h) for h in sorted(headsets)]
        first = min(start for start, _ in options)
        return self.rng.choice([h for start, h in options if start == first]), first

    def take(self, headset: str, start: dt.datetime, end: dt.datetime) -> None:
        index = bisect.bisect_left(self._starts[headset], start)
        self._starts[headset].insert(index, start)
        self._ends[headset].insert(index, end)


@dataclass
class Tally:
    """What the generator wrote, counted as it goes by the definitions in docs/reports.md."""

    calls: int = 0
    outside_hours: int = 0
    spoed: int = 0
    spoed_within_30: int = 0
    spoed_overflowed: int = 0
    spoed_not_answered: int = 0
    spoed_seconds: list[float] = field(default_factory=list)
    regular: int = 0
    regular_answered: int = 0
    regular_within_2_min: int = 0
    regular_abandoned: int = 0
    regular_over_10_min: int = 0
    kept: int = 0
    offers: int = 0
    confirmed: int = 0
    declined: int = 0
    turned_away: int = 0
    slot_bookings: int = 0
    on_time: int = 0
    early: int = 0
    late: int = 0
    not_called: int = 0
    reached_first: int = 0
    reached_second: int = 0
    reached_later: int = 0
    not_reached: int = 0
    handled_by_headset: Counter[str] = field(default_factory=Counter)
    talk_seconds_by_headset: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))

    def handled(self, headset: str, talk_seconds: float) -> None:
        self.handled_by_headset[headset] += 1
        self.talk_seconds_by_headset[headset] += talk_seconds

    def reached(self, calls: int) -> None:
        """A request reached at its `calls`-th call to the patient."""
        if calls == 1:
            self.reached_first += 1
        elif calls == 2:
            self.reached_second += 1
        else:
            self.reached_later += 1

    def regular_wait(self, outcome: str, waited: float) -> None:
        """One regular call's wait: `outcome` answered, abandoned, kept or no_answer."""
        self.regular += 1
        if outcome == "kept":
            self.kept += 1
            return  # left by choice: not in the 2-minute or the 10-minute figure
        if outcome == "answered":
            self.regular_answered += 1
            self.regular_within_2_min += waited <= 120.0
        elif outcome == "abandoned":
            self.regular_abandoned += 1
        self.regular_over_10_min += waited >= 600.0


@dataclass
class Sim:
    """Everything one history's calls share: the draws, the headsets, the bookings, the ids, the tally."""

    rng: random.Random
    profile: PracticeProfile
    tz: ZoneInfo
    capacity: CapacityConfig
    desk: Desk
    tally: Tally = field(default_factory=Tally)
    bookings: list[Booking] = field(default_factory=list)
    request_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    attempt_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    entry_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def local(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(self.tz)

    def pick(self, shares: Sequence[tuple[str, float]]) -> str:
        """One of the names, drawn by its share."""
        names = [name for name, _ in shares]
        return self.rng.choices(names, weights=[share for _, share in shares])[0]

    def chance(self, share: float) -> bool:
        return self.rng.random() < share

    def between(self, low: float, high: float) -> float:
        """A length drawn evenly, to the millisecond (so steps added one by one equal their sum)."""
        return round(self.rng.uniform(low, high), 3)

    def talk(self, mean: float) -> float:
        """A conversation's length: skewed like real ones (lognormal), at least 20 seconds."""
        sigma = 0.5
        return round(max(20.0, self.rng.lognormvariate(_log_mean(mean, sigma), sigma)), 3)


def _log_mean(mean: float, sigma: float) -> float:
    # The lognormal's mean is exp(mu + sigma^2 / 2): choose mu so the conversations average `mean`.
    return math.log(mean) - sigma * sigma / 2
