"""Callbacks' door to the planner and the database: offers, bookings, and the attempts that make them.

The flows never touch SQL. Every database failure comes out as `StoreUnavailable` (ivr.db.door) within a
deadline: the offer then sends the caller to an assistant, the dial-out leaves the request in its place.
Call events go to the call trace (ivr.trace): recording one never waits for the database.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any

import structlog

from capacity.config import CapacityConfig
from capacity.planner import Booking, NoSlot, Offer, earliest_slot, slot_capacity
from dialplan.schema import CallbackDialing
from ivr.db.door import Database, StoreUnavailable
from ivr.db.practice import PracticeRegistry
from ivr.live.notifier import no_notice
from ivr.trace import CallTrace
from storage import attempts
from storage.bookings import book_callback, bookings_between
from storage.call_events import EventKind
from storage.models import CallbackAttempt, CallbackRequest, NumberSource
from storage.outbox import MessageDraft
from storage.requests import attach_voice_note
from storage.status import MessageEvent, RequestSource

log = structlog.get_logger(__name__)

CapacitySource = Callable[[], CapacityConfig]
# The practice's message for an event (booked, not reached) to a phone, about a slot; None: no message.
MessageComposer = Callable[[MessageEvent, str, dt.datetime | None], MessageDraft | None]


def no_messages(event: MessageEvent, phone: str, slot_start: dt.datetime | None) -> MessageDraft | None:
    return None


# Unexpected errors in a request's attempts before it is left to the assistants by hand (issue 8, defect 9).
MAX_FAILED_ATTEMPTS = 3
# An attempt claimed a moment ago may not be registered as owned yet: the sweep leaves young ones alone.
SWEEP_GRACE = dt.timedelta(minutes=2)


def no_capacity() -> CapacityConfig:
    """The capacity source of a practice without a capacity file: offers are unavailable."""
    raise StoreUnavailable("no callback capacity configured")


class CallbackStore:
    """Plans, books and makes the callbacks of one practice."""

    def __init__(
        self,
        db: Database,
        practice: PracticeRegistry,
        capacity: CapacitySource,
        notify: Callable[[str], None] = no_notice,
        trace: CallTrace | None = None,
        messages: MessageComposer = no_messages,
        message_written: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.practice = practice
        self.capacity = capacity
        self.notify = notify
        self.trace = trace  # None: a store built without one records no events (some unit tests)
        # The patient's texts go into the outbox with the booking or the request's end, in one transaction;
        # `message_written` wakes the worker that sends them.
        self.messages = messages
        self.message_written = message_written

    # ---- the offer ------------------------------------------------------------------------------------

    async def earliest(
        self, now: dt.datetime, *, after: dt.datetime | None = None, priority: bool = False
    ) -> Offer | NoSlot:
        """The earliest slot with room at `now` (strictly after `after`), given what is booked."""
        config = self.capacity()
        practice_id = await self.practice.id()
        # Every booking the planner could look at: from the start of today to the end of the horizon.
        start = now - dt.timedelta(days=1)
        end = now + dt.timedelta(days=config.horizon_days + 2)
        rows = await self.db.run(bookings_between, practice_id, start, end)
        bookings = [Booking(r.slot_start, r.priority) for r in rows if r.slot_start is not None]
        return earliest_slot(config, bookings, now, after=after, priority=priority)

    async def book(
        self, offer: Offer, *, phone: str, number_source: NumberSource, call_id: str
    ) -> CallbackRequest | None:
        """Take a place in the offered slot (committed when this returns), or None if it just filled up."""
        return await self._book(offer, phone=phone, number_source=number_source, call_id=call_id)

    async def book_online(
        self,
        offer: Offer,
        *,
        phone: str,
        patient_name: str,
        urgency: str,
        summary: str,
        triage: dict[str, Any],
        priority: bool,
    ) -> CallbackRequest | None:
        """Book a request made online (the intake API), like a caller's: None if the slot just filled up."""
        return await self._book(
            offer,
            phone=phone,
            number_source=NumberSource.ONLINE,
            source=RequestSource.ONLINE,
            priority=priority,
            reason=summary,
            patient_name=patient_name,
            urgency=urgency,
            triage=triage,
        )

    async def _book(self, offer: Offer, *, phone: str, **fields: Any) -> CallbackRequest | None:
        config = self.capacity()
        message = self.messages(MessageEvent.BOOKED, phone, offer.slot_start)
        # The whole slot and its reserve, judged in SQL by the planner's own rule (common.room): what the
        # planner offered, the booking accepts unless another caller took it meanwhile. The patient's text,
        # if any, is written in the same transaction.
        request: CallbackRequest | None = await self.db.run(
            book_callback,
            practice_id=await self.practice.id(),
            slot_start=offer.slot_start,
            slot_end=offer.slot_end,
            capacity=slot_capacity(config, offer.slot_start),
            reserved=config.priority_reserved_per_slot,
            phone=phone,
            message=message,
            **fields,
        )
        if request is not None:
            self.notify("callbacks")  # the screen shows it within a second
            if message is not None:
                self.message_written()
        return request

    async def attach_voice_note(self, request_id: int, ref: str) -> None:
        try:
            await self.db.run(attach_voice_note, request_id, ref)
        except StoreUnavailable as exc:
            # The booking itself stands; only the recorded question is not linked.
            log.error("voice_note_not_linked", request_id=request_id, error=str(exc))

    def event(self, call_id: str, kind: EventKind, **detail: Any) -> None:
        """Note a step of the offer for the reports (turned away callers above all); never waits or raises."""
        if self.trace is not None:
            self.trace.record(call_id, kind, **detail)

    # ---- making the callbacks ---------------------------------------------------------------------------

    async def due(self, now: dt.datetime) -> list[CallbackRequest]:
        """Booked requests due at `now`, in the order to call them."""
        return await self.db.run(attempts.due_callbacks, await self.practice.id(), now)

    async def claim(self, request_id: int, *, headset: str, now: dt.datetime) -> CallbackAttempt | None:
        return await self.db.run(attempts.claim_callback, request_id, headset=headset, now=now)

    async def patient_dialled(self, attempt_id: int, patient_channel: str, headset_channel: str) -> None:
        await self.db.run(attempts.mark_patient_dialled, attempt_id, patient_channel, headset_channel)

    async def patient_answered(self, attempt_id: int, at: dt.datetime) -> None:
        await self.db.run(attempts.mark_patient_answered, attempt_id, at)

    async def finish(
        self, attempt_id: int, outcome: str, *, now: dt.datetime, retry_after: dt.timedelta, max_attempts: int
    ) -> CallbackRequest:
        return await self.db.run(
            attempts.finish_attempt,
            attempt_id,
            outcome,
            now=now,
            retry_after=retry_after,
            max_attempts=max_attempts,
            max_failures=MAX_FAILED_ATTEMPTS,
            not_reached_message=self._not_reached_message,
        )

    def _not_reached_message(self, request: CallbackRequest) -> MessageDraft | None:
        message = self.messages(MessageEvent.NOT_REACHED, request.phone, None)
        if message is not None:
            # Written in the attempt's transaction; the worker is woken when that has committed (soon).
            asyncio.get_running_loop().call_soon(self.message_written)
        return message

    async def recover(self, now: dt.datetime, dialing: CallbackDialing) -> list[tuple[int, str]]:
        """Close the attempts a stopped controller left open (answered: done; dialled: a try; else back)."""
        return await self.db.run(
            attempts.recover_in_progress,
            await self.practice.id(),
            now,
            retry_after=dt.timedelta(seconds=dialing.retry_after_seconds),
            max_attempts=dialing.max_attempts,
        )

    async def sweep(
        self, owned: set[int], now: dt.datetime, dialing: CallbackDialing
    ) -> list[tuple[int, str]]:
        """Close open attempts that no running dial-out owns (their end could not be stored)."""
        return await self.db.run(
            attempts.sweep_open_attempts,
            await self.practice.id(),
            owned,
            now,
            grace=SWEEP_GRACE,
            retry_after=dt.timedelta(seconds=dialing.retry_after_seconds),
            max_attempts=dialing.max_attempts,
        )
