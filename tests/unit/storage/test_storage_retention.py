"""Purging patient data past the retention limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.bookings import book_callback, record_call_event
from storage.models import CallbackAttempt, CallbackRequest, CallEvent, Practice, QueueEntry, SlotCounter
from storage.queue import join_queue
from storage.retention import purge_older_than

if TYPE_CHECKING:  # the storage tests' conftest, which pytest imports itself
    from conftest import KeepPlace

Sessions = async_sessionmaker[AsyncSession]
CUTOFF = datetime(2025, 1, 1, tzinfo=UTC)
QUARTER = timedelta(minutes=15)


async def _book_with_attempt(sessions: Sessions, practice: Practice, start: datetime) -> int:
    request = await book_callback(
        sessions,
        practice_id=practice.id,
        slot_start=start,
        slot_end=start + QUARTER,
        capacity=5,
        phone="0612345678",
        number_source="caller_id",
    )
    assert request is not None
    async with sessions() as session, session.begin():
        session.add(CallbackAttempt(request_id=request.id, started_at=start, outcome="no_answer"))
    return request.id


async def _count(sessions: Sessions, model: type) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_purge_deletes_old_requests_attempts_and_events_only(
    sessions: Sessions, practice: Practice
) -> None:
    """Rows before the cutoff go and are counted; newer rows stay."""
    await _book_with_attempt(sessions, practice, CUTOFF - timedelta(days=400))
    await _book_with_attempt(sessions, practice, CUTOFF - timedelta(days=1))
    kept = await _book_with_attempt(sessions, practice, CUTOFF + timedelta(days=1))
    for at in (CUTOFF - timedelta(days=2), CUTOFF + timedelta(hours=1)):
        await record_call_event(
            sessions, practice_id=practice.id, call_id="c", kind="hangup", detail={}, at=at
        )

    deleted = await purge_older_than(sessions, CUTOFF)

    assert deleted == 2 + 2 + 1  # requests, their attempts, one event
    async with sessions() as session:
        assert (await session.scalars(select(CallbackRequest.id))).all() == [kept]
    assert await _count(sessions, CallbackAttempt) == 1
    assert await _count(sessions, CallEvent) == 1
    assert await _count(sessions, SlotCounter) == 1


async def test_purge_keeps_a_slot_that_ends_after_the_cutoff(sessions: Sessions, practice: Practice) -> None:
    """A request whose slot straddles the cutoff is still in use and stays."""
    await _book_with_attempt(sessions, practice, CUTOFF - timedelta(minutes=5))
    assert await purge_older_than(sessions, CUTOFF) == 0
    assert await _count(sessions, CallbackRequest) == 1
    assert await _count(sessions, SlotCounter) == 1


async def test_purge_on_an_empty_database_deletes_nothing(sessions: Sessions) -> None:
    """Running the daily purge with nothing to do is fine and reports zero."""
    assert await purge_older_than(sessions, CUTOFF) == 0


async def test_purge_refuses_a_naive_cutoff(sessions: Sessions) -> None:
    """A cutoff without a zone is an error, not a guess."""
    with pytest.raises(ValueError, match="timezone-aware"):
        await purge_older_than(sessions, CUTOFF.replace(tzinfo=None))


async def test_purge_deletes_old_queue_entries_and_kept_places(
    sessions: Sessions, practice: Practice, kept_place: KeepPlace
) -> None:
    """Queue entries go by arrival, kept places (which have no slot) by their due time."""
    await kept_place(CUTOFF - timedelta(days=3), call_id="c-old")
    kept = (await kept_place(CUTOFF + timedelta(minutes=1), call_id="c-new")).id
    await join_queue(
        sessions,
        practice_id=practice.id,
        call_id="c-gone",
        channel_id="ch-gone",
        phone="",
        group="overige",
        rank=1,
        arrived_at=CUTOFF - timedelta(hours=1),
    )

    deleted = await purge_older_than(sessions, CUTOFF)

    assert deleted == 1 + 2  # the old kept place, two old queue entries
    async with sessions() as session:
        assert (await session.scalars(select(CallbackRequest.id))).all() == [kept]
        assert (await session.scalars(select(QueueEntry.call_id))).all() == ["c-new"]
