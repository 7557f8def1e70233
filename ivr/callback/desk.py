"""The callback offer's only door to the planner and the database, so the call flow never touches SQL.

Every database failure comes out as `DeskUnavailable` (ivr.practice_db): the call then goes to an
assistant instead of losing the caller. Call events are best effort: a failure to log one never ends a
call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from capacity.config import CapacityConfig
from capacity.planner import Booking, NoSlot, Offer, earliest_slot, slot_capacity
from ivr.practice_db import FAILURES, DeskUnavailable, guarded
from storage.bookings import book_callback, bookings_between, record_call_event
from storage.models import CallbackRequest, NumberSource
from storage.requests import attach_voice_note

log = structlog.get_logger(__name__)


class CallbackDesk:
    """Plans and books callbacks for one practice."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        practice_id: Callable[[], Awaitable[int]],
        capacity: Callable[[], CapacityConfig],
    ) -> None:
        self.sessions = sessions
        self.practice_id = practice_id
        self.capacity = capacity

    async def earliest(self, now: dt.datetime, *, after: dt.datetime | None = None) -> Offer | NoSlot:
        """The earliest slot with room at `now` (strictly after `after`), given what is booked."""
        config = self.capacity()
        practice_id = await self.practice_id()
        # Every booking the planner could look at: from the start of today to the end of the horizon.
        start = now - dt.timedelta(days=1)
        end = now + dt.timedelta(days=config.horizon_days + 2)
        rows = await guarded(bookings_between(self.sessions, practice_id, start, end))
        bookings = [Booking(r.slot_start, r.priority) for r in rows if r.slot_start is not None]
        return earliest_slot(config, bookings, now, after=after)

    async def book(
        self, offer: Offer, *, phone: str, number_source: NumberSource, call_id: str
    ) -> CallbackRequest | None:
        """Take a place in the offered slot (committed when this returns), or None if it just filled up."""
        config = self.capacity()
        # Ordinary callers never use the places held back for priority requests.
        capacity = slot_capacity(config, offer.slot_start) - config.priority_reserved_per_slot
        return await guarded(
            book_callback(
                self.sessions,
                practice_id=await self.practice_id(),
                slot_start=offer.slot_start,
                slot_end=offer.slot_end,
                capacity=capacity,
                phone=phone,
                number_source=number_source,
                call_id=call_id,
            )
        )

    async def attach_voice_note(self, request_id: int, ref: str) -> None:
        try:
            await attach_voice_note(self.sessions, request_id, ref)
        except FAILURES as exc:
            # The booking itself stands; only the recorded question is not linked.
            log.error("voice_note_not_linked", request_id=request_id, error=type(exc).__name__)

    async def event(self, call_id: str, kind: str, **detail: Any) -> None:
        """Log a step of the call for the reports (turned away callers above all); never raises."""
        try:
            await record_call_event(
                self.sessions, practice_id=await self.practice_id(), call_id=call_id, kind=kind, detail=detail
            )
        except (DeskUnavailable, *FAILURES) as exc:
            log.warning("call_event_not_stored", kind=kind, error=type(exc).__name__)
