"""The call event log: batches in one transaction, a re-written batch stored once, reading a period back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.bookings import book_callback
from storage.call_events import EventKind, NewCallEvent, events_between, record_call_events, trace_call_id
from storage.manual import mark_done
from storage.models import CallEvent, Practice
from storage.practices import ensure_practice

Sessions = async_sessionmaker[AsyncSession]
AT = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def event(call_id: str, kind: EventKind, after: float, **detail: object) -> NewCallEvent:
    return NewCallEvent(call_id, kind, AT + timedelta(seconds=after), dict(detail))


CALL = [
    event("c1", EventKind.CALL_ARRIVED, 0, caller="number"),
    event("c1", EventKind.SPOED_STARTED, 2.5, route="practice", headsets=3),
    event("c1", EventKind.SPOED_ANSWERED, 9.25, by="assistent1", seconds=6.75, overflowed=False),
    event("c1", EventKind.CALL_ENDED, 70, reason="completed", seconds=70.0),
]


async def _rows(sessions: Sessions) -> list[CallEvent]:
    async with sessions() as session:
        return list(await session.scalars(select(CallEvent).order_by(CallEvent.id)))


async def test_a_batch_is_stored_with_its_times_kinds_and_details(
    sessions: Sessions, practice: Practice
) -> None:
    """Every event of the batch, in order, with its own time and JSON detail; the count is returned."""
    assert await record_call_events(sessions, practice.id, CALL) == 4
    rows = await _rows(sessions)
    assert [(r.call_id, r.kind, r.at, r.detail) for r in rows] == [
        (e.call_id, e.kind, e.at, e.detail) for e in CALL
    ]
    assert all(r.practice_id == practice.id for r in rows)


async def test_a_batch_is_one_transaction(sessions: Sessions, practice: Practice) -> None:
    """One event that cannot be stored (an unknown practice) stores none of the batch."""
    with pytest.raises(Exception):  # noqa: B017 - the integrity error's class differs per driver
        await record_call_events(sessions, practice.id + 1000, CALL)
    assert await _rows(sessions) == []


async def test_a_rewritten_batch_adds_only_what_is_missing(sessions: Sessions, practice: Practice) -> None:
    """skip_existing: events stored before (same call, kind, time, detail) are not stored again."""
    await record_call_events(sessions, practice.id, CALL[:2])
    other_detail = event("c1", EventKind.SPOED_STARTED, 2.5, route="huisartsenpost", headsets=0)
    again = [*CALL, other_detail]
    assert await record_call_events(sessions, practice.id, again, skip_existing=True) == 3
    rows = await _rows(sessions)
    assert len(rows) == 5
    assert sorted((r.kind, r.at) for r in rows) == sorted((e.kind, e.at) for e in again)


async def test_events_of_another_practice_are_not_taken_for_existing(
    sessions: Sessions, practice: Practice
) -> None:
    """skip_existing looks at this practice's events only."""
    other = await ensure_practice(sessions, slug="de-eik", name="De Eik", number="0301234567")
    await record_call_events(sessions, other.id, CALL)
    assert await record_call_events(sessions, practice.id, CALL, skip_existing=True) == 4


async def test_an_empty_batch_and_a_naive_time(sessions: Sessions, practice: Practice) -> None:
    """Nothing to store is fine; a naive time is refused before anything is stored."""
    assert await record_call_events(sessions, practice.id, []) == 0
    naive = NewCallEvent("c1", EventKind.CALL_ARRIVED, datetime(2026, 11, 23, 8, 0), {})
    with pytest.raises(ValueError, match="timezone-aware"):
        await record_call_events(sessions, practice.id, [*CALL, naive])
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(CallEvent)) == 0


async def test_a_period_is_read_back_in_time_order(sessions: Sessions, practice: Practice) -> None:
    """events_between: [start, end), by time, this practice only."""
    await record_call_events(sessions, practice.id, [CALL[3], CALL[0], CALL[2], CALL[1]])
    found = await events_between(sessions, practice.id, AT, AT + timedelta(seconds=70))
    assert [e.kind for e in found] == [e.kind for e in CALL[:3]]


async def test_the_screens_events_use_the_kinds_defined_here(sessions: Sessions, practice: Practice) -> None:
    """Marking a request done on the screen writes manual_done under the id trace_call_id gives it."""
    request = await book_callback(
        sessions,
        practice_id=practice.id,
        slot_start=AT,
        slot_end=AT + timedelta(minutes=15),
        capacity=1,
        phone="0612345678",
        number_source="typed",
    )
    assert request is not None
    await mark_done(sessions, practice.id, request.id, by="assistent1", now=AT)
    [row] = await _rows(sessions)
    assert (row.kind, row.call_id) == (EventKind.MANUAL_DONE, trace_call_id(None, request.id))


def test_every_kind_fits_the_column_and_is_unique() -> None:
    """call_event.kind holds 32 characters; no two kinds share a name."""
    names = [kind.value for kind in EventKind]
    assert max(len(name) for name in names) <= CallEvent.__table__.c.kind.type.length
    assert len(set(names)) == len(names)
