"""The proof that simultaneous confirmations never overbook a slot, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.bookings import book_callback
from storage.models import CallbackRequest, Practice, SlotCounter

Sessions = async_sessionmaker[AsyncSession]
SLOT = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
QUARTER = timedelta(minutes=15)
CALLERS = 100
CAPACITY = 10


async def _confirm(
    sessions: Sessions, practice: Practice, caller: int, start: datetime
) -> CallbackRequest | None:
    return await book_callback(
        sessions,
        practice_id=practice.id,
        slot_start=start,
        slot_end=start + QUARTER,
        capacity=CAPACITY,
        phone=f"06{caller:08d}",
        number_source="caller_id",
        call_id=f"call-{caller}",
    )


async def _caller_taking_next_free_slot(sessions: Sessions, practice: Practice, caller: int) -> datetime:
    # What the IVR does when a confirmation comes back full: offer the next slot and confirm again.
    start = SLOT
    while await _confirm(sessions, practice, caller, start) is None:
        start += QUARTER
    return start


async def _stored_per_slot(sessions: Sessions) -> tuple[Counter[datetime], dict[datetime, int]]:
    async with sessions() as session:
        requests = Counter((await session.scalars(select(CallbackRequest.slot_start))).all())
        counters = {
            c.slot_start: c.ordinary + c.priority for c in (await session.scalars(select(SlotCounter))).all()
        }
    return requests, counters


async def test_hundred_simultaneous_confirmations_fill_exactly_the_capacity(
    sessions: Sessions, practice: Practice
) -> None:
    """Of 100 callers confirming one slot of 10 places at once, exactly 10 get it and 90 get None."""
    results = await asyncio.gather(*(_confirm(sessions, practice, i, SLOT) for i in range(CALLERS)))

    booked = [r for r in results if r is not None]
    assert len(booked) == CAPACITY
    assert results.count(None) == CALLERS - CAPACITY
    requests, counters = await _stored_per_slot(sessions)
    assert requests == {SLOT: CAPACITY}
    assert counters == {SLOT: CAPACITY}


async def test_callers_moving_on_to_the_next_slot_all_get_placed_without_overbooking(
    sessions: Sessions, practice: Practice
) -> None:
    """100 callers who retry the next quarter when full end up in 10 slots of exactly 10."""
    slots = await asyncio.gather(
        *(_caller_taking_next_free_slot(sessions, practice, i) for i in range(CALLERS))
    )

    expected = {SLOT + n * QUARTER: CAPACITY for n in range(CALLERS // CAPACITY)}
    assert Counter(slots) == expected
    requests, counters = await _stored_per_slot(sessions)
    assert requests == expected
    assert counters == expected
    assert max(counters.values()) <= CAPACITY
