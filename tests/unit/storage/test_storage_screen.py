"""The screen's read model: a day's requests in any status with their attempts, and one request by id."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.attempts import claim_callback, finish_attempt
from storage.bookings import book_callback, cancel_callback
from storage.models import CallbackRequest, Practice
from storage.practices import ensure_practice
from storage.screen import ScreenAttempt, ScreenRow, day_callbacks, request_by_id

if TYPE_CHECKING:  # the storage tests' conftest, which pytest imports itself
    from conftest import KeepPlace

Sessions = async_sessionmaker[AsyncSession]
LOCAL = ZoneInfo("Europe/Amsterdam")
DAY_START = datetime(2025, 3, 3, tzinfo=LOCAL)
DAY_END = datetime(2025, 3, 4, tzinfo=LOCAL)
SLOT = datetime(2025, 3, 3, 9, 0, tzinfo=LOCAL)
QUARTER = timedelta(minutes=15)
RETRY = timedelta(minutes=5)


async def _book(
    sessions: Sessions, practice: Practice, start: datetime = SLOT, phone: str = "0612345678", **extra: Any
) -> CallbackRequest:
    booked = await book_callback(
        sessions,
        practice_id=practice.id,
        slot_start=start,
        slot_end=start + QUARTER,
        capacity=10,
        phone=phone,
        number_source=extra.pop("number_source", "caller_id"),
        **extra,
    )
    assert booked is not None
    return booked


async def _try(
    sessions: Sessions, request_id: int, outcome: str, at: datetime, headset: str = "hs-1"
) -> datetime:
    attempt = await claim_callback(sessions, request_id, headset=headset, now=at)
    assert attempt is not None
    await finish_attempt(sessions, attempt.id, outcome, now=at, retry_after=RETRY, max_attempts=3)
    return at


async def _day(sessions: Sessions, practice: Practice) -> list[ScreenRow]:
    return await day_callbacks(sessions, practice.id, DAY_START, DAY_END)


@contextmanager
def _statements(engine: AsyncEngine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


async def test_a_day_lists_every_status_with_its_attempts_in_order(
    sessions: Sessions, practice: Practice
) -> None:
    """Booked, done, cancelled and in-progress requests are all listed, each with its attempts in order."""
    booked = await _book(sessions, practice, SLOT, "0611111111")
    done = await _book(sessions, practice, SLOT + QUARTER, "0622222222")
    first = await _try(sessions, done.id, "not_reached", SLOT + QUARTER, "hs-1")
    second = await _try(sessions, done.id, "reached", first + RETRY, "hs-2")
    cancelled = await _book(sessions, practice, SLOT + 2 * QUARTER, "0633333333")
    assert await cancel_callback(sessions, cancelled.id)
    calling = await _book(sessions, practice, SLOT + 3 * QUARTER, "0644444444")
    assert await claim_callback(sessions, calling.id, headset="hs-3", now=SLOT + 3 * QUARTER) is not None

    rows = await _day(sessions, practice)

    assert [(r.id, r.status) for r in rows] == [
        (booked.id, "booked"),
        (done.id, "done"),
        (cancelled.id, "cancelled"),
        (calling.id, "in_progress"),
    ]
    by_id = {r.id: r for r in rows}
    assert by_id[booked.id].attempts == ()
    assert by_id[done.id].attempt_count == 2
    assert by_id[done.id].attempts == (
        ScreenAttempt(attempt_no=1, started_at=first, ended_at=first, outcome="not_reached", headset="hs-1"),
        ScreenAttempt(attempt_no=2, started_at=second, ended_at=second, outcome="reached", headset="hs-2"),
    )
    assert by_id[calling.id].attempts == (
        ScreenAttempt(
            attempt_no=1, started_at=SLOT + 3 * QUARTER, ended_at=None, outcome=None, headset="hs-3"
        ),
    )


async def test_a_row_carries_every_field_of_the_request(sessions: Sessions, practice: Practice) -> None:
    """The row holds the full number and every field the screen shows, and cannot be changed."""
    booked = await _book(
        sessions,
        practice,
        phone="0612345678",
        number_source="typed",
        priority=True,
        source="online",
        reason="uitslag bloedonderzoek",
        voice_note_ref="vn/1.wav",
        call_id="c-1",
    )
    assert await cancel_callback(sessions, booked.id)

    [row] = await _day(sessions, practice)

    stored = await request_by_id(sessions, practice.id, booked.id)
    assert stored == row
    assert (row.id, row.phone, row.kind, row.source, row.number_source, row.priority) == (
        booked.id,
        "0612345678",
        "slot",
        "online",
        "typed",
        True,
    )
    assert (row.slot_start, row.slot_end, row.due_at, row.queued_at) == (SLOT, SLOT + QUARTER, SLOT, None)
    assert (row.reason, row.voice_note_ref, row.status, row.attempt_count) == (
        "uitslag bloedonderzoek",
        "vn/1.wav",
        "cancelled",
        0,
    )
    assert row.outcome_note is None and row.ended_at is not None
    assert row.created_at == booked.created_at and row.updated_at >= row.created_at
    assert row.ended_at.tzinfo is not None and row.created_at.tzinfo is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.status = "booked"  # type: ignore[misc]


async def test_only_the_practices_requests_of_that_day_are_listed(
    sessions: Sessions, practice: Practice
) -> None:
    """The day runs from its first instant up to, not including, the next local midnight; per practice."""
    other = await ensure_practice(sessions, slug="de-eik", name="De Eik", number="0207654321")
    at_start = await _book(sessions, practice, DAY_START)
    last = await _book(sessions, practice, DAY_END - QUARTER)
    day_before = await _book(sessions, practice, DAY_START - QUARTER)
    await cancel_callback(sessions, day_before.id)  # ended: it stays on its own day
    await _book(sessions, practice, DAY_END)
    await _book(sessions, other, SLOT)

    assert [r.id for r in await _day(sessions, practice)] == [at_start.id, last.id]


async def test_an_open_request_from_an_earlier_day_is_listed_as_work_to_do(
    sessions: Sessions, practice: Practice
) -> None:
    """A booking of yesterday never called is still due, so today's list shows it; tomorrow's does not."""
    yesterday = await _book(sessions, practice, SLOT - timedelta(days=1))
    tomorrow = await _book(sessions, practice, SLOT + timedelta(days=1), phone="0687654321")
    listed = [r.id for r in await _day(sessions, practice)]
    assert yesterday.id in listed and tomorrow.id not in listed


async def test_kept_places_belong_to_the_day_they_queued_and_the_day_they_are_due(
    sessions: Sessions, practice: Practice, kept_place: KeepPlace
) -> None:
    """A kept place is listed on its queue day, and again on a later day a retry makes it due."""
    today = await kept_place(SLOT, "0611111111")
    yesterday = await kept_place(SLOT - timedelta(days=1), "0622222222")
    retried = await kept_place(SLOT - timedelta(days=1, hours=-1), "0633333333")
    await _try(sessions, retried.id, "busy", DAY_START + timedelta(hours=8))
    assert today.queued_at is not None and yesterday.queued_at is not None

    await cancel_callback(sessions, yesterday.id)  # ended yesterday: yesterday's list only

    rows = await _day(sessions, practice)

    assert [r.id for r in rows] == [retried.id, today.id]
    assert rows[1].kind == "kept_place"
    assert (rows[1].slot_start, rows[1].queued_at, rows[1].due_at) == (None, SLOT, SLOT)
    assert rows[0].due_at == DAY_START + timedelta(hours=8) + RETRY
    assert [a.outcome for a in rows[0].attempts] == ["busy"]


async def test_rows_are_ordered_by_time_then_urgency_then_booking(
    sessions: Sessions, practice: Practice, kept_place: KeepPlace
) -> None:
    """In a slot urgent requests come first, then the earlier booking; a kept place sits at its arrival."""
    later = await _book(sessions, practice, SLOT + QUARTER, "0611111111")
    ordinary = await _book(sessions, practice, SLOT, "0622222222")
    urgent = await _book(sessions, practice, SLOT, "0633333333", priority=True)
    second = await _book(sessions, practice, SLOT, "0644444444")
    kept = await kept_place(SLOT + timedelta(minutes=7), "0655555555")

    rows = await _day(sessions, practice)

    assert [r.id for r in rows] == [urgent.id, ordinary.id, second.id, kept.id, later.id]


async def test_the_day_is_read_in_one_query_however_many_rows(
    sessions: Sessions, practice: Practice, engine: AsyncEngine
) -> None:
    """Reading a day costs the same number of statements (at most two) for one row or ten with attempts."""
    first = await _book(sessions, practice, SLOT, "0610000000")
    await _try(sessions, first.id, "not_reached", SLOT)
    with _statements(engine) as one:
        assert len(await _day(sessions, practice)) == 1
    for i in range(1, 10):
        booked = await _book(sessions, practice, SLOT + i * QUARTER, f"06{i:08d}")
        await _try(sessions, booked.id, "not_reached", SLOT + i * QUARTER)
    with _statements(engine) as many:
        rows = await _day(sessions, practice)

    assert len(rows) == 10 and all(len(r.attempts) == 1 for r in rows)
    assert len(many) == len(one) <= 2


async def test_naive_or_reversed_day_bounds_are_refused(sessions: Sessions, practice: Practice) -> None:
    """A naive bound or an end not after the start raises ValueError."""
    with pytest.raises(ValueError, match="day_start"):
        await day_callbacks(sessions, practice.id, datetime(2025, 3, 3), DAY_END)
    with pytest.raises(ValueError, match="day_end"):
        await day_callbacks(sessions, practice.id, DAY_END, DAY_START)


async def test_request_by_id_is_limited_to_the_practice(sessions: Sessions, practice: Practice) -> None:
    """A request is found with its attempts by its own practice only; unknown ids give None."""
    other = await ensure_practice(sessions, slug="de-eik", name="De Eik", number="0207654321")
    booked = await _book(sessions, practice)
    at = await _try(sessions, booked.id, "voicemail", SLOT.astimezone(UTC))

    row = await request_by_id(sessions, practice.id, booked.id)

    assert row is not None and row.id == booked.id
    assert [(a.attempt_no, a.outcome, a.started_at) for a in row.attempts] == [(1, "voicemail", at)]
    assert await request_by_id(sessions, other.id, booked.id) is None
    assert await request_by_id(sessions, practice.id, booked.id + 1000) is None
