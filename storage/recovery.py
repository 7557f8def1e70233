"""Closing callback attempts that no running call will finish: at start, and periodically.

An attempt stays open when its call ended without recording the end: the controller stopped, or the
final database write failed (issue 8, defect 6). Until it is closed its request stays in progress and
that number can get no other callback. Both entry points close such attempts by one rule
(``storage.finish.settle_outcome`` applied to ``interrupted``): the patient answered -> reached (done);
the patient was dialled but did not answer -> a try (retried after ``retry_after``, or ended after
``max_attempts``); never dialled -> back in its place, not counted.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import NamedTuple

import structlog
from sqlalchemy import Select, Table, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.finish import DEFAULT_MAX_ATTEMPTS, DEFAULT_RETRY_AFTER, finish_in
from storage.models import CallbackAttempt, CallbackRequest
from storage.retry import with_retry
from storage.status import AttemptOutcome, RequestStatus
from storage.types import require_aware

log = structlog.get_logger(__name__)

Sessions = async_sessionmaker[AsyncSession]

_request: Table = CallbackRequest.__table__  # type: ignore[assignment]
_attempt: Table = CallbackAttempt.__table__  # type: ignore[assignment]


class Recovered(NamedTuple):
    """A request whose abandoned attempt was closed, and the outcome that was applied."""

    request_id: int
    outcome: str


def _check_protocol(now: datetime, retry_after: timedelta, max_attempts: int) -> None:
    require_aware(now=now)
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    if retry_after < timedelta(0):
        raise ValueError("retry_after must not be negative")


async def _close(
    session: AsyncSession, attempt_ids: list[int], now: datetime, retry_after: timedelta, max_attempts: int
) -> list[Recovered]:
    closed = []
    for attempt_id in attempt_ids:
        request, applied = await finish_in(
            session,
            attempt_id,
            AttemptOutcome.INTERRUPTED,
            now,
            retry_after=retry_after,
            max_attempts=max_attempts,
        )
        if applied is not None:
            closed.append(Recovered(request.id, applied))
    return closed


def _open_attempts_of(practice_id: int) -> Select[tuple[int]]:
    return (
        select(_attempt.c.id)
        .join(_request, _request.c.id == _attempt.c.request_id)
        .where(_request.c.practice_id == practice_id, _attempt.c.ended_at.is_(None))
        .order_by(_attempt.c.id)
    )


async def recover_in_progress(
    sessions: Sessions,
    practice_id: int,
    now: datetime,
    *,
    retry_after: timedelta = DEFAULT_RETRY_AFTER,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> list[Recovered]:
    """Close every attempt a stopped controller left open, by the recovery rule (module doc).

    Requests in progress without an open attempt (set by hand, or older data) go back to the list too.
    Call it once at start, before dispatching: it assumes no call of this controller is running. Pass
    the practice's ``retry_after`` and ``max_attempts``; the defaults are the packaged menu's.
    """
    _check_protocol(now, retry_after, max_attempts)

    async def transaction() -> list[Recovered]:
        async with sessions() as session, session.begin():
            attempt_ids = list(await session.scalars(_open_attempts_of(practice_id)))
            recovered = await _close(session, attempt_ids, now, retry_after, max_attempts)
            # In progress without an open attempt would block its number for good.
            open_attempt = exists().where(
                _attempt.c.request_id == _request.c.id, _attempt.c.ended_at.is_(None)
            )
            orphans = await session.scalars(
                update(_request)
                .where(
                    _request.c.practice_id == practice_id,
                    _request.c.status == RequestStatus.IN_PROGRESS,
                    ~open_attempt,
                )
                .values(status=RequestStatus.BOOKED, updated_at=now)
                .returning(_request.c.id)
            )
            recovered.extend(Recovered(request_id, AttemptOutcome.INTERRUPTED) for request_id in orphans)
            return recovered

    recovered = await with_retry(transaction, what="recover_in_progress")
    log.info("callback_attempts_recovered", practice_id=practice_id, recovered=recovered)
    return recovered


async def sweep_open_attempts(
    sessions: Sessions,
    practice_id: int,
    owned_attempt_ids: Collection[int],
    now: datetime,
    *,
    grace: timedelta,
    retry_after: timedelta,
    max_attempts: int,
) -> list[Recovered]:
    """Close the practice's open attempts that no running call owns, by the recovery rule (module doc).

    ``owned_attempt_ids`` are the attempts the controller's running calls hold. Only attempts started
    more than ``grace`` before ``now`` are closed, so one claimed a moment ago, whose call has not yet
    registered it, is left alone. Returns the requests moved on, with the outcome applied.
    """
    _check_protocol(now, retry_after, max_attempts)
    if grace < timedelta(0):
        raise ValueError("grace must not be negative")
    owned = list(owned_attempt_ids)

    async def transaction() -> list[Recovered]:
        async with sessions() as session, session.begin():
            query = _open_attempts_of(practice_id).where(_attempt.c.started_at <= now - grace)
            if owned:
                query = query.where(_attempt.c.id.not_in(owned))
            attempt_ids = list(await session.scalars(query))
            return await _close(session, attempt_ids, now, retry_after, max_attempts)

    swept = await with_retry(transaction, what="sweep_open_attempts")
    if swept:
        # An attempt nobody finished means a lost write or a lost call: worth a warning each time.
        log.warning("open_attempts_closed", practice_id=practice_id, swept=swept)
    return swept
