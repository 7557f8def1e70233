"""Reading one callback request whole, for "Bel nu" on the screen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.bookings import book_callback
from storage.models import Practice
from storage.practices import ensure_practice
from storage.requests import callback_request

Sessions = async_sessionmaker[AsyncSession]
SLOT = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


async def test_a_request_is_read_only_for_its_own_practice(sessions: Sessions, practice: Practice) -> None:
    """The request comes back with its fields for its practice, and as None for another practice or id."""
    other = await ensure_practice(sessions, slug="de-eik", name="De Eik", number="0207654321")
    booked = await book_callback(
        sessions,
        practice_id=practice.id,
        slot_start=SLOT,
        slot_end=SLOT + timedelta(minutes=15),
        capacity=3,
        phone="0612345678",
        number_source="caller_id",
    )
    assert booked is not None
    found = await callback_request(sessions, practice.id, booked.id)
    assert found is not None
    assert (found.id, found.phone, found.due_at) == (booked.id, "0612345678", SLOT)
    assert await callback_request(sessions, other.id, booked.id) is None
    assert await callback_request(sessions, practice.id, booked.id + 1) is None
