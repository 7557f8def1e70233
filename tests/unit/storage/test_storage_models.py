"""The models store what they are given and give back aware UTC datetimes on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import CallbackAttempt, CallbackRequest, CallEvent, Practice

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
Sessions = async_sessionmaker[AsyncSession]


def _request(practice: Practice, start: datetime, **overrides: object) -> CallbackRequest:
    values: dict[str, object] = {
        "practice_id": practice.id,
        "phone": "+31612345678",
        "number_source": "caller_id",
        "slot_start": start,
        "slot_end": start + timedelta(minutes=15),
    }
    values.update(overrides)
    return CallbackRequest(**values)


async def test_local_datetimes_come_back_as_the_same_instant_in_utc(
    sessions: Sessions, practice: Practice
) -> None:
    """A slot given in Dutch summer time is read back as the same instant, tagged UTC."""
    local = datetime(2025, 7, 1, 10, 0, tzinfo=AMSTERDAM)
    async with sessions() as session, session.begin():
        session.add(_request(practice, local))
    async with sessions() as session:
        stored = (await session.scalars(select(CallbackRequest))).one()
    assert stored.slot_start == local
    assert stored.slot_start.utcoffset() == timedelta(0)
    assert stored.slot_start.hour == 8
    assert stored.created_at.tzinfo is not None


async def test_time_range_queries_compare_instants_not_local_clock_times(
    sessions: Sessions, practice: Practice
) -> None:
    """A filter bound in another zone finds rows by instant (SQLite compares stored text)."""
    async with sessions() as session, session.begin():
        session.add(_request(practice, datetime(2025, 1, 6, 9, 0, tzinfo=UTC)))
    local_bound = datetime(2025, 1, 6, 9, 30, tzinfo=AMSTERDAM)  # 08:30 UTC, before the slot
    async with sessions() as session:
        found = (
            await session.scalars(select(CallbackRequest).where(CallbackRequest.slot_start > local_bound))
        ).all()
    assert len(found) == 1


async def test_naive_datetimes_are_refused(sessions: Sessions, practice: Practice) -> None:
    """A datetime without a zone cannot be stored, because nobody could tell its instant later."""
    with pytest.raises(StatementError, match="naive datetime"):
        async with sessions() as session, session.begin():
            session.add(_request(practice, datetime(2025, 1, 6, 9, 0)))


async def test_unknown_status_is_rejected_by_the_database(sessions: Sessions, practice: Practice) -> None:
    """The status check constraint keeps typos out of the planner's queries."""
    with pytest.raises(IntegrityError):
        async with sessions() as session, session.begin():
            session.add(_request(practice, datetime(2025, 1, 6, 9, 0, tzinfo=UTC), status="finished"))


async def test_attempts_and_events_round_trip(sessions: Sessions, practice: Practice) -> None:
    """Attempts keep their times and headset, events keep their JSON detail."""
    start = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
    async with sessions() as session, session.begin():
        request = _request(practice, start)
        session.add(request)
        await session.flush()
        session.add(
            CallbackAttempt(request_id=request.id, started_at=start, outcome="reached", headset="hs-2")
        )
        session.add(
            CallEvent(
                practice_id=practice.id, call_id="c-1", kind="menu_key", detail={"key": "2", "n": [1, 2]}
            )
        )
    async with sessions() as session:
        attempt = (await session.scalars(select(CallbackAttempt))).one()
        event = (await session.scalars(select(CallEvent))).one()
    assert (attempt.started_at, attempt.headset, attempt.ended_at) == (start, "hs-2", None)
    assert event.detail == {"key": "2", "n": [1, 2]}
    assert event.at.tzinfo is not None
