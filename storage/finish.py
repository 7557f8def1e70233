"""How a callback attempt ends, and what that does to its request: the attempts protocol.

``reached``: done. ``not_reached``/``busy``/``voicemail``: one more try counted; after ``max_attempts``
the request ends as not reached with a note, else it is due again ``retry_after`` later.
``assistant_no_answer``/``interrupted``: the patient was never dialled, nothing counts, the request goes
back to its place. ``failed`` (an unexpected error): no try counted and the place kept, but after
``max_failures`` of them the request ends for the assistants to call by hand.

The facts recorded during the attempt overrule an outcome that would book the request again at once:
if the patient answered, the conversation happened and the request is done (issue 8, defect 2); if the
patient was dialled, an interruption counts as a try. ``settle_outcome`` is that rule; start-up recovery
and the periodic sweep close abandoned attempts with it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import structlog
from sqlalchemy import Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.bookings import release_place
from storage.models import CallbackAttempt, CallbackRequest
from storage.outbox import MessageDraft, add_message
from storage.retry import with_retry
from storage.status import (
    FINAL_STATUSES,
    NOT_REACHED_OUTCOMES,
    NOT_TRIED_OUTCOMES,
    AttemptOutcome,
    RequestKind,
    RequestStatus,
    parse,
)
from storage.types import require_aware

log = structlog.get_logger(__name__)

Sessions = async_sessionmaker[AsyncSession]

# The protocol of the packaged menu (2 tries, 5 minutes apart), for callers that do not pass their own.
DEFAULT_RETRY_AFTER = timedelta(minutes=5)
DEFAULT_MAX_ATTEMPTS = 2
DEFAULT_MAX_FAILURES = 3
# What the assistants read on a request given up after repeated technical failures.
FAILED_NOTE = "technische storing, handmatig terugbellen"

_attempt: Table = CallbackAttempt.__table__  # type: ignore[assignment]


def not_reached_note(attempts: int) -> str:
    """Return the note for the assistants on a request given up after ``attempts`` tries."""
    return f"{attempts}x geprobeerd, pt niet bereikbaar"


def settle_outcome(outcome: AttemptOutcome, *, answered: bool, dialled: bool) -> AttemptOutcome:
    """Return the outcome to apply, given whether the patient answered or was dialled in the attempt.

    Only outcomes that would put the request straight back in its place are overruled: a patient who
    answered was reached, and a patient whose phone rang had a try. A voicemail that answered stays a
    voicemail (the assistant says so); a failure stays a failure unless the patient answered.
    """
    if outcome not in (*NOT_TRIED_OUTCOMES, AttemptOutcome.FAILED):
        return outcome
    if answered:
        return AttemptOutcome.REACHED
    if dialled and outcome != AttemptOutcome.FAILED:
        return AttemptOutcome.NOT_REACHED
    return outcome


def _end(request: CallbackRequest, status: RequestStatus, now: datetime, note: str | None = None) -> None:
    request.status = status
    request.ended_at = now
    if note is not None:
        request.outcome_note = note


def _apply_outcome(
    request: CallbackRequest,
    outcome: AttemptOutcome,
    *,
    failures: int,
    now: datetime,
    retry_after: timedelta,
    max_attempts: int,
    max_failures: int,
) -> None:
    request.updated_at = now
    if outcome == AttemptOutcome.REACHED:
        request.attempts += 1
        _end(request, RequestStatus.DONE, now)
    elif outcome in NOT_REACHED_OUTCOMES:
        request.attempts += 1
        if request.attempts >= max_attempts:
            _end(request, RequestStatus.NOT_REACHED, now, not_reached_note(request.attempts))
        else:
            request.status = RequestStatus.BOOKED
            request.due_at = now + retry_after
    elif outcome == AttemptOutcome.FAILED and failures >= max_failures:
        _end(request, RequestStatus.NOT_REACHED, now, FAILED_NOTE)
    else:
        # Back in the list where it was: due_at unchanged.
        request.status = RequestStatus.BOOKED


async def finish_in(
    session: AsyncSession,
    attempt_id: int,
    outcome: AttemptOutcome,
    now: datetime,
    *,
    retry_after: timedelta,
    max_attempts: int,
    max_failures: int = DEFAULT_MAX_FAILURES,
) -> tuple[CallbackRequest, AttemptOutcome | None]:
    """Close the attempt and move its request on, inside the caller's transaction.

    Returns the request and the outcome applied, or None if the attempt had already ended (then
    nothing changes).
    """
    # Closing the attempt first, conditionally: of two finishers only one gets past this, and on SQLite
    # the transaction starts with the write lock.
    closed = (
        await session.execute(
            update(_attempt)
            .where(_attempt.c.id == attempt_id, _attempt.c.ended_at.is_(None))
            .values(ended_at=now, outcome=outcome)
            .returning(_attempt.c.request_id, _attempt.c.patient_answered_at, _attempt.c.patient_channel)
        )
    ).first()
    if closed is None:
        request_id = await session.scalar(select(_attempt.c.request_id).where(_attempt.c.id == attempt_id))
        if request_id is None:
            raise LookupError(f"no callback attempt {attempt_id}")
        return await session.get_one(CallbackRequest, request_id), None
    settled = settle_outcome(
        outcome, answered=closed.patient_answered_at is not None, dialled=closed.patient_channel is not None
    )
    if settled != outcome:
        await session.execute(update(_attempt).where(_attempt.c.id == attempt_id).values(outcome=settled))
    request = (
        await session.scalars(
            select(CallbackRequest).where(CallbackRequest.id == closed.request_id).with_for_update()
        )
    ).one()
    # Only the request's own call may move it; anything else changed it meanwhile (by hand).
    if request.status == RequestStatus.IN_PROGRESS:
        failures = 0
        if settled == AttemptOutcome.FAILED:
            failures = (
                await session.scalar(
                    select(func.count()).where(
                        _attempt.c.request_id == request.id, _attempt.c.outcome == AttemptOutcome.FAILED
                    )
                )
                or 0
            )
        _apply_outcome(
            request,
            settled,
            failures=failures,
            now=now,
            retry_after=retry_after,
            max_attempts=max_attempts,
            max_failures=max_failures,
        )
        if request.status in FINAL_STATUSES and request.kind == RequestKind.SLOT:
            await release_place(session, request.practice_id, request.slot_start, request.priority)
        await session.flush()
    return request, settled


async def finish_attempt(
    sessions: Sessions,
    attempt_id: int,
    outcome: AttemptOutcome | str,
    *,
    now: datetime,
    retry_after: timedelta,
    max_attempts: int,
    max_failures: int = DEFAULT_MAX_FAILURES,
    not_reached_message: Callable[[CallbackRequest], MessageDraft | None] | None = None,
) -> CallbackRequest:
    """End an attempt with ``outcome`` and move its request on by the attempts protocol (module doc).

    When this ends the request as not reached, ``not_reached_message`` may give the patient's message,
    which goes into the outbox in the same transaction.

    The outcome applied (and stored with the attempt) may differ from the one passed: see
    ``settle_outcome``. Finishing an attempt that already ended changes nothing and returns the request
    as it is.
    """
    require_aware(now=now)
    given = parse(AttemptOutcome, outcome, "outcome")
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    if max_failures < 1:
        raise ValueError("max_failures must be at least 1")
    if retry_after < timedelta(0):
        raise ValueError("retry_after must not be negative")

    async def transaction() -> tuple[CallbackRequest, AttemptOutcome | None]:
        async with sessions() as session, session.begin():
            request, applied = await finish_in(
                session,
                attempt_id,
                given,
                now,
                retry_after=retry_after,
                max_attempts=max_attempts,
                max_failures=max_failures,
            )
            if applied is not None and request.status == RequestStatus.NOT_REACHED and not_reached_message:
                draft = not_reached_message(request)
                if draft is not None:
                    add_message(
                        session, practice_id=request.practice_id, request_id=request.id, draft=draft, now=now
                    )
            return request, applied

    request, applied = await with_retry(transaction, what="finish_attempt")
    log.info(
        "callback_attempt_finished" if applied is not None else "callback_attempt_already_finished",
        attempt_id=attempt_id,
        request_id=request.id,
        outcome=given,
        applied=applied,
        status=request.status,
        attempts=request.attempts,
        due_at=request.due_at.isoformat(),
    )
    return request
