"""Staffing advice from the practice's own history: assistants per weekday and block, callback slots.

The capacity file says how many assistants make callbacks in each block; this compares it with what the
measured traffic needs to meet the norms (Erlang A with the measured patience, Erlang C when nobody hung up)
and with how many callbacks a slot can keep at the measured handling time. Stretches of the day outside the
file's blocks that had calls (the 08:00-10:00 peak, typically) get advice too, with no file figure beside it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from capacity.config import CallbackBlock, CapacityConfig
from capacity.erlang import agents_needed, callback_slots
from capacity.schedule import is_closed_day
from reports.figures import REGULAR_NORM_SECONDS, SPOED_NORM_SECONDS, regular_wait
from reports.records import CallStory

REGULAR_TARGET_SHARE = 0.75  # InEen: 75% of non-urgent calls within 2 minutes
SPOED_TARGET_SHARE = 0.90  # LHV: 90% of spoed calls to a person within 30 seconds
# Used when the history has no answered call to measure (a new install): a typical GP practice call.
DEFAULT_HANDLE_SECONDS = 180.0
# capacity.erlang.callback_slots' default: room for unanswered first tries and the note afterwards.
CALLBACK_UTILISATION = 0.85


@dataclass(frozen=True)
class Measured:
    """The practice-wide measurements the advice uses; None where the history has nothing to measure."""

    regular_handle_seconds: float | None
    spoed_handle_seconds: float | None
    patience_seconds: float | None  # None: nobody hung up, so Erlang C
    callback_handle_seconds: float | None  # all attempts' time per request handled


@dataclass(frozen=True)
class BlockAdvice:
    weekday: int  # 0 = Monday
    start: str  # "10:00"
    end: str
    days: int  # how many such weekdays the period held (open days)
    regular_per_hour: float
    spoed_per_hour: float
    assistants_needed_regular: int | None  # None: no calls, or beyond 200 assistants
    assistants_needed_spoed: int | None
    callbacks_per_hour: float  # promised callbacks (slot bookings) whose slot lies in this stretch
    # Callbacks are booked, not queued: their load (per hour x time per callback) at 85% utilisation.
    assistants_needed_callbacks: int | None
    assistants_in_file: int | None  # None: outside the file's callback blocks
    callback_slots_advised: int | None  # per slot, with the file's assistants at the measured time
    callback_slots_in_file: int | None

    @property
    def assistants_needed(self) -> int | None:
        needs = [n for n in (self.assistants_needed_regular, self.assistants_needed_spoed) if n is not None]
        return max(needs) if needs else None


def measure(stories: Sequence[CallStory]) -> Measured:
    """Handling times and patience over the whole period (per block they would be too few to trust)."""
    regular_talk: list[float] = []
    waited = 0.0
    hung_up = 0
    for story in stories:
        wait = regular_wait(story)
        if wait is None:
            continue
        waited += max(wait.waited_seconds or 0.0, 0.0)
        hung_up += wait.outcome == "abandoned"
        if wait.answered and wait.answered_at is not None and story.ended_at is not None:
            regular_talk.append((story.ended_at - wait.answered_at).total_seconds())
    spoed_talk = [
        (s.ended_at - c.answered_at).total_seconds()
        for s in stories
        for c in s.spoed[:1]
        if c.answered_at is not None and s.ended_at is not None and s.ended_at >= c.answered_at
    ]
    attempt_seconds = sum(a.seconds or 0.0 for s in stories for a in s.attempts)
    handled = sum(1 for s in stories for rid in s.requests() if s.attempts_of(rid))
    return Measured(
        regular_handle_seconds=_mean([t for t in regular_talk if t > 0]),
        spoed_handle_seconds=_mean([t for t in spoed_talk if t > 0]),
        # Exponential patience, callers answered before they hung up being censored: total wait / hang-ups.
        patience_seconds=waited / hung_up if hung_up and waited > 0 else None,
        callback_handle_seconds=attempt_seconds / handled if handled and attempt_seconds > 0 else None,
    )


def staffing_advice(
    stories: Sequence[CallStory], config: CapacityConfig, first_day: dt.date, last_day: dt.date
) -> tuple[BlockAdvice, ...]:
    """Advice for each weekday of the period and each stretch of it: the file's blocks and the rest."""
    tz = config.tz
    measured = measure(stories)
    open_days = [
        first_day + dt.timedelta(days=n)
        for n in range((last_day - first_day).days + 1)
        if not is_closed_day(config, first_day + dt.timedelta(days=n))
    ]
    rows: list[BlockAdvice] = []
    for weekday in range(7):
        days = [d for d in open_days if d.weekday() == weekday]
        arrivals = _arrival_minutes(stories, tz, weekday)
        slots = _slot_minutes(stories, tz, weekday)
        for start, end, assistants in _stretches(config, weekday, arrivals):
            load = Load(len(days), arrivals, slots)
            rows.append(_advise(weekday, start, end, assistants, load, measured, config))
    return tuple(rows)


@dataclass(frozen=True)
class Load:
    """What one weekday brought over the period: its open days, arrivals and promised callback times."""

    days: int
    arrivals: Sequence[tuple[int, bool]]  # (minute of the day, is spoed)
    slots: Sequence[int]  # minute of the day of each promised callback


def _advise(
    weekday: int,
    start: int,
    end: int,
    assistants: int | None,
    load: Load,
    measured: Measured,
    config: CapacityConfig,
) -> BlockAdvice:
    hours = load.days * (end - start) / 60.0
    regular = sum(1 for minute, spoed in load.arrivals if start <= minute < end and not spoed)
    spoed = sum(1 for minute, spoed in load.arrivals if start <= minute < end and spoed)
    callbacks = sum(1 for minute in load.slots if start <= minute < end)
    callback_rate = callbacks / hours if hours else 0.0
    callback_needed = None
    if callback_rate and measured.callback_handle_seconds is not None:
        busy = callback_rate * measured.callback_handle_seconds / 3600.0 / CALLBACK_UTILISATION
        callback_needed = max(1, math.ceil(busy - 1e-9))
    regular_rate = regular / hours if hours else 0.0
    spoed_rate = spoed / hours if hours else 0.0
    handle = measured.regular_handle_seconds or DEFAULT_HANDLE_SECONDS
    spoed_handle = measured.spoed_handle_seconds or handle
    slot_capacity = None
    advised_slots = None
    if assistants is not None:
        slot_capacity = config.block_slot_capacity(_block(config, weekday, start))
        if measured.callback_handle_seconds is not None:
            advised_slots = callback_slots(
                assistants, measured.callback_handle_seconds, config.slot_minutes, CALLBACK_UTILISATION
            )
    return BlockAdvice(
        weekday=weekday,
        start=_clock(start),
        end=_clock(end),
        days=load.days,
        regular_per_hour=regular_rate,
        spoed_per_hour=spoed_rate,
        assistants_needed_regular=_needed(
            regular_rate, handle, REGULAR_NORM_SECONDS, REGULAR_TARGET_SHARE, measured.patience_seconds
        ),
        # Spoed callers do not hang up to wait less, and the norm is about a person at once: Erlang C.
        assistants_needed_spoed=_needed(
            spoed_rate, spoed_handle, SPOED_NORM_SECONDS, SPOED_TARGET_SHARE, None
        ),
        callbacks_per_hour=callback_rate,
        assistants_needed_callbacks=callback_needed,
        assistants_in_file=assistants,
        callback_slots_advised=advised_slots,
        callback_slots_in_file=slot_capacity,
    )


def _needed(rate: float, handle: float, target: float, share: float, patience: float | None) -> int | None:
    if rate <= 0:
        return None
    try:
        return agents_needed(rate, handle, target, share, patience_seconds=patience)
    except ValueError:
        return None


def _arrival_minutes(stories: Sequence[CallStory], tz: ZoneInfo, weekday: int) -> list[tuple[int, bool]]:
    """(minute of the day, is spoed) of each call that sought a person on that weekday."""
    found = []
    for story in stories:
        if story.arrived_at is None or story.outside_hours:
            continue
        local = story.arrived_at.astimezone(tz)
        if local.weekday() != weekday:
            continue
        spoed = bool(story.spoed) and story.spoed[0].route == "practice"
        if spoed or regular_wait(story) is not None:
            found.append((local.hour * 60 + local.minute, spoed))
    return found


def _slot_minutes(stories: Sequence[CallStory], tz: ZoneInfo, weekday: int) -> list[int]:
    """Minute of the day of each slot booking's promised time on that weekday."""
    found = []
    for story in stories:
        offer = story.offer
        if offer is None or offer.booked_slot is None:
            continue
        local = offer.booked_slot.astimezone(tz)
        if local.weekday() == weekday:
            found.append(local.hour * 60 + local.minute)
    return found


def _stretches(
    config: CapacityConfig, weekday: int, arrivals: Sequence[tuple[int, bool]]
) -> list[tuple[int, int, int | None]]:
    """The file's blocks of the weekday, and the whole hours outside them in which calls arrived."""
    blocks = [(b.start_minute, b.end_minute, b.assistants) for b in config.blocks.for_weekday(weekday)]
    rest: list[tuple[int, int, int | None]] = []
    for hour in sorted({minute // 60 for minute, _ in arrivals}):
        start, end = hour * 60, hour * 60 + 60
        for b_start, b_end, _ in blocks:
            if b_start < end and start < b_end:  # cut the hour where a block covers it
                start, end = (b_end, end) if b_start <= start else (start, b_start)
        if start >= end:
            continue
        if rest and rest[-1][1] == start and rest[-1][2] is None:
            rest[-1] = (rest[-1][0], end, None)
        else:
            rest.append((start, end, None))
    stretches: list[tuple[int, int, int | None]] = [*blocks, *rest]
    return sorted(stretches)


def _block(config: CapacityConfig, weekday: int, start: int) -> CallbackBlock:
    return next(b for b in config.blocks.for_weekday(weekday) if b.start_minute == start)


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None
