"""The planner and the atomic booking agree on room in a slot, on SQLite and PostgreSQL (defect 24)."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from capacity.config import CapacityConfig
from capacity.planner import Booking, Offer, earliest_slot, slot_capacity
from storage.attempts import claim_callback, finish_attempt
from storage.bookings import book_callback, bookings_between, cancel_callback
from storage.models import CallbackRequest, Practice, SlotCounter
from storage.practices import ensure_practice

Sessions = async_sessionmaker[AsyncSession]
AMS = ZoneInfo("Europe/Amsterdam")
NOW = dt.datetime(2027, 4, 19, 9, 0, tzinfo=AMS)  # a Monday without holidays
SLOT = NOW.replace(hour=10)
HOUR = dt.timedelta(hours=1)
PROTOCOL = {"retry_after": dt.timedelta(minutes=5), "max_attempts": 2}
_practices = itertools.count()


def one_slot(capacity: int, reserved: int) -> CapacityConfig:
    """A practice whose only callback slot today is Monday 10:00-11:00 with `capacity` places."""
    return CapacityConfig.model_validate(
        {
            "blocks": {"monday": [{"start": "10:00", "end": "11:00", "assistants": 1}]},
            "calls_per_assistant_per_hour": capacity,
            "slot_minutes": 60,
            "horizon_days": 0,
            "when_today_full": "say_full",
            "priority_reserved_per_slot": reserved,
        }
    )


async def _planner_offers(
    sessions: Sessions, practice: Practice, cfg: CapacityConfig, priority: bool
) -> bool:
    rows = await bookings_between(sessions, practice.id, SLOT - HOUR, SLOT + HOUR)
    result = earliest_slot(cfg, [Booking(r.slot_start, r.priority) for r in rows], NOW, priority=priority)
    return isinstance(result, Offer) and result.slot_start == SLOT


async def _book(
    sessions: Sessions, practice: Practice, cfg: CapacityConfig, priority: bool, phone: str
) -> CallbackRequest | None:
    return await book_callback(
        sessions,
        practice_id=practice.id,
        slot_start=SLOT,
        slot_end=SLOT + HOUR,
        capacity=slot_capacity(cfg, SLOT),
        reserved=cfg.priority_reserved_per_slot,
        priority=priority,
        phone=phone,
        number_source="typed",
    )


async def _active(sessions: Sessions, practice: Practice) -> tuple[int, int]:
    rows = await bookings_between(sessions, practice.id, SLOT - HOUR, SLOT + HOUR)
    return sum(not r.priority for r in rows), sum(r.priority for r in rows)


async def _counter(sessions: Sessions, practice: Practice) -> tuple[int, int]:
    async with sessions() as session:
        counter = (
            await session.scalars(select(SlotCounter).where(SlotCounter.practice_id == practice.id))
        ).one_or_none()
    return (counter.ordinary, counter.priority) if counter is not None else (0, 0)


async def test_original_scenario_is_offered_and_booked(sessions: Sessions, practice: Practice) -> None:
    """Capacity 3, 1 reserved, one priority and one ordinary booked: an ordinary caller gets the slot."""
    cfg = one_slot(3, 1)
    assert await _book(sessions, practice, cfg, True, "0600000001") is not None
    assert await _book(sessions, practice, cfg, False, "0600000002") is not None

    assert await _planner_offers(sessions, practice, cfg, priority=False)
    assert await _book(sessions, practice, cfg, False, "0600000003") is not None

    assert not await _planner_offers(sessions, practice, cfg, priority=False)
    assert await _book(sessions, practice, cfg, False, "0600000004") is None
    assert await _counter(sessions, practice) == (2, 1)


Step = tuple[str, bool, int]
steps = st.lists(
    st.tuples(st.sampled_from(["book", "book", "book", "cancel", "done"]), st.booleans(), st.integers(0, 50)),
    max_size=14,
)


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.integers(1, 5).flatmap(lambda c: st.tuples(st.just(c), st.integers(0, c - 1))), steps)
async def test_planner_offers_exactly_what_the_booking_accepts(
    sessions: Sessions, slot: tuple[int, int], script: list[Step]
) -> None:
    """Over random bookings of both kinds, cancels and ended calls: offered iff booked, never overbooked."""
    capacity, reserved = slot
    cfg = one_slot(capacity, reserved)
    n = next(_practices)
    # One database per test function, so every example gets a practice of its own.
    practice = await ensure_practice(sessions, slug=f"p{n}", name=f"Praktijk {n}", number="0201234567")
    booked: list[CallbackRequest] = []
    for number, (action, priority, pick) in enumerate(script):
        if action == "book":
            offered = await _planner_offers(sessions, practice, cfg, priority)
            request = await _book(sessions, practice, cfg, priority, f"06{n:04d}{number:04d}")
            assert offered == (request is not None), (action, priority, await _active(sessions, practice))
            booked.extend([request] if request is not None else [])
        elif booked and action == "cancel":
            await cancel_callback(sessions, booked.pop(pick % len(booked)).id)
        elif booked:
            request = booked.pop(pick % len(booked))
            attempt = await claim_callback(sessions, request.id, headset="hs-1", now=SLOT)
            assert attempt is not None
            await finish_attempt(sessions, attempt.id, "reached", now=SLOT, **PROTOCOL)
        ordinary, urgent = await _active(sessions, practice)
        assert ordinary + urgent <= capacity
        assert ordinary <= capacity - reserved
        assert await _counter(sessions, practice) == (ordinary, urgent)
