"""Purging patient data past the retention limit: only finished requests, and their recordings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.attempts import claim_callback, finish_attempt
from storage.bookings import book_callback, cancel_callback, record_call_event
from storage.models import CallbackAttempt, CallbackRequest, CallEvent, Practice, QueueEntry, SlotCounter
from storage.queue import join_queue
from storage.retention import purge_older_than

if TYPE_CHECKING:  # the storage tests' conftest, which pytest imports itself
    from conftest import KeepPlace

Sessions = async_sessionmaker[AsyncSession]
CUTOFF = datetime(2025, 1, 1, tzinfo=UTC)
QUARTER = timedelta(minutes=15)
PROTOCOL = {"retry_after": timedelta(minutes=5), "max_attempts": 2}


async def _book(
    sessions: Sessions, practice: Practice, start: datetime, phone: str = "0612345678", **extra: object
) -> CallbackRequest:
    request = await book_callback(
        sessions,
        practice_id=practice.id,
        slot_start=start,
        slot_end=start + QUARTER,
        capacity=5,
        phone=phone,
        number_source="caller_id",
        **extra,  # type: ignore[arg-type]
    )
    assert request is not None
    return request


async def _done(sessions: Sessions, request: CallbackRequest, at: datetime) -> None:
    """Call the request back at `at` and reach the patient: it ends then, with one attempt."""
    attempt = await claim_callback(sessions, request.id, headset="hs-1", now=at)
    assert attempt is not None
    await finish_attempt(sessions, attempt.id, "reached", now=at, **PROTOCOL)


async def _count(sessions: Sessions, model: type) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _ids(sessions: Sessions) -> list[int]:
    async with sessions() as session:
        return list((await session.scalars(select(CallbackRequest.id).order_by(CallbackRequest.id))).all())


async def test_purge_deletes_old_finished_requests_attempts_and_events_only(
    sessions: Sessions, practice: Practice
) -> None:
    """Requests that ended before the cutoff go with their attempts and old events; newer rows stay."""
    for days in (400, 1):
        old = await _book(sessions, practice, CUTOFF - timedelta(days=days))
        await _done(sessions, old, CUTOFF - timedelta(days=days))
    kept = await _book(sessions, practice, CUTOFF + timedelta(days=1))
    await _done(sessions, kept, CUTOFF + timedelta(days=1))
    for at in (CUTOFF - timedelta(days=2), CUTOFF + timedelta(hours=1)):
        await record_call_event(
            sessions, practice_id=practice.id, call_id="c", kind="hangup", detail={}, at=at
        )

    purged = await purge_older_than(sessions, CUTOFF)

    assert (purged.requests, purged.attempts, purged.events, purged.queue_entries) == (2, 2, 1, 0)
    assert purged.deleted == 5
    assert await _ids(sessions) == [kept.id]
    assert await _count(sessions, CallbackAttempt) == 1
    assert await _count(sessions, CallEvent) == 1
    assert await _count(sessions, SlotCounter) == 1


async def test_purge_never_deletes_a_request_that_is_still_due(
    sessions: Sessions, practice: Practice, kept_place: KeepPlace
) -> None:
    """Booked and in-progress requests stay, however old their slot or queue place (defect 7)."""
    booked = await _book(sessions, practice, CUTOFF - timedelta(days=30), phone="0600000001")
    calling = await _book(sessions, practice, CUTOFF - timedelta(days=30), phone="0600000002")
    assert await claim_callback(sessions, calling.id, headset="hs-1", now=CUTOFF - timedelta(days=3))
    kept = await kept_place(CUTOFF - timedelta(days=20), "0600000003")

    purged = await purge_older_than(sessions, CUTOFF)

    assert purged.requests == 0
    assert await _ids(sessions) == [booked.id, calling.id, kept.id]
    assert await _count(sessions, SlotCounter) == 1


async def test_purge_goes_by_when_a_request_ended_not_by_its_slot(
    sessions: Sessions, practice: Practice
) -> None:
    """An old slot called back after the cutoff stays; a future slot cancelled long ago goes."""
    late = await _book(sessions, practice, CUTOFF - timedelta(days=10), phone="0600000001")
    await _done(sessions, late, CUTOFF + timedelta(minutes=1))
    cancelled = await _book(sessions, practice, CUTOFF + timedelta(days=5), phone="0600000002")
    await cancel_callback(sessions, cancelled.id)
    async with sessions() as session, session.begin():
        await session.execute(
            update(CallbackRequest)
            .where(CallbackRequest.id == cancelled.id)
            .values(ended_at=CUTOFF - timedelta(days=1))
        )

    purged = await purge_older_than(sessions, CUTOFF)

    assert purged.requests == 1
    assert await _ids(sessions) == [late.id]


async def test_purge_returns_the_voice_notes_of_deleted_requests(
    sessions: Sessions, practice: Practice
) -> None:
    """Every deleted request's recording reference comes back, so the audio can be deleted too."""
    old = await _book(
        sessions, practice, CUTOFF - timedelta(days=3), voice_note_ref="terugbelverzoek/20241229T091500Z-a"
    )
    await _done(sessions, old, CUTOFF - timedelta(days=3))
    silent = await _book(sessions, practice, CUTOFF - timedelta(days=3), phone="0600000009")
    await _done(sessions, silent, CUTOFF - timedelta(days=3))
    due = await _book(
        sessions,
        practice,
        CUTOFF - timedelta(days=3),
        phone="0600000008",
        voice_note_ref="terugbelverzoek/20241229T091500Z-b",
    )

    purged = await purge_older_than(sessions, CUTOFF)

    assert purged.voice_note_refs == ("terugbelverzoek/20241229T091500Z-a",)
    assert await _ids(sessions) == [due.id]


async def test_purge_keeps_a_request_that_ends_after_the_cutoff(
    sessions: Sessions, practice: Practice
) -> None:
    """A request finished just after the cutoff is still within its retention period."""
    request = await _book(sessions, practice, CUTOFF - timedelta(minutes=5))
    await _done(sessions, request, CUTOFF + timedelta(minutes=5))
    assert (await purge_older_than(sessions, CUTOFF)).deleted == 0
    assert await _count(sessions, CallbackRequest) == 1
    assert await _count(sessions, SlotCounter) == 1


async def test_purge_on_an_empty_database_deletes_nothing(sessions: Sessions) -> None:
    """Running the daily purge with nothing to do is fine and reports zero."""
    purged = await purge_older_than(sessions, CUTOFF)
    assert (purged.deleted, purged.voice_note_refs) == (0, ())


async def test_purge_refuses_a_naive_cutoff(sessions: Sessions) -> None:
    """A cutoff without a zone is an error, not a guess."""
    with pytest.raises(ValueError, match="timezone-aware"):
        await purge_older_than(sessions, CUTOFF.replace(tzinfo=None))


async def test_purge_deletes_old_queue_entries_and_finished_kept_places(
    sessions: Sessions, practice: Practice, kept_place: KeepPlace
) -> None:
    """Queue entries go by arrival, kept places by when they ended, like any request."""
    old = await kept_place(CUTOFF - timedelta(days=3), call_id="c-old")
    await _done(sessions, old, CUTOFF - timedelta(days=2))
    kept = (await kept_place(CUTOFF + timedelta(minutes=1), "0687654321", call_id="c-new")).id
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

    purged = await purge_older_than(sessions, CUTOFF)

    assert (purged.requests, purged.attempts, purged.queue_entries) == (1, 1, 2)
    assert await _ids(sessions) == [kept]
    async with sessions() as session:
        assert (await session.scalars(select(QueueEntry.call_id))).all() == ["c-new"]
