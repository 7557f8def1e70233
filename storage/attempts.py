"""Claiming due callbacks for an assistant and recording what happens during an attempt.

A claim moves a request from booked to in_progress with one conditional UPDATE and records the attempt
in the same transaction. A partial unique index allows one in-progress request per practice and phone,
so two assistants can never dial one number at once, however the claims interleave.

How an attempt ends (the attempts protocol) is in storage.finish, closing abandoned attempts in
storage.recovery; both are re-exported here, where the flows have always found them.
"""

from __future__ import annotations

from datetime import datetime

import structlog
from sqlalchemy import Table, and_, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from storage.finish import (
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_MAX_FAILURES,
    DEFAULT_RETRY_AFTER,
    FAILED_NOTE,
    finish_attempt,
    not_reached_note,
    settle_outcome,
)
from storage.models import PHONE_IN_PROGRESS_INDEX, CallbackAttempt, CallbackRequest
from storage.recovery import Recovered, recover_in_progress, sweep_open_attempts
from storage.retry import with_retry
from storage.status import NOT_REACHED_OUTCOMES, NOT_TRIED_OUTCOMES, AttemptOutcome, RequestStatus
from storage.types import require_aware

__all__ = [
    "DEFAULT_MAX_ATTEMPTS",
    "DEFAULT_MAX_FAILURES",
    "DEFAULT_RETRY_AFTER",
    "FAILED_NOTE",
    "NOT_REACHED_OUTCOMES",
    "NOT_TRIED_OUTCOMES",
    "OUTCOMES",
    "REACHED",
    "Recovered",
    "claim_callback",
    "due_callbacks",
    "finish_attempt",
    "mark_patient_answered",
    "mark_patient_dialled",
    "next_due_at",
    "not_reached_note",
    "recover_in_progress",
    "settle_outcome",
    "sweep_open_attempts",
]

log = structlog.get_logger(__name__)

Sessions = async_sessionmaker[AsyncSession]

# Older names for what storage.status now holds.
REACHED = AttemptOutcome.REACHED
OUTCOMES: tuple[str, ...] = tuple(AttemptOutcome)

_request: Table = CallbackRequest.__table__  # type: ignore[assignment]
_attempt: Table = CallbackAttempt.__table__  # type: ignore[assignment]


def _callable(practice_id: int) -> ColumnElement[bool]:
    # Booked, and no other request to the same number is being called right now: claiming it would
    # fail anyway, and a dispatcher offered it would only spin on it.
    busy = aliased(CallbackRequest)
    return and_(
        CallbackRequest.practice_id == practice_id,
        CallbackRequest.status == RequestStatus.BOOKED,
        ~exists().where(
            busy.practice_id == CallbackRequest.practice_id,
            busy.phone == CallbackRequest.phone,
            busy.status == RequestStatus.IN_PROGRESS,
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
                            _request.c.status == RequestStatus.BOOKED,
                            _request.c.due_at <= now,
                        )
                        .values(status=RequestStatus.IN_PROGRESS, updated_at=now)
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
