"""The practice's phone menu as pydantic models: the contract between the YAML file and the controller.

Every model forbids unknown keys so a typo (`timout:`) is an error instead of a silently ignored line.
Models are frozen: a call keeps the PracticeConfig it started with, even while a new one is loaded.
"""

from __future__ import annotations

import zoneinfo
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from dialplan.fields import (
    DayWindows,
    DtmfKey,
    DutchNumber,
    HeadsetName,
    PromptName,
    TimeWindow,
    Timezone,
)
from dialplan.rules import cross_field_errors, inherit_reprompts
from dialplan.yamlload import FieldErrors

DEFAULT_INVALID_PROMPT = "ongeldige_keuze"
DEFAULT_NO_INPUT_PROMPT = "geen_keuze"

Strategy = Literal["all", "ordered"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SpoedAction(_Model):
    """Connect the caller as spoed: the same as pressing the spoed key."""

    action: Literal["spoed"]


class HeadsetsAction(_Model):
    """Ring the assistants' headsets; `group` tells the controller and the statistics what it is for."""

    action: Literal["headsets"]
    group: str = Field(min_length=1)
    prompt: PromptName | None = None
    headsets: list[HeadsetName] | None = None  # None: every headset of the practice
    strategy: Strategy = "all"
    ring_seconds: int = Field(15, ge=1, le=300)  # per headset, only for ordered
    timeout: int = Field(120, ge=1, le=3600)  # seconds in total before no_answer_prompt
    no_answer_prompt: PromptName | None = None


class SubmenuAction(_Model):
    """Go to a nested menu."""

    action: Literal["submenu"]
    menu: Menu


class PlayAction(_Model):
    """Play information, then hang up or return to the current menu."""

    action: Literal["play"]
    prompts: list[PromptName] = Field(min_length=1)
    then: Literal["hangup", "menu"] = "menu"


class RecordAction(_Model):
    """Record a message (e.g. the herhaalrecepten inspreeklijn)."""

    action: Literal["record"]
    prompt: PromptName
    max_seconds: int = Field(120, ge=1, le=300)
    done_prompt: PromptName


class DialAction(_Model):
    """Connect the caller to an outside number."""

    action: Literal["dial"]
    number: DutchNumber
    prompt: PromptName | None = None


class BackAction(_Model):
    """Return to the parent menu; not allowed in the root menu."""

    action: Literal["back"]


class HangupAction(_Model):
    """End the call, optionally after a prompt."""

    action: Literal["hangup"]
    prompt: PromptName | None = None


Action = Annotated[
    SpoedAction
    | HeadsetsAction
    | SubmenuAction
    | PlayAction
    | RecordAction
    | DialAction
    | BackAction
    | HangupAction,
    Field(discriminator="action"),
]


class Menu(_Model):
    """One level of the menu: a prompt, then a key press chooses an option."""

    prompt: PromptName
    timeout: int = Field(5, ge=1, le=30)  # seconds to wait for a key after the prompt
    retries: int = Field(2, ge=0, le=5)  # reprompts after a wrong key or no key, then `default`
    # Submenus inherit the root's values (PracticeConfig fills them in before validation).
    invalid_prompt: PromptName = Field(DEFAULT_INVALID_PROMPT, validate_default=True)
    no_input_prompt: PromptName = Field(DEFAULT_NO_INPUT_PROMPT, validate_default=True)
    default: Action = Field(default_factory=lambda: HangupAction(action="hangup"))
    options: dict[DtmfKey, Action] = Field(default_factory=dict)


SubmenuAction.model_rebuild()


class Practice(_Model):
    """Who the caller is calling."""

    name: str = Field(min_length=1)
    number: DutchNumber


class Headset(_Model):
    """An assistant's SIP headset; the key in `headsets:` is its PJSIP endpoint name."""

    name: str = Field(min_length=1)


class OpeningHours(_Model):
    """When the assistants answer; everything else is `outside_hours`."""

    monday: DayWindows = Field(default_factory=list)
    tuesday: DayWindows = Field(default_factory=list)
    wednesday: DayWindows = Field(default_factory=list)
    thursday: DayWindows = Field(default_factory=list)
    friday: DayWindows = Field(default_factory=list)
    saturday: DayWindows = Field(default_factory=list)
    sunday: DayWindows = Field(default_factory=list)
    public_holidays: bool = True  # True: Dutch public holidays (holidays.NL) are closed days
    closed_dates: list[date] = Field(default_factory=list)

    def windows(self, weekday: int) -> list[TimeWindow]:
        """The opening windows of a weekday (0 = Monday, as `date.weekday()`)."""
        days = (self.monday, self.tuesday, self.wednesday, self.thursday, self.friday)
        return list((*days, self.saturday, self.sunday)[weekday])


class OutsideHours(_Model):
    """What callers hear outside opening hours, and where spoed goes then."""

    prompt: PromptName
    spoed_key: DtmfKey = "1"
    spoed_prompt: PromptName
    huisartsenpost: DutchNumber


class Spoed(_Model):
    """The spoed line: one key, at every menu level, that breaks through every prompt."""

    key: DtmfKey = "1"
    prompt: PromptName
    strategy: Strategy = "all"
    headsets: list[HeadsetName] | None = None  # None: every headset of the practice
    ring_seconds: int = Field(10, ge=1, le=120)  # per headset, only for ordered
    overflow_after: int = Field(25, ge=1, le=600)  # seconds until overflow_number is dialled instead
    overflow_number: DutchNumber


class PracticeConfig(_Model):
    """The whole menu file."""

    practice: Practice
    timezone: Timezone = "Europe/Amsterdam"
    headsets: dict[HeadsetName, Headset] = Field(min_length=1)
    opening_hours: OpeningHours
    outside_hours: OutsideHours
    spoed: Spoed
    menu: Menu

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        """The practice's time zone."""
        return zoneinfo.ZoneInfo(self.timezone)

    def resolve_headsets(self, names: list[str] | None) -> list[str]:
        """The endpoint names an action rings: its own list, or every headset when it has none."""
        return list(self.headsets) if names is None else list(names)

    @model_validator(mode="before")
    @classmethod
    def _inherit_reprompts(cls, data: Any, info: ValidationInfo) -> Any:
        return inherit_reprompts(data, (info.context or {}).get("known_prompts"))

    @model_validator(mode="after")
    def _cross_fields(self) -> PracticeConfig:
        errors = cross_field_errors(self)
        if errors:
            raise FieldErrors(errors)
        return self
