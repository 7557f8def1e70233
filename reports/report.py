"""One report of a period: the figures in total, per day, week and month, per weekday x quarter-hour, the
arrivals against the staffed capacity, the norms as traffic lights and the staffing advice.

Pure: the events, the capacity file and the period come in; nothing reads a clock or a database. The caller
loads the events of `event_window` (a little past the period, so callbacks booked on its last day and
called later still count for the call that booked them).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from capacity.config import CapacityConfig
from capacity.schedule import is_closed_day
from reports.advice import BlockAdvice, Measured, measure, staffing_advice
from reports.charts import Light, traffic_light
from reports.figures import Figures, compute_figures
from reports.records import CallStory, TraceEvent, build_stories
from reports.stats import Share

QUARTER_MINUTES = 15
# Callbacks of a call are dialled at most horizon_days later, plus retries: this much slack covers them.
CALLBACK_SLACK_DAYS = 2
# The practice's own norm for punctuality: patients in a survey reported 87% called on time (domain notes).
ON_TIME_NORM = 90.0


@dataclass(frozen=True)
class PeriodRow:
    label: str  # "2026-11-02", "2026-W45", "2026-11"
    first_day: dt.date
    last_day: dt.date
    figures: Figures


@dataclass(frozen=True)
class GridCell:
    """One weekday x quarter-hour over the whole period."""

    weekday: int
    quarter: str  # "08:15"
    calls: int
    spoed: int
    regular: int
    regular_within_norm: Share
    abandoned: int
    offered: int
    confirmed: int


@dataclass(frozen=True)
class QuarterProfile:
    """Per quarter-hour of the day: mean arrivals per open day, and the file's callback capacity then."""

    quarters: tuple[str, ...]
    arrivals: tuple[float, ...]
    capacity: tuple[float | None, ...]  # calls the file's assistants make in that quarter; None: no block


@dataclass(frozen=True)
class NormCheck:
    name: str  # Dutch, as on the page
    percent: float | None
    norm: float
    higher_is_better: bool
    light: Light


@dataclass(frozen=True)
class Report:
    timezone: str
    first_day: dt.date
    last_day: dt.date
    total: Figures
    days: tuple[PeriodRow, ...]
    weeks: tuple[PeriodRow, ...]
    months: tuple[PeriodRow, ...]
    grid: tuple[GridCell, ...]
    profile: QuarterProfile
    norms: tuple[NormCheck, ...]
    measured: Measured
    advice: tuple[BlockAdvice, ...]


def event_window(
    config: CapacityConfig, first_day: dt.date, last_day: dt.date
) -> tuple[dt.datetime, dt.datetime]:
    """The instants (aware) whose events the report of these days needs."""
    if last_day < first_day:
        raise ValueError(f"to ({last_day}) is before from ({first_day})")
    start = dt.datetime.combine(first_day, dt.time(), config.tz)
    end_day = last_day + dt.timedelta(days=1 + config.horizon_days + CALLBACK_SLACK_DAYS)
    return start, dt.datetime.combine(end_day, dt.time(), config.tz)


def build_report(
    events: Iterable[TraceEvent], config: CapacityConfig, first_day: dt.date, last_day: dt.date
) -> Report:
    """The whole report of the days `first_day` .. `last_day` (both included, the practice's time zone)."""
    if last_day < first_day:
        raise ValueError(f"to ({last_day}) is before from ({first_day})")
    tz = config.tz
    stories = [s for s in build_stories(events) if first_day <= _day(s, config) <= last_day]
    total = compute_figures(stories, tz)
    return Report(
        timezone=config.timezone,
        first_day=first_day,
        last_day=last_day,
        total=total,
        days=_rows(stories, config, first_day, last_day, _by_day),
        weeks=_rows(stories, config, first_day, last_day, _by_week),
        months=_rows(stories, config, first_day, last_day, _by_month),
        grid=_grid(stories, config),
        profile=_profile(stories, config, first_day, last_day),
        norms=norm_checks(total),
        measured=measure(stories),
        advice=staffing_advice(stories, config, first_day, last_day),
    )


def norm_checks(total: Figures) -> tuple[NormCheck, ...]:
    """The norms of domain.md section 2, and the two the practice sets itself (punctual, list finished)."""
    p = total.punctuality
    finished = Share(p.called, p.bookings)
    return (
        _check("Spoed binnen 30 seconden", total.spoed.within_norm.percent, 90.0, True),
        _check("Binnen 2 minuten opgenomen", total.regular.within_norm.percent, 75.0, True),
        _check("Langer dan 10 minuten", total.regular.over_10_min.percent, 2.0, False),
        _check("Terugbellen op tijd", p.on_time.percent, ON_TIME_NORM, True),
        _check("Terugbellijst afgewerkt", finished.percent, 98.0, True),
    )


def _check(name: str, percent: float | None, norm: float, higher: bool) -> NormCheck:
    return NormCheck(name, percent, norm, higher, traffic_light(percent, norm, higher_is_better=higher))


def _day(story: CallStory, config: CapacityConfig) -> dt.date:
    return (story.arrived_at or story.first_at).astimezone(config.tz).date()


def _by_day(day: dt.date) -> tuple[str, dt.date, dt.date]:
    return day.isoformat(), day, day


def _by_week(day: dt.date) -> tuple[str, dt.date, dt.date]:
    year, week, weekday = day.isocalendar()
    monday = day - dt.timedelta(days=weekday - 1)
    return f"{year}-W{week:02d}", monday, monday + dt.timedelta(days=6)


def _by_month(day: dt.date) -> tuple[str, dt.date, dt.date]:
    first = day.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first.strftime("%Y-%m"), first, following - dt.timedelta(days=1)


def _rows(
    stories: Sequence[CallStory],
    config: CapacityConfig,
    first_day: dt.date,
    last_day: dt.date,
    key: Callable[[dt.date], tuple[str, dt.date, dt.date]],
) -> tuple[PeriodRow, ...]:
    """A row per day, week or month of the period (clipped to it), open days shown even without calls."""
    groups: dict[tuple[str, dt.date, dt.date], list[CallStory]] = {}
    for n in range((last_day - first_day).days + 1):
        day = first_day + dt.timedelta(days=n)
        if not is_closed_day(config, day) and config.blocks.for_weekday(day.weekday()):
            groups.setdefault(key(day), [])
    for story in stories:
        groups.setdefault(key(_day(story, config)), []).append(story)
    return tuple(
        PeriodRow(label, max(first, first_day), min(last, last_day), compute_figures(members, config.tz))
        for (label, first, last), members in sorted(groups.items(), key=lambda item: item[0][1])
    )


def _quarter(moment: dt.datetime, config: CapacityConfig) -> tuple[int, int]:
    local = moment.astimezone(config.tz)
    minute = local.hour * 60 + local.minute
    return local.weekday(), minute - minute % QUARTER_MINUTES


def _grid(stories: Sequence[CallStory], config: CapacityConfig) -> tuple[GridCell, ...]:
    cells: defaultdict[tuple[int, int], list[CallStory]] = defaultdict(list)
    for story in stories:
        if story.arrived_at is not None:
            cells[_quarter(story.arrived_at, config)].append(story)
    rows = []
    for (weekday, minute), members in sorted(cells.items()):
        figures = compute_figures(members, config.tz)
        rows.append(
            GridCell(
                weekday=weekday,
                quarter=f"{minute // 60:02d}:{minute % 60:02d}",
                calls=figures.calls,
                spoed=figures.spoed.calls,
                regular=figures.regular.calls,
                regular_within_norm=figures.regular.within_norm,
                abandoned=figures.regular.abandoned.count,
                offered=figures.offers.offered,
                confirmed=figures.offers.confirmed,
            )
        )
    return tuple(rows)


def _profile(
    stories: Sequence[CallStory], config: CapacityConfig, first_day: dt.date, last_day: dt.date
) -> QuarterProfile:
    """Arrivals per quarter-hour, averaged over the days that had calls or callback blocks."""
    arrivals: Counter[int] = Counter()
    days: set[dt.date] = set()
    for story in stories:
        if story.arrived_at is not None:
            arrivals[_quarter(story.arrived_at, config)[1]] += 1
            days.add(_day(story, config))
    for n in range((last_day - first_day).days + 1):
        day = first_day + dt.timedelta(days=n)
        if not is_closed_day(config, day) and config.blocks.for_weekday(day.weekday()):
            days.add(day)
    capacity: defaultdict[int, float] = defaultdict(float)
    for day in days:
        if is_closed_day(config, day):
            continue
        for block in config.blocks.for_weekday(day.weekday()):
            per_quarter = block.assistants * config.calls_per_assistant_per_hour * QUARTER_MINUTES / 60.0
            for minute in range(block.start_minute, block.end_minute, QUARTER_MINUTES):
                capacity[minute] += per_quarter
    minutes = set(arrivals) | set(capacity)
    if not minutes:
        return QuarterProfile((), (), ())
    first, last = min(minutes), max(minutes)
    span = range(first - first % 60, last + QUARTER_MINUTES, QUARTER_MINUTES)
    count = len(days) or 1
    return QuarterProfile(
        quarters=tuple(f"{m // 60:02d}:{m % 60:02d}" for m in span),
        arrivals=tuple(arrivals[m] / count for m in span),
        capacity=tuple(capacity[m] / count if m in capacity else None for m in span),
    )


__all__ = ["ON_TIME_NORM", "Report", "build_report", "event_window", "norm_checks"]
