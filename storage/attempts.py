"""Claiming due callbacks for an assistant and recording how each attempt ended.

A claim moves a request from booked to in_progress with one conditional UPDATE and records the attempt
in the same transaction. A partial unique index allows one in-progress request per practice and phone,
so two assistants can never dial one number at once, however the claims interleave.

Attempts protocol: a patient not reached is tried again ``retry_after`` later, until ``max_attempts``
tries; an attempt in which the patient was never dialled (assistant did not answer, controller
stopped) does not count and leaves the request in its place.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from sqlalchemy import Table, and_, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from storage.models import PHONE_IN_PROGRESS_INDEX, CallbackAttempt, CallbackRequest
from storage.retry import with_retry
from storage.types import require_aware

log = structlog.get_logger(__name__)

Sessions = async_sessionmaker[AsyncSession]

REACHED = "reached"
# The patient was dialled but not reached: counts as a try.
NOT_REACHED_OUTCOMES: tuple[str, ...] = ("not_reached", "busy", "voicemail")
# The patient was never dialled: does not count, the request keeps its place.
NOT_TRIED_OUTCOMES: tuple[str, ...] = ("assistant_no_answer", "interrupted")
OUTCOMES: tuple[str, ...] = (REACHED, *NOT_REACHED_OUTCOMES, *NOT_TRIED_OUTCOMES)

_request: Table = CallbackRequest.__table__  # type: ignore[assignment]
_attempt: Table = CallbackAttempt.__table__  # type: ignore[assignment]


def not_reached_note(attempts: int) -> str:
    """Return the note for the assistants on a request given up after ``attempts`` tries."""
    return f"{attempts}x geprobeerd, pt niet bereikbaar"


def _callable(practice_id: int) -> ColumnElement[bool]:
    # Booked, and no other request to the same number is being called right now: claiming it would
    # fail anyway, and a dispatcher offered it would only spin on it.
    busy = aliased(CallbackRequest)
    return and_(
        CallbackRequest.practice_id == practice_id,
        CallbackRequest.status == "booked",
        ~exists().where(
            busy.practice_id == CallbackRequest.practice_id,
            busy.phone == CallbackRequest.phone,
            busy.status == "in_progress",
        ),
    )


async def due_callbacks(
    sessions: Sessions, practice_id: int, now: datetime, *, limit: int = 50
) -> list[CallbackRequest]:
    """Return the booked requests (slots and kept places) due at ``now``, in the order to call them.

    By due time, urgent first, then first booked. Requests whose number is being called by another
    request right now are left out until that call ends.
    """
    require_aware(now=now)
    async with sessions() as session:
        result = await session.scalars(
            select(CallbackRequest)
            .where(_callable(practice_id), CallbackRequest.due_at <= now)
            .order_by(CallbackRequest.due_at, CallbackRequest.priority.desc(), CallbackRequest.id)
            .limit(limit)
        )
        return list(result)


async def next_due_at(sessions: Sessions, practice_id: int) -> datetime | None:
    """Return the earliest due time of the practice's callable requests, or None: the dispatcher's timer."""
    async with sessions() as session:
        earliest = (
            await session.execute(select(func.min(_request.c.due_at)).where(_callable(practice_id)))
        ).scalar()
    return earliest


def _phone_busy(exc: IntegrityError) -> bool:
    message = str(exc.orig)
    # PostgreSQL names the index; SQLite names its columns.
    return PHONE_IN_PROGRESS_INDEX in message or "callback_request.phone" in message


async def claim_callback(
    sessions: Sessions, request_id: int, *, headset: str, now: datetime
) -> CallbackAttempt | None:
    """Take a due request for the assistant at ``headset`` and start an attempt; None if not claimable.

    Not claimable: not booked (anymore), not due yet, or another request to the same number of the
    practice is in progress. The attempt is committed before this returns.
    """
    require_aware(now=now)

    async def transaction() -> CallbackAttempt | None:
        async with sessions() as session:
            try:
                async with session.begin():
                    attempts = await session.scalar(
                        update(_request)
                        .where(
                            _request.c.id == request_id,
                            _request.c.status == "booked",
                            _request.c.due_at <= now,
                        )
                        .values(status="in_progress", updated_at=now)
                        .returning(_request.c.attempts)
                    )
                    if attempts is None:
                        return None
                    attempt = CallbackAttempt(
                        request_id=request_id, attempt_no=attempts + 1, started_at=now, headset=headset
                    )
                    session.add(attempt)
                    await session.flush()
                    return attempt
            except IntegrityError as exc:
                # Not transient, so with_retry does not rerun it; session.begin() has rolled back.
                if not _phone_busy(exc):
                    raise
                log.info("callback_claim_phone_busy", request_id=request_id)
                return None

    attempt = await with_retry(transaction, what="claim_callback")
    if attempt is not None:
        log.info(
            "callback_claimed",
            request_id=request_id,
            attempt_id=attempt.id,
            attempt_no=attempt.attempt_no,
            headset=headset,
        )
    return attempt


async def _update_open_attempt(sessions: Sessions, attempt_id: int, what: str, **values: object) -> bool:
    async def transaction() -> bool:
        async with sessions() as session, session.begin():
            changed = await session.scalar(
                update(_attempt)
                .where(_attempt.c.id == attempt_id, _attempt.c.ended_at.is_(None))
                .values(**values)
                .returning(_attempt.c.id)
            )
            return changed is not None

    return await with_retry(transaction, what=what)


async def mark_patient_dialled(
    sessions: Sessions, attempt_id: int, patient_channel: str, headset_channel: str
) -> bool:
    """Record the channels of a running attempt; False if the attempt has already ended."""
    return await _update_open_attempt(
        sessions,
        attempt_id,
        "mark_patient_dialled",
        patient_channel=patient_channel,
        headset_channel=headset_channel,
    )


async def mark_patient_answered(sessions: Sessions, attempt_id: int, at: datetime) -> bool:
    """Record that the patient picked up; False if the attempt has ended.

    From here on the conversation counts as held: a restart closes the attempt as reached.
    """
    require_aware(at=at)
    return await _update_open_attempt(sessions, attempt_id, "mark_patient_answered", patient_answered_at=at)


def _apply_outcome(
    request: CallbackRequest, outcome: str, now: datetime, retry_after: timedelta, max_attempts: int
) -> None:
    request.updated_at = now
    if outcome == REACHED:
        request.attempts += 1
        request.status = "done"
    elif outcome in NOT_REACHED_OUTCOMES:
        request.attempts += 1
        if request.attempts >= max_attempts:
            request.status = "not_reached"
            request.outcome_note = not_reached_note(request.attempts)
        else:
            request.status = "booked"
            request.due_at = now + retry_after
    else:
        # Back in the list where it was: due_at unchanged.
        request.status = "booked"


async def _finish_in(
    session: AsyncSession,
    attempt_id: int,
    outcome: str,
    now: datetime,
    retry_after: timedelta,
    max_attempts: int,
) -> tuple[CallbackRequest, bool]:
    # Closing the attempt first, conditionally: of two finishers only one gets past this.
    request_id = await session.scalar(
        update(_attempt)
        .where(_attempt.c.id == attempt_id, _attempt.c.ended_at.is_(None))
        .values(ended_at=now, outcome=outcome)
        .returning(_attempt.c.request_id)
    )
    finished = request_id is not None
    if request_id is None:
        request_id = await session.scalar(select(_attempt.c.request_id).where(_attempt.c.id == attempt_id))
        if request_id is None:
            raise LookupError(f"no callback attempt {attempt_id}")
    request = (
        await session.scalars(
            select(CallbackRequest).where(CallbackRequest.id == request_id).with_for_update()
        )
    ).one()
    # Only the request's own call may move it; anything else changed it meanwhile (by hand).
    if finished and request.status == "in_progress":
        _apply_outcome(request, outcome, now, retry_after, max_attempts)
        await session.flush()
    return request, finished


async def finish_attempt(
    sessions: Sessions,
    attempt_id: int,
    outcome: str,
    *,
    now: datetime,
    retry_after: timedelta,
    max_attempts: int,
) -> CallbackRequest:
    """End an attempt with ``outcome`` and move its request on by the attempts protocol.

    ``reached``: done. ``not_reached``/``busy``/``voicemail``: one more try counted; after
    ``max_attempts`` the request ends as not reached with a note, else it is due again ``retry_after``
    from now. ``assistant_no_answer``/``interrupted``: not counted, booked again at its old place.
    Finishing an attempt that already ended changes nothing and returns the request as it is.
    """
    require_aware(now=now)
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    if retry_after < timedelta(0):
        raise ValueError("retry_after must not be negative")

    async def transaction() -> tuple[CallbackRequest, bool]:
        async with sessions() as session, session.begin():
            return await _finish_in(session, attempt_id, outcome, now, retry_after, max_attempts)

    request, finished = await with_retry(transaction, what="finish_attempt")
    log.info(
        "callback_attempt_finished" if finished else "callback_attempt_already_finished",
        attempt_id=attempt_id,
        request_id=request.id,
        outcome=outcome,
        status=request.status,
        attempts=request.attempts,
        due_at=request.due_at.isoformat(),
    )
    return request


async def recover_in_progress(sessions: Sessions, practice_id: int, now: datetime) -> list[tuple[int, str]]:
    """Close the attempts a stopped controller left open; returns (request id, outcome) pairs.

    An attempt in which the patient answered is closed as reached, so the conversation that happened is
    never repeated; any other goes back to the list at its old place, so it is neither lost nor doubled.
    Call it once at start, before dispatching: it assumes no other controller serves the practice.
    """
    require_aware(now=now)

    async def transaction() -> list[tuple[int, str]]:
        async with sessions() as session, session.begin():
            open_attempts = (
                await session.execute(
                    select(_attempt.c.id, _attempt.c.patient_answered_at)
                    .join(_request, _request.c.id == _attempt.c.request_id)
                    .where(_request.c.practice_id == practice_id, _attempt.c.ended_at.is_(None))
                    .order_by(_attempt.c.id)
                )
            ).all()
            recovered = []
            for attempt_id, answered_at in open_attempts:
                outcome = REACHED if answered_at is not None else "interrupted"
                # retry_after and max_attempts only matter for outcomes that count as a try.
                request, _ = await _finish_in(session, attempt_id, outcome, now, timedelta(0), 1)
                recovered.append((request.id, outcome))
            # In progress without an open attempt (set by hand, or older data): it would block its
            # number for good, so it goes back to the list too.
            open_attempt = exists().where(
                _attempt.c.request_id == _request.c.id, _attempt.c.ended_at.is_(None)
            )
            orphans = await session.scalars(
                update(_request)
                .where(
                    _request.c.practice_id == practice_id,
                    _request.c.status == "in_progress",
                    ~open_attempt,
                )
                .values(status="booked", updated_at=now)
                .returning(_request.c.id)
            )
            recovered.extend((request_id, "interrupted") for request_id in orphans)
            return recovered

    recovered = await with_retry(transaction, what="recover_in_progress")
    log.info("callback_attempts_recovered", practice_id=practice_id, recovered=recovered)
    return recovered
