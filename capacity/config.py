"""The practice's callback capacity settings, as the admin writes them in YAML.

Checks that need several fields at once (grid, overlap, reserved capacity) run after the fields
themselves are valid and report every problem with the location of the offending block, so the
YAML loader can point at the right line.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from common.calendar import format_clock, normalize_clock, normalize_window, parse_clock, parse_window
from common.room import has_room

ClockText = Annotated[str, BeforeValidator(normalize_clock)]
WindowText = Annotated[str, BeforeValidator(normalize_window)]

WEEKDAYS: tuple[str, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class CallbackBlock(BaseModel):
    """A stretch of one weekday in which `assistants` people make callbacks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: ClockText
    end: ClockText
    assistants: int = Field(ge=1, le=50)

    @property
    def start_minute(self) -> int:
        """Minutes since local midnight at which the block starts."""
        return parse_clock(self.start)

    @property
    def end_minute(self) -> int:
        """Minutes since local midnight at which the block ends (exclusive)."""
        return parse_clock(self.end)

    @model_validator(mode="after")
    def _start_before_end(self) -> CallbackBlock:
        if self.start_minute >= self.end_minute:
            raise ValueError(f"block {self.start}-{self.end} must start before it ends")
        return self


class WeekSchedule(BaseModel):
    """Callback blocks per weekday; a day without blocks has no callbacks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    monday: tuple[CallbackBlock, ...] = ()
    tuesday: tuple[CallbackBlock, ...] = ()
    wednesday: tuple[CallbackBlock, ...] = ()
    thursday: tuple[CallbackBlock, ...] = ()
    friday: tuple[CallbackBlock, ...] = ()
    saturday: tuple[CallbackBlock, ...] = ()
    sunday: tuple[CallbackBlock, ...] = ()

    def for_weekday(self, weekday: int) -> tuple[CallbackBlock, ...]:
        """Return the blocks of a weekday as numbered by ``date.weekday()`` (Monday is 0)."""
        blocks: tuple[CallbackBlock, ...] = getattr(self, WEEKDAYS[weekday])
        return blocks


class CapacityConfig(BaseModel):
    """Everything the planner needs to know about when and how many callbacks a practice can make."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str = "Europe/Amsterdam"
    blocks: WeekSchedule = WeekSchedule()
    calls_per_assistant_per_hour: int = Field(15, ge=1, le=60)
    slot_minutes: int = 15
    # Applied every day on top of the blocks: no slot may *start* inside one (start inclusive, end not).
    closed_windows: tuple[WindowText, ...] = ("12:00-14:00", "16:00-24:00")
    public_holidays: bool = True  # Dutch public holidays per holidays.NL (this includes Good Friday)
    closed_dates: tuple[dt.date, ...] = ()
    min_lead_minutes: int = Field(15, ge=0, le=24 * 60)
    # Calendar days, today being day 0: 2 means today, tomorrow and the day after (weekends count).
    horizon_days: int = Field(2, ge=0, le=31)
    when_today_full: Literal["next_working_day", "say_full"] = "next_working_day"
    priority_reserved_per_slot: int = Field(0, ge=0)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r}; use a name like 'Europe/Amsterdam'") from None
        return value

    @field_validator("slot_minutes")
    @classmethod
    def _slot_divides_hour(cls, value: int) -> int:
        if value < 1 or 60 % value != 0:
            raise ValueError(f"slot_minutes must divide 60 (e.g. 10, 15, 20, 30 or 60), got {value}")
        return value

    @cached_property
    def tz(self) -> ZoneInfo:
        """The practice's time zone."""
        return ZoneInfo(self.timezone)

    @cached_property
    def closed_ranges(self) -> tuple[tuple[int, int], ...]:
        """Closed windows as (start, end) minutes since midnight, end exclusive."""
        return tuple(parse_window(window) for window in self.closed_windows)

    def block_slot_capacity(self, block: CallbackBlock) -> int:
        """Calls one slot of `block` can hold: floor(assistants * calls/hour * slot length / 60)."""
        return max(0, block.assistants * self.calls_per_assistant_per_hour * self.slot_minutes // 60)

    @model_validator(mode="after")
    def _consistent(self) -> CapacityConfig:
        problems = list(self._cross_field_problems())
        if problems:
            raise ValidationError.from_exception_data(
                type(self).__name__,
                [
                    InitErrorDetails(
                        type=PydanticCustomError("capacity_config", "{problem}", {"problem": message}),
                        loc=loc,
                        input=value,
                    )
                    for loc, message, value in problems
                ],
            )
        return self

    def _cross_field_problems(self) -> list[tuple[tuple[str | int, ...], str, object]]:
        problems: list[tuple[tuple[str | int, ...], str, object]] = []
        for day in WEEKDAYS:
            day_blocks: tuple[CallbackBlock, ...] = getattr(self.blocks, day)
            for index, block in enumerate(day_blocks):
                loc: tuple[str | int, ...] = ("blocks", day, index)
                problems.extend(
                    ((*loc, *field), message, block.model_dump())
                    for field, message in self._block_problems(block)
                )
            problems.extend(_overlap_problems(day, day_blocks))
        return problems

    def _block_problems(self, block: CallbackBlock) -> list[tuple[tuple[str, ...], str]]:
        """Return (field within the block, message) for everything wrong with one block."""
        messages: list[tuple[tuple[str, ...], str]] = []
        span = f"{block.start}-{block.end}"
        for name, minute in (("start", block.start_minute), ("end", block.end_minute)):
            if minute % self.slot_minutes:
                suggestion = format_clock(minute - minute % self.slot_minutes)
                messages.append(
                    (
                        (name,),
                        f"block {span}: {name} {format_clock(minute)} is not on the "
                        f"{self.slot_minutes}-minute slot grid (use e.g. {suggestion})",
                    )
                )
        capacity = self.block_slot_capacity(block)
        formula = (
            f"{block.assistants} assistant(s) x {self.calls_per_assistant_per_hour} calls/hour x "
            f"{self.slot_minutes} min / 60"
        )
        if capacity == 0:
            messages.append(
                (
                    ("assistants",),
                    f"block {span}: a slot holds 0 calls ({formula}); add assistants or longer slots",
                )
            )
        elif not has_room(capacity, self.priority_reserved_per_slot, 0, 0, priority=False):
            # The shared room rule, so this check can never disagree with the planner or the booking.
            messages.append(
                (
                    ("assistants",),
                    f"block {span}: priority_reserved_per_slot ({self.priority_reserved_per_slot}) must be "
                    f"smaller than the {capacity} calls per slot ({formula}), or ordinary callers get "
                    "nothing",
                )
            )
        if self._wholly_closed(block):
            messages.append(
                (
                    (),
                    f"block {span} lies entirely inside the closed windows {list(self.closed_windows)}, "
                    "so no callback can ever be planned in it",
                )
            )
        return messages

    def _wholly_closed(self, block: CallbackBlock) -> bool:
        # Slots may start anywhere in the block, so check every minute a slot could start on.
        return all(
            any(start <= minute < end for start, end in self.closed_ranges)
            for minute in range(block.start_minute, block.end_minute, self.slot_minutes)
        )


def _overlap_problems(
    day: str, day_blocks: tuple[CallbackBlock, ...]
) -> list[tuple[tuple[str | int, ...], str, object]]:
    problems: list[tuple[tuple[str | int, ...], str, object]] = []
    ordered = sorted(enumerate(day_blocks), key=lambda item: item[1].start_minute)
    # Compare with the block reaching furthest so far, not just the previous one: a long block can
    # overlap several later ones.
    reach: CallbackBlock | None = None
    for index, block in ordered:
        if reach is not None and block.start_minute < reach.end_minute:
            problems.append(
                (
                    ("blocks", day, index),
                    f"block {block.start}-{block.end} overlaps block {reach.start}-{reach.end} on {day}; "
                    "give each stretch of time one block with its total number of assistants",
                    block.model_dump(),
                )
            )
        if reach is None or block.end_minute > reach.end_minute:
            reach = block
    return problems
