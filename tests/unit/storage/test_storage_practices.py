"""The practice row, keyed by the stable id the admin sets in the menu YAML (defect 5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.bookings import book_callback, bookings_between
from storage.models import Practice
from storage.practices import ensure_practice, practice_by_slug

Sessions = async_sessionmaker[AsyncSession]
SLOT = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


async def test_renaming_updates_the_row_and_keeps_every_booking(
    sessions: Sessions, practice: Practice
) -> None:
    """A new name or number for an existing id updates that row; its bookings stay with it."""
    booked = await book_callback(
        sessions,
        practice_id=practice.id,
        slot_start=SLOT,
        slot_end=SLOT + timedelta(minutes=15),
        capacity=3,
        phone="0612345678",
        number_source="typed",
    )
    assert booked is not None

    renamed = await ensure_practice(
        sessions, slug="de-linde", name="Gezondheidscentrum De Linde", number="0209876543"
    )

    assert renamed.id == practice.id
    assert (renamed.name, renamed.number) == ("Gezondheidscentrum De Linde", "0209876543")
    stored = await practice_by_slug(sessions, "de-linde")
    assert stored is not None and (stored.name, stored.number) == (renamed.name, renamed.number)
    assert [r.id for r in await bookings_between(sessions, renamed.id, SLOT, SLOT + timedelta(hours=1))] == [
        booked.id
    ]
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Practice)) == 1


async def test_an_unchanged_practice_is_returned_as_it_is(sessions: Sessions, practice: Practice) -> None:
    """Registering the same id, name and number again gives the same row."""
    again = await ensure_practice(sessions, slug="de-linde", name=practice.name, number=practice.number)
    assert (again.id, again.name, again.number) == (practice.id, practice.name, practice.number)
