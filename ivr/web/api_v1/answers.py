"""The bodies the intake API answers with, and their Dutch texts (shown to the patient)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from common.phone import dutch_national
from common.privacy import mask_number
from dialplan.schema import PracticeConfig
from ivr.intake.service import NotBooked
from ivr.web.api_v1.models import CallbackCancelled, CallbackCreated, CallbackStatus, NoSlotError
from prompts.spoken import MONTHS, WEEKDAYS
from storage.models import CallbackRequest
from storage.status import RequestSource, Urgency

NO_SLOT_TEXTS = {
    "full_today": "Vandaag is er geen terugbelplek meer vrij.",
    "full_horizon": "Er is de komende dagen geen terugbelplek vrij.",
    "closed_today": "De praktijk belt vandaag niet meer terug.",
    "no_capacity_configured": "De praktijk heeft geen terugbeltijden ingesteld.",
    "outside_window": "Er is geen terugbelplek vrij in het gekozen tijdvak.",
    "number_busy": "Voor dit telefoonnummer staat al een terugbelverzoek open.",
}


def dutch_day(day: dt.date) -> str:
    """ "maandag 24 november": the day as the patient reads it."""
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]}"


def promised(slot_start: dt.datetime, tz: dt.tzinfo) -> str:
    """ "maandag 24 november om 10:15": always the date, as the answer may be read on another day."""
    local = slot_start.astimezone(tz)
    return f"{dutch_day(local.date())} om {local:%H:%M}"


def _number(text: str) -> str:
    """A number as people read it: "020 123 4567" rather than "0201234567" where it is a Dutch one."""
    national = dutch_national(text) or text
    if national.startswith("06") and len(national) == 10:
        return f"{national[:2]} {national[2:]}"
    return national


def urgent_message(urgency: Urgency, config: PracticeConfig) -> str:
    """What a patient with U1 or U2 must do instead of waiting for a callback."""
    if urgency == Urgency.U1:
        return "Dit is spoed: bel direct 112. Er is geen terugbelverzoek gemaakt."
    return (
        f"Dit moet vandaag met spoed bekeken worden: bel direct {config.practice.name} op "
        f"{_number(config.practice.number)} en kies {config.spoed.key} voor spoed. "
        "Er is geen terugbelverzoek gemaakt."
    )


def created_body(request: CallbackRequest, tz: dt.tzinfo) -> dict[str, Any]:
    assert request.slot_start is not None and request.slot_end is not None  # a booking has a slot
    return CallbackCreated(
        id=request.id,
        status=request.status,
        source="online",
        slot_start=request.slot_start.astimezone(tz),
        slot_end=request.slot_end.astimezone(tz),
        promised=promised(request.slot_start, tz),
        urgency=request.urgency,
    ).model_dump(mode="json")


def no_slot_body(result: NotBooked) -> dict[str, Any]:
    message = NO_SLOT_TEXTS.get(result.reason, "Er kon geen terugbelplek worden gereserveerd.")
    if result.next_open_day is not None:
        message += f" De eerstvolgende dag met terugbelplekken is {dutch_day(result.next_open_day)}."
    return NoSlotError(
        error="no_slot", message=message, reason=result.reason, next_open_day=result.next_open_day
    ).model_dump(mode="json", exclude={"field"})


def status_body(request: CallbackRequest, tz: dt.tzinfo) -> dict[str, Any]:
    return CallbackStatus(
        id=request.id,
        status=request.status,
        slot_start=request.slot_start.astimezone(tz) if request.slot_start else None,
        slot_end=request.slot_end.astimezone(tz) if request.slot_end else None,
        attempts=request.attempts,
        source=RequestSource(request.source),
        urgency=Urgency(request.urgency) if request.urgency else None,
        phone=mask_number(request.phone),
    ).model_dump(mode="json")


def cancelled_body(request_id: int) -> dict[str, Any]:
    return CallbackCancelled(id=request_id, status="cancelled").model_dump(mode="json")
