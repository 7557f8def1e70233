"""The intake API's bodies: what a client sends and what it gets back, validated and described by pydantic.

The same models validate the requests and make the OpenAPI document (ivr.web.api_v1.openapi), so the
document says exactly what is accepted. Text fields refuse control characters (a NUL cannot be stored in
PostgreSQL, and a line break has no place in a name); the summary may have line breaks and tabs.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    StringConstraints,
    model_validator,
)

from storage.status import RequestSource, RequestStatus, Urgency

# No control characters at all (names, keys, short answers), or none but tab and line breaks (the summary).
ONE_LINE = r"^[^\x00-\x1f\x7f]*$"
MULTI_LINE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
SUMMARY_LENGTH = 4000
NAME_LENGTH = 100  # callback_request.patient_name
MAX_ANSWERS = 50
ANSWER_KEY_LENGTH = 64
ANSWER_LENGTH = 500
# A window is about the coming days; years far off are refused rather than overflow date arithmetic.
EARLIEST_YEAR = 2000
LATEST_YEAR = 2999

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _one_line(key: str) -> str:
    if _CONTROL.search(key):
        raise ValueError("a question may not contain control characters")
    return key


# Checked by a validator, not a pattern: a pattern on a key becomes patternProperties, which would let
# other keys through in the document. The document gets the rule in propertyNames instead.
AnswerKey = Annotated[
    str, StringConstraints(min_length=1, max_length=ANSWER_KEY_LENGTH), AfterValidator(_one_line)
]
AnswerText = Annotated[StrictStr, StringConstraints(max_length=ANSWER_LENGTH, pattern=MULTI_LINE)]
Answer = AnswerText | StrictBool | StrictInt | Annotated[StrictFloat, Field(allow_inf_nan=False)] | None


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PreferredWindow(_Body):
    """When the patient would rather be called: the earliest slot starting in [from, to) is booked."""

    start: AwareDatetime = Field(alias="from", description="Not before (ISO 8601 with offset).")
    end: AwareDatetime = Field(alias="to", description="Starting before (ISO 8601 with offset).")

    @model_validator(mode="after")
    def _ordered(self) -> PreferredWindow:
        for moment in (self.start, self.end):
            if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
                raise ValueError(f"the window must be between the years {EARLIEST_YEAR} and {LATEST_YEAR}")
        if self.end <= self.start:
            raise ValueError("'to' must be after 'from'")
        return self


class CallbackRequestIn(_Body):
    """A callback request from a triage form."""

    phone: str = Field(
        min_length=1,
        max_length=32,
        pattern=ONE_LINE,
        description="A Dutch number the practice can call: no foreign, premium-rate or pager numbers.",
        examples=["06 12345678"],
    )
    name: str = Field(min_length=1, max_length=NAME_LENGTH, pattern=ONE_LINE, description="Name or initials.")
    urgency: Urgency = Field(
        description="The triage level (NTS). U1 and U2 are refused (call 112 or the practice's spoed line)."
    )
    summary: str = Field(
        min_length=1,
        max_length=SUMMARY_LENGTH,
        pattern=MULTI_LINE,
        description="The anamnese as free text; the assistant reads it before calling back.",
    )
    answers: dict[AnswerKey, Answer] = Field(
        default_factory=dict,
        max_length=MAX_ANSWERS,
        description="The triage form's structured answers: short scalar values by question.",
        json_schema_extra={
            "propertyNames": {"minLength": 1, "maxLength": ANSWER_KEY_LENGTH, "pattern": ONE_LINE}
        },
    )
    preferred_window: PreferredWindow | None = None


class CallbackCreated(BaseModel):
    """A booked callback: when the practice will call."""

    id: int
    status: RequestStatus
    source: Literal["online"]
    slot_start: dt.datetime = Field(description="In the practice's time zone, with its offset.")
    slot_end: dt.datetime
    promised: str = Field(description='The time in Dutch, e.g. "maandag 24 november om 10:15".')
    urgency: Urgency


class CallbackStatus(BaseModel):
    """Where a request stands; the phone number only masked."""

    id: int
    status: RequestStatus
    slot_start: dt.datetime | None
    slot_end: dt.datetime | None
    attempts: int = Field(ge=0, description="Calls made to the patient so far.")
    source: RequestSource
    urgency: Urgency | None
    phone: str = Field(description="Masked: all but the last two digits are *.")


class CallbackCancelled(BaseModel):
    id: int
    status: Literal["cancelled"]


class ApiError(BaseModel):
    """Every refusal: a stable code, a Dutch message to show, and the field or header that was wrong."""

    error: str
    message: str
    field: str | None = None


class NoSlotError(ApiError):
    """No callback could be booked: why, and the next day with callback slots if one is known."""

    error: Literal["no_slot"]
    reason: str = Field(
        description=(
            "full_today, full_horizon, closed_today, no_capacity_configured, outside_window or number_busy."
        )
    )
    next_open_day: dt.date | None
