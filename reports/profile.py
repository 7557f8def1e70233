"""The shape of a practice's telephone days, for generating a realistic call history (reports.history).

The defaults are a "Duo" practice (two GPs, seed 001): about 150 calls on a Monday and 100 on the other
weekdays, none at the weekend, half of them before 10:00; three assistants on the phone in the morning
and two in the afternoon; callback blocks 10:00-12:00 and 14:00-16:00 of three calls per slot, and a
caller who finds today full hears so ("full_today").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from capacity.config import CapacityConfig
from capacity.schedule import is_closed_day

# Relative arrivals per quarter-hour from 08:00 to 17:00: high until 09:30, then falling off, with a dip
# at lunch and a quiet last hour (the shape practices report: about half the calls before 10:00).
DEFAULT_QUARTER_WEIGHTS: tuple[float, ...] = (
    *(10.0, 10.0, 9.0, 9.0, 8.0, 7.0, 6.0, 5.0),  # 08:00-10:00
    *(4.5, 4.0, 4.0, 3.5, 3.5, 3.0, 3.0, 2.5),  # 10:00-12:00
    *(2.0, 1.5, 1.5, 1.5, 2.0, 2.0, 2.5, 2.5),  # 12:00-14:00
    *(2.5, 2.5, 2.5, 2.0, 2.0, 2.0, 2.0, 1.5),  # 14:00-16:00
    *(1.5, 1.5, 1.0, 1.0),  # 16:00-17:00
)
# What a caller in opening hours chooses in the menu; "none" hangs up before choosing.
DEFAULT_CHOICES: tuple[tuple[str, float], ...] = (
    ("queue", 0.50),
    ("callback", 0.35),
    ("headsets", 0.07),
    ("spoed", 0.05),
    ("none", 0.03),
)
# call_arrived.caller: a usable Dutch caller id, withheld, or unusable (foreign, malformed).
DEFAULT_CALLERS: tuple[tuple[str, float], ...] = (("number", 0.92), ("withheld", 0.06), ("unusable", 0.02))
# How a call to the patient that did not reach them ended (AttemptOutcome).
DEFAULT_MISSES: tuple[tuple[str, float], ...] = (("not_reached", 0.5), ("busy", 0.2), ("voicemail", 0.3))


def duo_capacity() -> CapacityConfig:
    """The Duo practice's callback blocks: one assistant 10-12 and 14-16, two on Friday morning."""
    block = {"assistants": 1}
    day = ({"start": "10:00", "end": "12:00", **block}, {"start": "14:00", "end": "16:00", **block})
    friday = (
        {"start": "10:00", "end": "12:00", "assistants": 2},
        {"start": "14:00", "end": "15:30", **block},
    )
    return CapacityConfig.model_validate(
        {
            "calls_per_assistant_per_hour": 12,
            "slot_minutes": 15,
            "blocks": {"monday": day, "tuesday": day, "wednesday": day, "thursday": day, "friday": friday},
            "min_lead_minutes": 15,
            "when_today_full": "say_full",
            "priority_reserved_per_slot": 0,
        }
    )


@dataclass(frozen=True)
class PracticeProfile:
    """How many call when, what they choose, how long things take: the knobs of the generated history.

    Shares are probabilities per call (or per attempt); times are seconds unless the name says otherwise.
    """

    calls_per_weekday: tuple[float, ...] = (150.0, 100.0, 100.0, 100.0, 100.0, 0.0, 0.0)  # Monday first
    opens: dt.time = dt.time(8, 0)
    closes: dt.time = dt.time(17, 0)
    quarter_weights: tuple[float, ...] = DEFAULT_QUARTER_WEIGHTS  # one per quarter from `opens` to `closes`
    peak_until: dt.time = dt.time(10, 0)  # the morning peak: longer waits in the queue
    outside_hours_share: float = 0.03  # of the calls: before opening or after closing
    huisartsenpost_share: float = 0.1  # of the outside-hours callers: press spoed for the huisartsenpost
    headsets: tuple[str, ...] = ("assistent1", "assistent2", "assistent3")
    afternoon_from: dt.time = dt.time(12, 0)
    afternoon_headsets: int = 2  # the first this many of `headsets` are on the phone in the afternoon
    choices: tuple[tuple[str, float], ...] = DEFAULT_CHOICES
    callers: tuple[tuple[str, float], ...] = DEFAULT_CALLERS
    # The live queue.
    queue_group: str = "overige"
    mean_wait: float = 45.0
    peak_mean_wait: float = 100.0
    very_long_wait_share: float = 0.02  # of the peak's queue callers: an assistant-free 10-15 minutes
    mean_patience: float = 600.0  # exponential: callers hang up after this long on average
    keep_share: float = 0.4  # of callers with a number and a wait past 3 minutes: keep their place
    mean_talk: float = 150.0
    minutes_per_call: float = 4.0  # what the queue announces per caller ahead
    # The headsets option (ringing the assistants directly), e.g. for other care providers.
    headsets_group: str = "zorgverleners"
    headsets_timeout: float = 120.0
    # Spoed.
    spoed_overflow_after: float = 25.0
    spoed_overflow_share: float = 0.06
    spoed_given_up_share: float = 0.02
    # The callback offer.
    capacity: CapacityConfig = field(default_factory=duo_capacity)
    later_time_share: float = 0.08  # asks for a later time before confirming
    offer_hang_up_share: float = 0.02
    decline_share: float = 0.03  # declined at once; more when the time offered is further ahead:
    decline_per_hour_ahead: float = 0.05  # ... plus this per hour past the first, at most max_decline
    max_decline_share: float = 0.5
    cancelled_share: float = 0.02  # slot bookings deleted on the screen before the slot (never called)
    # Callback attempts.
    early_share: float = 0.04  # the patient's phone rang 1-5 minutes before the promised time
    late_share: float = 0.12  # ... more than 15 minutes after it
    reach_shares: tuple[float, ...] = (0.8, 0.6, 0.5)  # per call to the patient; its length: max attempts
    misses: tuple[tuple[str, float], ...] = DEFAULT_MISSES
    retry_after: float = 300.0
    assistant_no_answer_share: float = 0.03
    headset_ring_seconds: float = 20.0
    mean_callback_talk: float = 120.0
    screen_user: str = "balie"  # who deletes a booking on the screen

    def __post_init__(self) -> None:
        if len(self.calls_per_weekday) != 7:
            raise ValueError("calls_per_weekday needs 7 numbers, Monday first")
        quarters = (_minute(self.closes) - _minute(self.opens)) // 15
        if quarters <= 0 or len(self.quarter_weights) != quarters:
            raise ValueError(f"quarter_weights needs {quarters} weights, one per quarter of opening hours")
        if not self.headsets or not 1 <= self.afternoon_headsets <= len(self.headsets):
            raise ValueError("needs headsets, and 1 <= afternoon_headsets <= len(headsets)")
        if not self.reach_shares:
            raise ValueError("reach_shares needs at least one attempt")
        for name in ("choices", "callers", "misses"):
            total = sum(share for _, share in getattr(self, name))
            if abs(total - 1.0) > 1e-6:
                raise ValueError(f"the shares of {name} add up to {total}, not 1")

    @property
    def max_attempts(self) -> int:
        return len(self.reach_shares)

    def expected_calls(self, day: dt.date) -> float:
        """Calls expected on `day`; none when the practice is closed (a public holiday or closed date)."""
        if is_closed_day(self.capacity, day):
            return 0.0
        return self.calls_per_weekday[day.weekday()]

    def staffed(self, local: dt.datetime) -> tuple[str, ...]:
        """The headsets on the phone at this local time."""
        if local.time() >= self.afternoon_from:
            return self.headsets[: self.afternoon_headsets]
        return self.headsets

    def is_peak(self, local: dt.datetime) -> bool:
        return self.opens <= local.time() < self.peak_until

    def planning(self, tz: ZoneInfo) -> CapacityConfig:
        """The capacity file in the history's time zone (the planner reads its clock times there)."""
        if self.capacity.timezone == tz.key:
            return self.capacity
        return CapacityConfig.model_validate({**self.capacity.model_dump(), "timezone": tz.key})


def _minute(moment: dt.time) -> int:
    return moment.hour * 60 + moment.minute
