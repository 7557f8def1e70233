"""Booking a callback for a request made online, by the same planner and rules as a caller's booking.

The HTTP layer (ivr/web/api_v1) validates and authenticates; this decides. Urgency U3 books with priority
and may use the capacity held back for it; U4 and U5 book like a caller. U1 and U2 never reach this: they
are not callbacks (112, or the spoed line). A preferred window narrows the planner's choice; a slot taken
by another caller between the plan and the booking makes it plan again, as the phone offer does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import structlog

from capacity.planner import NoSlot
from ivr import log_events as ev
from ivr.callback.store import CallbackStore
from ivr.db.door import Database
from ivr.db.practice import PracticeRegistry
from storage.bookings import cancel_callback
from storage.models import CallbackRequest
from storage.requests import callback_request
from storage.status import RequestSource, RequestStatus, Urgency

log = structlog.get_logger(__name__)

# Another caller can take the planned slot between plan and booking; so many times the plan is made again.
BOOKING_TRIES = 3
Answer = str | int | float | bool | None


@dataclass(frozen=True)
class Intake:
    """A validated request from a triage form."""

    phone: str  # national digits, a number the practice can call
    name: str
    urgency: Urgency
    summary: str
    answers: dict[str, Answer]
    window_from: dt.datetime | None = None
    window_to: dt.datetime | None = None


@dataclass(frozen=True)
class Booked:
    request: CallbackRequest


@dataclass(frozen=True)
class NotBooked:
    reason: (
        str  # the planner's (full_today, full_horizon, closed_today, no_capacity_configured), outside_window
    )
    next_open_day: dt.date | None


class IntakeService:
    """Books, reads and cancels the practice's online requests."""

    def __init__(
        self,
        callbacks: CallbackStore,
        db: Database,
        practice: PracticeRegistry,
        clock: Callable[[], dt.datetime],
    ) -> None:
        self.callbacks = callbacks
        self.db = db
        self.practice = practice
        self.clock = clock

    async def book(self, intake: Intake, *, client: str) -> Booked | NotBooked:
        """Plan and book the earliest slot that fits; the booking is stored before this returns."""
        if intake.urgency in (Urgency.U1, Urgency.U2):
            raise ValueError("U1 and U2 are not callbacks")
        priority = intake.urgency == Urgency.U3
        # `after` excludes its own instant: a microsecond earlier lets the window's first slot count.
        after = intake.window_from - dt.timedelta(microseconds=1) if intake.window_from else None
        for _ in range(BOOKING_TRIES):
            offer = await self.callbacks.earliest(self.clock(), after=after, priority=priority)
            if isinstance(offer, NoSlot):
                return NotBooked(offer.reason, offer.next_open_day)
            if intake.window_to is not None and offer.slot_start >= intake.window_to:
                return NotBooked("outside_window", offer.slot_start.date())
            request = await self.callbacks.book_online(
                offer,
                phone=intake.phone,
                patient_name=intake.name,
                urgency=intake.urgency.value,
                summary=intake.summary,
                triage={"answers": intake.answers},
                priority=priority,
            )
            if request is not None:
                log.info(ev.INTAKE_BOOKED, request_id=request.id, client=client, urgency=intake.urgency.value)
                return Booked(request)
        return NotBooked("full_horizon", None)

    async def status(self, request_id: int) -> CallbackRequest | None:
        """The request if it is this practice's, else None."""
        request: CallbackRequest | None = await self.db.run(
            callback_request, await self.practice.id(), request_id
        )
        return request

    async def cancel(self, request_id: int, *, client: str) -> Literal["cancelled", "not_found", "too_late"]:
        """Cancel a booked request (its place given back); one being called or already ended is too late."""
        request = await self.status(request_id)
        if request is None:
            return "not_found"
        if request.status == RequestStatus.CANCELLED:
            return "cancelled"
        if request.status != RequestStatus.BOOKED or not await self.db.run(cancel_callback, request_id):
            return "too_late"
        log.info(
            "intake_cancelled",
            request_id=request_id,
            client=client,
            online=request.source == RequestSource.ONLINE,
        )
        self.callbacks.notify("callbacks")
        return "cancelled"
