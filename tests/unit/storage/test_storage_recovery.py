"""Closing attempts nobody finishes: at start (recovery) and periodically (the sweep), by one rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.attempts import (
    claim_callback,
    due_callbacks,
    mark_patient_answered,
    mark_patient_dialled,
    recover_in_progress,
    sweep_open_attempts,
)
from storage.bookings import book_callback
from storage.models import CallbackAttempt, CallbackRequest, Practice
from storage.practices import ensure_practice

Sessions = async_sessionmaker[AsyncSession]
NINE = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
RETRY = 5 * MINUTE
PROTOCOL = {"retry_after": RETRY, "max_attempts": 2}


async def _claimed(
    sessions: Sessions, practice: Practice, phone: str, *, at: datetime = NINE, stage: str = "ringing"
) -> tuple[CallbackRequest, CallbackAttempt]:
    """A request claimed at `at` whose attempt got to `stage`: ringing, dialled or answered."""
    request = await book_callback(
        sessions,
        practice_id=practice.id,
        slot_start=NINE,
        slot_end=NINE + 15 * MINUTE,
        capacity=50,
        phone=phone,
        number_source="caller_id",
    )
    assert request is not None
    attempt = await claim_callback(sessions, request.id, headset="hs-1", now=at)
    assert attempt is not None
    if stage in ("dialled", "answered"):
        await mark_patient_dialled(sessions, attempt.id, f"p-{phone}", f"h-{phone}")
    if stage == "answered":
        await mark_patient_answered(sessions, attempt.id, at + MINUTE)
    return request, attempt


async def _requests(sessions: Sessions) -> dict[int, CallbackRequest]:
    async with sessions() as session:
        return {r.id: r for r in (await session.scalars(select(CallbackRequest))).all()}


async def _open_attempt_ids(sessions: Sessions) -> list[int]:
    async with sessions() as session:
        query = (
            select(CallbackAttempt.id).where(CallbackAttempt.ended_at.is_(None)).order_by(CallbackAttempt.id)
        )
        return list((await session.scalars(query)).all())


async def test_recovery_counts_a_dialled_unanswered_attempt_as_a_try(
    sessions: Sessions, practice: Practice
) -> None:
    """Answered: done; dialled but unanswered: one try, due after retry_after; never dialled: in its place."""
    answered, _ = await _claimed(sessions, practice, "0600000001", stage="answered")
    dialled, _ = await _claimed(sessions, practice, "0600000002", stage="dialled")
    ringing, _ = await _claimed(sessions, practice, "0600000003", stage="ringing")

    recovered = await recover_in_progress(sessions, practice.id, NINE + 10 * MINUTE, **PROTOCOL)

    assert sorted(recovered) == [
        (answered.id, "reached"),
        (dialled.id, "not_reached"),
        (ringing.id, "interrupted"),
    ]
    requests = await _requests(sessions)
    assert (requests[answered.id].status, requests[answered.id].attempts) == ("done", 1)
    assert (requests[dialled.id].status, requests[dialled.id].attempts) == ("booked", 1)
    assert requests[dialled.id].due_at == NINE + 10 * MINUTE + RETRY
    assert (requests[ringing.id].status, requests[ringing.id].attempts) == ("booked", 0)
    assert requests[ringing.id].due_at == NINE


async def test_recovery_ends_a_dialled_request_after_its_last_try(
    sessions: Sessions, practice: Practice
) -> None:
    """With one try allowed, a dialled-but-unanswered attempt ends the request as not reached."""
    dialled, _ = await _claimed(sessions, practice, "0600000001", stage="dialled")
    await recover_in_progress(sessions, practice.id, NINE + MINUTE, retry_after=RETRY, max_attempts=1)
    request = (await _requests(sessions))[dialled.id]
    assert (request.status, request.outcome_note) == ("not_reached", "1x geprobeerd, pt niet bereikbaar")


async def test_sweep_closes_open_attempts_no_running_call_owns(
    sessions: Sessions, practice: Practice
) -> None:
    """Unowned attempts past the grace period are closed by the recovery rule; owned and young ones stay."""
    lost_answered, _ = await _claimed(sessions, practice, "0600000001", stage="answered")
    lost_dialled, _ = await _claimed(sessions, practice, "0600000002", stage="dialled")
    lost_ringing, _ = await _claimed(sessions, practice, "0600000003")
    _, owned = await _claimed(sessions, practice, "0600000004", stage="dialled")
    _, young = await _claimed(sessions, practice, "0600000005", at=NINE + 9 * MINUTE)
    other = await ensure_practice(sessions, slug="het-anker", name="Het Anker", number="0107654321")
    _, elsewhere = await _claimed(sessions, other, "0600000006")

    swept = await sweep_open_attempts(
        sessions, practice.id, {owned.id}, NINE + 10 * MINUTE, grace=2 * MINUTE, **PROTOCOL
    )

    assert sorted(swept) == [
        (lost_answered.id, "reached"),
        (lost_dialled.id, "not_reached"),
        (lost_ringing.id, "interrupted"),
    ]
    assert await _open_attempt_ids(sessions) == [owned.id, young.id, elsewhere.id]
    requests = await _requests(sessions)
    assert requests[lost_answered.id].status == "done"
    assert (requests[lost_dialled.id].status, requests[lost_dialled.id].attempts) == ("booked", 1)
    assert [r.id for r in await due_callbacks(sessions, practice.id, NINE + 10 * MINUTE)] == [lost_ringing.id]
    again = await sweep_open_attempts(
        sessions, practice.id, {owned.id}, NINE + 10 * MINUTE, grace=2 * MINUTE, **PROTOCOL
    )
    assert again == []


async def test_sweep_with_nothing_open_does_nothing(sessions: Sessions, practice: Practice) -> None:
    """A sweep on a quiet practice returns an empty list."""
    assert await sweep_open_attempts(sessions, practice.id, set(), NINE, grace=MINUTE, **PROTOCOL) == []


async def test_sweep_refuses_a_naive_time(sessions: Sessions, practice: Practice) -> None:
    """A time without a zone is an error, not a guess."""
    with pytest.raises(ValueError, match="timezone-aware"):
        await sweep_open_attempts(
            sessions, practice.id, set(), NINE.replace(tzinfo=None), grace=MINUTE, **PROTOCOL
        )
