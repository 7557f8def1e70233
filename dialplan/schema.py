"""The practice's phone menu as pydantic models: the contract between the YAML file and the controller.

Every model forbids unknown keys so a typo (`timout:`) is an error instead of a silently ignored line.
Models are frozen: a call keeps the PracticeConfig it started with, even while a new one is loaded.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from common.calendar import TimeWindow
from common.yamlload import FieldErrors
from dialplan.fields import (
    DayWindows,
    DtmfKey,
    DutchNumber,
    HeadsetList,
    HeadsetName,
    PracticeId,
    PracticeName,
    PromptName,
    Timezone,
)
from dialplan.rules import cross_field_errors, inherit_reprompts, menu_depth_errors

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
    headsets: HeadsetList | None = None  # None: every headset of the practice
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


class CallbackAction(_Model):
    """Offer the earliest callback time the practice can keep (capacity YAML), and book it on a key.

    The keys may not be the spoed key: spoed must still break through while the offer plays. The
    defaults are what the packaged prompts say (terugbel_keuze, terugbel_nummer_keuze), with spoed on 1.
    """

    action: Literal["callback"]
    confirm_key: DtmfKey = "2"  # "Toets 2 om deze tijd te bevestigen"
    other_key: DtmfKey = "3"  # a later time; when reading back a typed number: type it again
    timeout: int = Field(6, ge=2, le=30)  # seconds to wait for a key after the offer
    number_attempts: int = Field(2, ge=1, le=5)  # typed numbers that may be invalid before giving up
    voice_note: bool = False  # after booking, the caller may say the question after a beep
    voice_note_seconds: int = Field(20, ge=5, le=120)


class QueueAction(_Model):
    """Wait on the line for the next free assistant, in the practice's order, with music.

    Callers hear their position and the expected wait (never raised once said). When the wait is long
    they may press `keep_place_key`, hang up, and keep their place: they are called back, headset first,
    when it is their turn. A caller whose number is withheld types it, and confirms the read-back with
    `number_confirm_key` or types it again with `number_again_key` (as terugbel_nummer_keuze says).
    """

    action: Literal["queue"]
    group: str = Field(min_length=1)  # what for, e.g. intercollegiaal or overige (statistics, headset)
    rank: int = Field(1, ge=0, le=9)  # lower goes first: 0 for colleagues, 1 for patients
    prompt: PromptName | None = None  # played once on joining the queue
    minutes_per_call: float = Field(4.0, gt=0, le=60)  # how long an assistant takes per caller
    announce_every: int = Field(45, ge=10, le=600)  # seconds between position announcements
    keep_place_key: DtmfKey | None = "5"  # None: callers cannot leave the line and keep their place
    keep_place_after_seconds: int = Field(180, ge=0, le=3600)  # offered when the expected wait is longer
    keep_place_when_ahead: int = Field(3, ge=0, le=100)  # ... or when more callers than this are ahead
    number_confirm_key: DtmfKey = "2"  # "Toets 2 als dit nummer klopt"
    number_again_key: DtmfKey = "3"  # "Toets 3 om het opnieuw in te toetsen"
    ring_seconds: int = Field(15, ge=5, le=120)  # ringing a free assistant before trying the next one
    max_wait_seconds: int = Field(1800, ge=60, le=7200)  # then the caller hears no_answer_prompt
    no_answer_prompt: PromptName | None = None


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
    | CallbackAction
    | QueueAction
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
    """Who the caller is calling, and the id the database knows the practice by."""

    # Required: the empty default is refused by PracticeId with a message that says what the id is for.
    id: PracticeId = Field("", validate_default=True)
    name: PracticeName = Field(min_length=1)
    number: DutchNumber


Duty = Literal["live", "callbacks"]


class Headset(_Model):
    """An assistant's SIP headset; the key in `headsets:` is its PJSIP endpoint name."""

    name: str = Field(min_length=1)
    # What the dispatcher gives her: callers waiting on the line, callbacks, or both. Spoed rings
    # every headset of the spoed list whatever this says.
    duties: list[Duty] = Field(default_factory=lambda: ["live", "callbacks"], min_length=1)


class CallbackDialing(_Model):
    """How callbacks are made: the assistant's headset first, then the patient (attempts protocol)."""

    headset_ring_seconds: int = Field(20, ge=5, le=120)
    patient_ring_seconds: int = Field(30, ge=5, le=120)
    retry_after_seconds: int = Field(300, ge=1, le=86400)  # docs/domain-facts.md §1: 2 tries, 5 minutes apart
    max_attempts: int = Field(2, ge=1, le=10)
    done_key: DtmfKey = "1"  # the assistant marks the callback as handled
    not_reached_key: DtmfKey = "2"  # ... or as not reached (voicemail): it counts as a try

    @model_validator(mode="after")
    def _keys_differ(self) -> CallbackDialing:
        if self.done_key == self.not_reached_key:
            raise FieldErrors([(("not_reached_key",), "must differ from done_key")])
        return self


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
    headsets: HeadsetList | None = None  # None: every headset of the practice
    ring_seconds: int = Field(10, ge=1, le=120)  # per headset, only for ordered
    overflow_after: int = Field(25, ge=1, le=600)  # seconds until overflow_number is dialled instead
    overflow_number: DutchNumber


MessageText = Annotated[str, Field(min_length=1, max_length=320)]


class MessageTexts(_Model):
    """The texts, in Dutch, with {praktijk}, {dag} ("vandaag", "morgen", "maandag 24 november") and {tijd}
    ("10:15") filled in. Never the medical reason: a text is read on a lock screen."""

    booked: MessageText = "{praktijk} belt u {dag} om {tijd} terug."
    not_reached: MessageText = (
        "{praktijk} heeft u niet kunnen bereiken. Belt u ons terug als het nog nodig is."
    )


class Messages(_Model):
    """Texts to the patient's mobile number when a callback is booked or could not reach them."""

    enabled: bool = False  # nothing leaves the machine unless the practice turns this on
    channel: Literal["sms", "whatsapp"] = "sms"
    events: list[Literal["booked", "not_reached"]] = Field(default_factory=lambda: ["booked", "not_reached"])
    texts: MessageTexts = Field(default_factory=MessageTexts)

    @model_validator(mode="after")
    def _known_placeholders(self) -> Messages:
        errors = []
        for name in ("booked", "not_reached"):
            text = getattr(self.texts, name)
            unknown = set(re.findall(r"{([^{}]*)}", text)) - {"praktijk", "dag", "tijd"}
            if unknown:
                errors.append(
                    (
                        ("texts", name),
                        f"unknown placeholder {{{sorted(unknown)[0]}}}; use {{praktijk}}, {{dag}}, {{tijd}}",
                    )
                )
        if errors:
            raise FieldErrors(errors)
        return self


class PracticeConfig(_Model):
    """The whole menu file."""

    practice: Practice
    timezone: Timezone = "Europe/Amsterdam"
    headsets: dict[HeadsetName, Headset] = Field(min_length=1)
    opening_hours: OpeningHours
    outside_hours: OutsideHours
    spoed: Spoed
    menu: Menu
    callbacks: CallbackDialing = Field(default_factory=CallbackDialing)
    messages: Messages = Field(default_factory=Messages)

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        """The practice's time zone."""
        return zoneinfo.ZoneInfo(self.timezone)

    def resolve_headsets(self, names: list[str] | None) -> list[str]:
        """The endpoint names an action rings: its own list, or every headset when it has none."""
        return list(self.headsets) if names is None else list(names)

    @model_validator(mode="before")
    @classmethod
    def _before_fields(cls, data: Any, info: ValidationInfo) -> Any:
        # The depth first, without recursion: everything after it (and pydantic) recurses per level.
        errors = menu_depth_errors(data)
        if errors:
            raise FieldErrors(errors)
        return inherit_reprompts(data, (info.context or {}).get("known_prompts"))

    @model_validator(mode="after")
    def _cross_fields(self) -> PracticeConfig:
        errors = cross_field_errors(self)
        if errors:
            raise FieldErrors(errors)
        return self
