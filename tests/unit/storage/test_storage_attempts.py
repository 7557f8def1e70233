"""Due callbacks, claiming them headset-first, the attempts protocol and recovery after a restart."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.attempts import (
    claim_callback,
    due_callbacks,
    finish_attempt,
    mark_patient_answered,
    mark_patient_dialled,
    next_due_at,
    recover_in_progress,
)
from storage.bookings import book_callback
from storage.models import CallbackAttempt, CallbackRequest, Practice
from storage.practices import ensure_practice

if TYPE_CHECKING:  # the storage tests' conftest, which pytest imports itself
    from conftest import KeepPlace

Sessions = async_sessionmaker[AsyncSession]
NINE = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
QUARTER = timedelta(minutes=15)
RETRY = 5 * MINUTE
PROTOCOL = {"retry_after": RETRY, "max_attempts": 2}


async def _slot(
    sessions: Sessions, practice: Practice, start: datetime = NINE, phone: str = "0612345678", **extra: object
) -> CallbackRequest:
    request = await book_callback(
        sessions,
        practice_id=practice.id,
        slot_start=start,
        slot_end=start + QUARTER,
        capacity=50,
        phone=phone,
        number_source="caller_id",
        **extra,  # type: ignore[arg-type]
    )
    assert request is not None
    return request


async def _claim(sessions: Sessions, request: CallbackRequest, now: datetime = NINE) -> CallbackAttempt:
    attempt = await claim_callback(sessions, request.id, headset="hs-1", now=now)
    assert attempt is not None
    return attempt


async def _get(sessions: Sessions, model: type, key: int) -> object:
    async with sessions() as session:
        return await session.get(model, key)


async def test_due_callbacks_mix_kept_places_and_slots_in_due_order(
    sessions: Sessions, practice: Practice, kept_place: KeepPlace
) -> None:
    """A place kept since 08:50 goes before the 09:00 slot, where the urgent one goes first."""
    normal = await _slot(sessions, practice, phone="0600000001")
    urgent = await _slot(sessions, practice, phone="0600000002", priority=True)
    await _slot(sessions, practice, NINE + QUARTER, phone="0600000003")  # not due yet
    kept = await kept_place(NINE - 10 * MINUTE, "0600000004")
    other = await ensure_practice(sessions, slug="het-anker", name="Het Anker", number="0107654321")
    await _slot(sessions, other, phone="0600000005")

    due = await due_callbacks(sessions, practice.id, NINE + 5 * MINUTE)

    assert [r.id for r in due] == [kept.id, urgent.id, normal.id]
    assert await next_due_at(sessions, practice.id) == NINE - 10 * MINUTE
    assert [r.id for r in await due_callbacks(sessions, practice.id, NINE, limit=1)] == [kept.id]


async def test_nothing_booked_means_no_timer(sessions: Sessions, practice: Practice) -> None:
    """Without booked requests there is nothing due and no next due time."""
    assert await due_callbacks(sessions, practice.id, NINE) == []
    assert await next_due_at(sessions, practice.id) is None


async def test_claim_starts_an_attempt_without_counting_it(sessions: Sessions, practice: Practice) -> None:
    """A claim makes the request in progress and records attempt 1 for the headset; attempts stays 0."""
    request = await _slot(sessions, practice)
    attempt = await _claim(sessions, request, NINE + MINUTE)
    assert (attempt.request_id, attempt.attempt_no, attempt.headset) == (request.id, 1, "hs-1")
    assert (attempt.started_at, attempt.ended_at) == (NINE + MINUTE, None)
    stored = await _get(sessions, CallbackRequest, request.id)
    assert isinstance(stored, CallbackRequest)
    assert (stored.status, stored.attempts) == ("in_progress", 0)
    assert await claim_callback(sessions, request.id, headset="hs-2", now=NINE + MINUTE) is None
    assert await due_callbacks(sessions, practice.id, NINE + MINUTE) == []


async def test_claim_refuses_a_request_not_yet_due(sessions: Sessions, practice: Practice) -> None:
    """A 09:15 slot cannot be claimed at 09:14."""
    request = await _slot(sessions, practice, NINE + QUARTER)
    assert await claim_callback(sessions, request.id, headset="hs-1", now=NINE + 14 * MINUTE) is None
    assert await claim_callback(sessions, 999_999, headset="hs-1", now=NINE) is None
    assert await claim_callback(sessions, request.id, headset="hs-1", now=NINE + QUARTER) is not None


async def test_claim_refuses_a_second_call_to_the_same_number(
    sessions: Sessions, practice: Practice, kept_place: KeepPlace
) -> None:
    """While one callback to a number runs, another request for it is neither listed nor claimable."""
    first = await _slot(sessions, practice)
    second = await kept_place(NINE - MINUTE, "0612345678")
    other = await ensure_practice(sessions, slug="het-anker", name="Het Anker", number="0107654321")
    elsewhere = await _slot(sessions, other)
    await _claim(sessions, first)

    assert await claim_callback(sessions, second.id, headset="hs-2", now=NINE) is None
    assert await due_callbacks(sessions, practice.id, NINE) == []
    assert await next_due_at(sessions, practice.id) is None
    assert await claim_callback(sessions, elsewhere.id, headset="hs-3", now=NINE) is not None
    stored = await _get(sessions, CallbackRequest, second.id)
    assert isinstance(stored, CallbackRequest) and stored.status == "booked"


async def test_concurrent_claims_on_one_number_dial_it_once(sessions: Sessions, practice: Practice) -> None:
    """20 assistants claiming 20 requests for one number at once: exactly one call is started."""
    requests = [await _slot(sessions, practice) for _ in range(20)]

    attempts = await asyncio.gather(
        *(claim_callback(sessions, r.id, headset=f"hs-{i}", now=NINE) for i, r in enumerate(requests))
    )

    assert sum(a is not None for a in attempts) == 1
    async with sessions() as session:
        statuses = (await session.scalars(select(CallbackRequest.status))).all()
        stored_attempts = await session.scalar(select(func.count()).select_from(CallbackAttempt))
    assert sorted(statuses).count("in_progress") == 1
    assert stored_attempts == 1


async def test_not_reached_twice_gives_up_with_a_note(sessions: Sessions, practice: Practice) -> None:
    """Not reached: retried 5 minutes later; not reached again: ends with '2x geprobeerd'."""
    request = await _slot(sessions, practice)
    first = await _claim(sessions, request)
    after_first = await finish_attempt(sessions, first.id, "not_reached", now=NINE + MINUTE, **PROTOCOL)
    assert (after_first.status, after_first.attempts) == ("booked", 1)
    assert after_first.due_at == NINE + MINUTE + RETRY
    assert await claim_callback(sessions, request.id, headset="hs-1", now=NINE + 3 * MINUTE) is None

    second = await _claim(sessions, request, NINE + MINUTE + RETRY)
    assert second.attempt_no == 2
    final = await finish_attempt(sessions, second.id, "busy", now=NINE + 7 * MINUTE, **PROTOCOL)

    assert (final.status, final.attempts) == ("not_reached", 2)
    assert final.outcome_note == "2x geprobeerd, pt niet bereikbaar"
    assert await due_callbacks(sessions, practice.id, NINE + QUARTER) == []
    attempt = await _get(sessions, CallbackAttempt, second.id)
    assert isinstance(attempt, CallbackAttempt)
    assert (attempt.outcome, attempt.ended_at) == ("busy", NINE + 7 * MINUTE)


async def test_reached_is_done(sessions: Sessions, practice: Practice) -> None:
    """A conversation held ends the request and counts the try."""
    request = await _slot(sessions, practice)
    attempt = await _claim(sessions, request)
    done = await finish_attempt(sessions, attempt.id, "reached", now=NINE + 4 * MINUTE, **PROTOCOL)
    assert (done.status, done.attempts, done.outcome_note) == ("done", 1, None)


@pytest.mark.parametrize("outcome", ["assistant_no_answer", "interrupted"])
async def test_untried_attempts_do_not_count(
    sessions: Sessions, practice: Practice, kept_place: KeepPlace, outcome: str
) -> None:
    """When the patient was never dialled the request keeps its place and its count."""
    request = await kept_place(NINE - 20 * MINUTE, "0612345678")
    attempt = await _claim(sessions, request)
    back = await finish_attempt(sessions, attempt.id, outcome, now=NINE + MINUTE, **PROTOCOL)
    assert (back.status, back.attempts, back.due_at) == ("booked", 0, NINE - 20 * MINUTE)
    again = await _claim(sessions, request, NINE + MINUTE)
    assert again.attempt_no == 1


async def test_finishing_twice_changes_nothing(sessions: Sessions, practice: Practice) -> None:
    """A repeated finish (e.g. hangup and timeout both reporting) returns the request unchanged."""
    request = await _slot(sessions, practice)
    attempt = await _claim(sessions, request)
    first = await finish_attempt(sessions, attempt.id, "not_reached", now=NINE + MINUTE, **PROTOCOL)
    second = await finish_attempt(sessions, attempt.id, "reached", now=NINE + 2 * MINUTE, **PROTOCOL)
    assert (second.status, second.attempts, second.due_at) == (first.status, first.attempts, first.due_at)
    stored = await _get(sessions, CallbackAttempt, attempt.id)
    assert isinstance(stored, CallbackAttempt) and stored.outcome == "not_reached"


async def test_finish_validates_its_input(sessions: Sessions, practice: Practice) -> None:
    """Unknown outcomes and attempts are errors, not silent no-ops."""
    request = await _slot(sessions, practice)
    attempt = await _claim(sessions, request)
    with pytest.raises(ValueError, match="unknown outcome"):
        await finish_attempt(sessions, attempt.id, "maybe", now=NINE, **PROTOCOL)
    with pytest.raises(LookupError):
        await finish_attempt(sessions, 999_999, "reached", now=NINE, **PROTOCOL)


async def test_channels_and_answer_are_recorded_while_the_attempt_runs(
    sessions: Sessions, practice: Practice
) -> None:
    """Channels and the answer time are stored; after the attempt ended they are refused."""
    request = await _slot(sessions, practice)
    attempt = await _claim(sessions, request)
    assert await mark_patient_dialled(sessions, attempt.id, "chan-patient", "chan-headset")
    assert await mark_patient_answered(sessions, attempt.id, NINE + MINUTE)
    stored = await _get(sessions, CallbackAttempt, attempt.id)
    assert isinstance(stored, CallbackAttempt)
    assert (stored.patient_channel, stored.headset_channel) == ("chan-patient", "chan-headset")
    assert stored.patient_answered_at == NINE + MINUTE
    await finish_attempt(sessions, attempt.id, "reached", now=NINE + 3 * MINUTE, **PROTOCOL)
    assert await mark_patient_answered(sessions, attempt.id, NINE + 4 * MINUTE) is False
    assert await mark_patient_dialled(sessions, attempt.id, "x", "y") is False


async def test_recovery_retries_unanswered_and_closes_answered_calls(
    sessions: Sessions, practice: Practice, kept_place: KeepPlace
) -> None:
    """After a restart a call the patient answered is done; one still ringing is due again at its place."""
    answered = await _slot(sessions, practice, phone="0600000001")
    ringing = await kept_place(NINE - 30 * MINUTE, "0600000002")
    finished = await _slot(sessions, practice, phone="0600000003")
    orphan = await _slot(sessions, practice, phone="0600000004")
    other = await ensure_practice(sessions, slug="het-anker", name="Het Anker", number="0107654321")
    elsewhere = await _slot(sessions, other, phone="0600000005")
    talking = await _claim(sessions, answered)
    await mark_patient_answered(sessions, talking.id, NINE + MINUTE)
    await _claim(sessions, ringing)
    done = await _claim(sessions, finished)
    await finish_attempt(sessions, done.id, "reached", now=NINE + MINUTE, **PROTOCOL)
    await _claim(sessions, elsewhere)
    async with sessions() as session, session.begin():
        # In progress without an attempt: only possible by hand, must not block the number forever.
        await session.execute(
            update(CallbackRequest).where(CallbackRequest.id == orphan.id).values(status="in_progress")
        )

    recovered = await recover_in_progress(sessions, practice.id, NINE + 10 * MINUTE)

    assert sorted(recovered) == sorted(
        [(answered.id, "reached"), (ringing.id, "interrupted"), (orphan.id, "interrupted")]
    )
    async with sessions() as session:
        requests = {r.id: r for r in (await session.scalars(select(CallbackRequest))).all()}
        open_attempts = (
            await session.scalars(select(CallbackAttempt).where(CallbackAttempt.ended_at.is_(None)))
        ).all()
    assert (requests[answered.id].status, requests[answered.id].attempts) == ("done", 1)
    assert (requests[ringing.id].status, requests[ringing.id].attempts) == ("booked", 0)
    assert requests[ringing.id].due_at == NINE - 30 * MINUTE
    assert requests[orphan.id].status == "booked"
    assert requests[elsewhere.id].status == "in_progress"
    assert [a.request_id for a in open_attempts] == [elsewhere.id]
    assert [r.id for r in await due_callbacks(sessions, practice.id, NINE + 10 * MINUTE)] == [
        ringing.id,
        orphan.id,
    ]
    assert await recover_in_progress(sessions, practice.id, NINE + 11 * MINUTE) == []


async def test_naive_times_are_refused(sessions: Sessions, practice: Practice) -> None:
    """Every entry point with a time refuses a naive one."""
    naive = NINE.replace(tzinfo=None)
    with pytest.raises(ValueError, match="timezone-aware"):
        await due_callbacks(sessions, practice.id, naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        await claim_callback(sessions, 1, headset="hs-1", now=naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        await recover_in_progress(sessions, practice.id, naive)


@pytest.mark.parametrize("outcome", ["interrupted", "assistant_no_answer", "failed"])
async def test_an_answered_attempt_is_done_whatever_the_outcome(
    sessions: Sessions, practice: Practice, outcome: str
) -> None:
    """Once the patient answered, finishing as e.g. interrupted (graceful stop) never rebooks (defect 2)."""
    request = await _slot(sessions, practice)
    attempt = await _claim(sessions, request)
    await mark_patient_dialled(sessions, attempt.id, "chan-patient", "chan-headset")
    await mark_patient_answered(sessions, attempt.id, NINE + MINUTE)

    done = await finish_attempt(sessions, attempt.id, outcome, now=NINE + 3 * MINUTE, **PROTOCOL)

    assert (done.status, done.attempts) == ("done", 1)
    assert await due_callbacks(sessions, practice.id, NINE + QUARTER) == []
    stored = await _get(sessions, CallbackAttempt, attempt.id)
    assert isinstance(stored, CallbackAttempt) and stored.outcome == "reached"


async def test_voicemail_after_answer_still_counts_as_not_reached(
    sessions: Sessions, practice: Practice
) -> None:
    """A voicemail picking up answers the channel, but the assistant's 'not reached' stands."""
    request = await _slot(sessions, practice)
    attempt = await _claim(sessions, request)
    await mark_patient_dialled(sessions, attempt.id, "chan-patient", "chan-headset")
    await mark_patient_answered(sessions, attempt.id, NINE + MINUTE)
    back = await finish_attempt(sessions, attempt.id, "voicemail", now=NINE + 2 * MINUTE, **PROTOCOL)
    assert (back.status, back.attempts, back.due_at) == ("booked", 1, NINE + 2 * MINUTE + RETRY)


async def test_interrupted_while_the_patient_rang_counts_as_a_try(
    sessions: Sessions, practice: Practice
) -> None:
    """A stop while the patient's phone rang is a try: retried after retry_after, not at once."""
    request = await _slot(sessions, practice)
    attempt = await _claim(sessions, request)
    await mark_patient_dialled(sessions, attempt.id, "chan-patient", "chan-headset")

    back = await finish_attempt(sessions, attempt.id, "interrupted", now=NINE + 2 * MINUTE, **PROTOCOL)

    assert (back.status, back.attempts, back.due_at) == ("booked", 1, NINE + 2 * MINUTE + RETRY)
    stored = await _get(sessions, CallbackAttempt, attempt.id)
    assert isinstance(stored, CallbackAttempt) and stored.outcome == "not_reached"


async def test_failed_attempts_keep_the_place_until_the_cap(sessions: Sessions, practice: Practice) -> None:
    """Unexpected errors do not count as tries; the third ends the request for a manual call (defect 9)."""
    request = await _slot(sessions, practice)
    for n in range(1, 3):
        attempt = await _claim(sessions, request, NINE + n * MINUTE)
        assert attempt.attempt_no == 1
        back = await finish_attempt(
            sessions, attempt.id, "failed", now=NINE + n * MINUTE, max_failures=3, **PROTOCOL
        )
        assert (back.status, back.attempts, back.due_at, back.outcome_note) == ("booked", 0, NINE, None)

    last = await _claim(sessions, request, NINE + 3 * MINUTE)
    final = await finish_attempt(
        sessions, last.id, "failed", now=NINE + 3 * MINUTE, max_failures=3, **PROTOCOL
    )

    assert (final.status, final.attempts) == ("not_reached", 0)
    assert final.outcome_note == "technische storing, handmatig terugbellen"
    assert await due_callbacks(sessions, practice.id, NINE + QUARTER) == []


async def test_failures_and_tries_are_counted_apart(sessions: Sessions, practice: Practice) -> None:
    """A failure between two tries neither uses up a try nor resets the failure count."""
    request = await _slot(sessions, practice)
    first = await _claim(sessions, request)
    await finish_attempt(sessions, first.id, "failed", now=NINE, max_failures=2, **PROTOCOL)
    second = await _claim(sessions, request)
    after_try = await finish_attempt(sessions, second.id, "not_reached", now=NINE, max_failures=2, **PROTOCOL)
    assert (after_try.status, after_try.attempts) == ("booked", 1)
    third = await _claim(sessions, request, NINE + RETRY)
    final = await finish_attempt(sessions, third.id, "failed", now=NINE + RETRY, max_failures=2, **PROTOCOL)
    assert (final.status, final.attempts, final.outcome_note) == (
        "not_reached",
        1,
        "technische storing, handmatig terugbellen",
    )
