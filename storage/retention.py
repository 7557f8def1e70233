"""Deleting patient data past its retention period (AVG: keep no longer than needed)."""

from __future__ import annotations

from datetime import datetime

import structlog
from sqlalchemy import Table, and_, delete, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import CallbackAttempt, CallbackRequest, CallEvent, QueueEntry, SlotCounter
from storage.retry import with_retry

log = structlog.get_logger(__name__)

_request: Table = CallbackRequest.__table__  # type: ignore[assignment]
_attempt: Table = CallbackAttempt.__table__  # type: ignore[assignment]
_event: Table = CallEvent.__table__  # type: ignore[assignment]
_counter: Table = SlotCounter.__table__  # type: ignore[assignment]
_queue: Table = QueueEntry.__table__  # type: ignore[assignment]


async def purge_older_than(sessions: async_sessionmaker[AsyncSession], cutoff: datetime) -> int:
    """Delete callback requests whose slot ended before ``cutoff``, their attempts, older events and queue.

    Kept places have no slot; they go by their due time (queue arrival or last retry). Returns the
    number of deleted requests, attempts, events and queue entries. Counters of past slots left without
    requests go too; they hold no personal data, so they are not counted.
    """
    if cutoff.tzinfo is None or cutoff.utcoffset() is None:
        raise ValueError("cutoff must be timezone-aware")

    async def transaction() -> int:
        async with sessions() as session, session.begin():
            # By slot end, not creation time: a request booked long ago for a recent slot is still in use.
            is_old = func.coalesce(_request.c.slot_end, _request.c.due_at) < cutoff
            old_requests = select(_request.c.id).where(is_old)
            # Explicit rather than relying on ON DELETE CASCADE, so the count is exact on both databases.
            attempts = await session.execute(delete(_attempt).where(_attempt.c.request_id.in_(old_requests)))
            # Before the requests: a kept place is never due before its entry arrived, so no entry kept
            # from here on points at a request deleted below.
            queued = await session.execute(delete(_queue).where(_queue.c.arrived_at < cutoff))
            requests = await session.execute(delete(_request).where(is_old))
            events = await session.execute(delete(_event).where(_event.c.at < cutoff))
            still_booked = exists().where(
                and_(
                    _request.c.practice_id == _counter.c.practice_id,
                    _request.c.slot_start == _counter.c.slot_start,
                )
            )
            await session.execute(delete(_counter).where(_counter.c.slot_start < cutoff, ~still_booked))
            counted = (attempts, requests, events, queued)
            return sum(result.rowcount for result in counted)  # type: ignore[attr-defined]

    deleted = await with_retry(transaction, what="purge_older_than")
    log.info("retention_purge", cutoff=cutoff.isoformat(), deleted=deleted)
    return deleted
