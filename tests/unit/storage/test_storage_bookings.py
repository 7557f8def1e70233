"""Booking, cancelling, the planner's query and the call event log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.attempts import claim_callback, finish_attempt
from storage.bookings import book_callback, bookings_between, cancel_callback, record_call_event
from storage.models import CallbackRequest, CallEvent, Practice, SlotCounter
from storage.practices import ensure_practice

if TYPE_CHECKING:  # the storage tests' conftest, which pytest imports itself
    from conftest import KeepPlace

Sessions = async_sessionmaker[AsyncSession]
SLOT = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
QUARTER = timedelta(minutes=15)


async def _book(
    sessions: Sessions, practice: Practice, start: datetime = SLOT, capacity: int = 2, **extra: object
) -> CallbackRequest | None:
    return await book_callback(
        sessions,
        practice_id=practice.id,
        slot_start=start,
        slot_end=start + QUARTER,
        capacity=capacity,
        phone=str(extra.pop("phone", "0612345678")),
        number_source="typed",
        **extra,  # type: ignore[arg-type]
    )


async def _counter(sessions: Sessions, practice: Practice, start: datetime = SLOT) -> int:
    async with sessions() as session:
        counter = await session.get(SlotCounter, (practice.id, start))
        return counter.ordinary + counter.priority if counter else 0


async def test_booking_stores_the_request_before_returning(sessions: Sessions, practice: Practice) -> None:
    """The returned request is committed: a new session finds it with every field."""
    booked = await _book(
        sessions,
        practice,
        priority=True,
        source="online",
        reason="hoest",
        voice_note_ref="vn/1.wav",
        call_id="c-9",
    )
    assert booked is not None
    async with sessions() as session:
        stored = await session.get(CallbackRequest, booked.id)
    assert stored is not None
    assert (stored.phone, stored.number_source, stored.status, stored.attempts) == (
        "0612345678",
        "typed",
        "booked",
        0,
    )
    assert (stored.priority, stored.source, stored.reason, stored.voice_note_ref) == (
        True,
        "online",
        "hoest",
        "vn/1.wav",
    )
    assert (stored.slot_start, stored.slot_end, stored.call_id) == (SLOT, SLOT + QUARTER, "c-9")


async def test_a_full_slot_returns_none(sessions: Sessions, practice: Practice) -> None:
    """The place after the last one is refused and nothing is stored for it."""
    assert await _book(sessions, practice) is not None
    assert await _book(sessions, practice) is not None
    assert await _book(sessions, practice) is None
    assert await _counter(sessions, practice) == 2
    async with sessions() as session:
        assert len((await session.scalars(select(CallbackRequest))).all()) == 2


async def test_capacity_is_per_practice(sessions: Sessions, practice: Practice) -> None:
    """Another practice's bookings in the same slot do not take this practice's places."""
    other = await ensure_practice(sessions, slug="het-anker", name="Het Anker", number="0107654321")
    assert await _book(sessions, other, capacity=1) is not None
    assert await _book(sessions, practice, capacity=1) is not None


async def test_zero_capacity_books_nothing(sessions: Sessions, practice: Practice) -> None:
    """A slot without places (e.g. a closed afternoon) is always full."""
    assert await _book(sessions, practice, capacity=0) is None


async def test_naive_slot_times_are_refused(sessions: Sessions, practice: Practice) -> None:
    """Booking with a naive time raises instead of guessing the zone."""
    with pytest.raises(ValueError, match="timezone-aware"):
        await _book(sessions, practice, start=SLOT.replace(tzinfo=None))


async def test_cancel_releases_the_place(sessions: Sessions, practice: Practice) -> None:
    """After a cancellation a full slot takes one more booking."""
    first = await _book(sessions, practice, capacity=1)
    assert first is not None
    assert await _book(sessions, practice, capacity=1) is None
    assert await cancel_callback(sessions, first.id) is True
    assert await _book(sessions, practice, capacity=1) is not None
    async with sessions() as session:
        cancelled = await session.get(CallbackRequest, first.id)
    assert cancelled is not None and cancelled.status == "cancelled"


async def test_cancelling_twice_releases_only_one_place(sessions: Sessions, practice: Practice) -> None:
    """A repeated cancel returns False and does not free a second place."""
    first = await _book(sessions, practice, capacity=2)
    assert first is not None
    await _book(sessions, practice, capacity=2)
    assert await cancel_callback(sessions, first.id) is True
    assert await cancel_callback(sessions, first.id) is False
    assert await _counter(sessions, practice) == 1


async def test_cancel_of_unknown_or_finished_request_is_refused(
    sessions: Sessions, practice: Practice
) -> None:
    """Only booked requests can be cancelled; a done call keeps its place in the statistics."""
    done = await _book(sessions, practice)
    assert done is not None
    async with sessions() as session, session.begin():
        (await session.get(CallbackRequest, done.id)).status = "done"  # type: ignore[union-attr]
    assert await cancel_callback(sessions, done.id) is False
    assert await cancel_callback(sessions, 999_999) is False
    assert await _counter(sessions, practice) == 1


async def test_bookings_between_lists_active_requests_in_planner_order(
    sessions: Sessions, practice: Practice
) -> None:
    """Only booked/in-progress requests of this practice in [start, end), by slot with urgent first."""
    other = await ensure_practice(sessions, slug="het-anker", name="Het Anker", number="0107654321")
    late = await _book(sessions, practice, start=SLOT + QUARTER, phone="0600000001")
    normal = await _book(sessions, practice, phone="0600000002")
    urgent = await _book(sessions, practice, phone="0600000003", priority=True)
    cancelled = await _book(sessions, practice, start=SLOT + QUARTER, phone="0600000004")
    await _book(sessions, practice, start=SLOT + 4 * QUARTER, phone="0600000005")  # outside the window
    await _book(sessions, other, phone="0600000006")
    assert late and normal and urgent and cancelled
    await cancel_callback(sessions, cancelled.id)

    found = await bookings_between(sessions, practice.id, SLOT, SLOT + 4 * QUARTER)
    assert [r.id for r in found] == [urgent.id, normal.id, late.id]


async def test_call_events_are_recorded(sessions: Sessions, practice: Practice) -> None:
    """Events are stored with their call, kind, detail and an aware timestamp."""
    at = datetime(2025, 3, 3, 8, 59, tzinfo=UTC)
    await record_call_event(
        sessions, practice_id=practice.id, call_id="c-1", kind="call_start", detail={}, at=at
    )
    await record_call_event(
        sessions, practice_id=practice.id, call_id="c-1", kind="menu_key", detail={"key": "1"}
    )
    async with sessions() as session:
        events = (await session.scalars(select(CallEvent).order_by(CallEvent.at))).all()
    assert [(e.kind, e.detail) for e in events] == [("call_start", {}), ("menu_key", {"key": "1"})]
    assert events[0].at == at
    assert events[1].at > at


async def test_kept_places_take_no_slot(
    sessions: Sessions, practice: Practice, kept_place: KeepPlace
) -> None:
    """A kept queue place is not in the planner's slots, and cancelling it touches no counter."""
    booked = await _book(sessions, practice)
    kept = await kept_place(SLOT, "0687654321")
    assert booked is not None and kept is not None
    assert booked.kind == "slot" and booked.due_at == SLOT

    found = await bookings_between(sessions, practice.id, SLOT - QUARTER, SLOT + QUARTER)

    assert [r.id for r in found] == [booked.id]
    assert await cancel_callback(sessions, kept.id) is True
    assert await _counter(sessions, practice) == 1


async def test_ordinary_requests_never_take_the_reserve(sessions: Sessions, practice: Practice) -> None:
    """Capacity 3 with 1 reserved: two ordinary requests fit, the third place is for a priority one."""
    booked = [
        await _book(sessions, practice, capacity=3, reserved=1, phone=f"060000000{i}") for i in range(3)
    ]
    assert [b is not None for b in booked] == [True, True, False]
    assert await _book(sessions, practice, capacity=3, reserved=1, priority=True) is not None
    assert await _book(sessions, practice, capacity=3, reserved=1, priority=True) is None
    with pytest.raises(ValueError, match="reserved"):
        await _book(sessions, practice, capacity=3, reserved=-1)


async def test_a_request_that_ends_gives_its_place_back(sessions: Sessions, practice: Practice) -> None:
    """A reached call leaves the active requests, so the counter the booking checks drops with it."""
    first = await _book(sessions, practice, capacity=1)
    assert first is not None
    attempt = await claim_callback(sessions, first.id, headset="hs-1", now=SLOT)
    assert attempt is not None
    await finish_attempt(
        sessions, attempt.id, "reached", now=SLOT, retry_after=timedelta(minutes=5), max_attempts=2
    )
    assert await _counter(sessions, practice) == 0
    assert await _book(sessions, practice, capacity=1, phone="0687654321") is not None
