"""The live queue of callers waiting for an assistant, kept in the database to survive a restart.

The callers themselves wait in an Asterisk bridge; these rows hold their order (group rank, then
arrival) and what they were told. A caller who leaves but keeps their place becomes a callback request
that keeps the original arrival time as its order key.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import structlog
from sqlalchemy import Table, case, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common.privacy import mask_number
from storage.models import CallbackRequest, QueueEntry
from storage.retry import with_retry
from storage.sql import insert_ignore
from storage.status import (
    WAITING_STATUSES,
    NumberSource,
    QueueStatus,
    RequestKind,
    RequestSource,
    RequestStatus,
    parse,
)
from storage.types import require_aware, utcnow

log = structlog.get_logger(__name__)

Sessions = async_sessionmaker[AsyncSession]

__all__ = [
    "WAITING_STATUSES",
    "announce_wait",
    "close_stale_entries",
    "entry_by_channel",
    "join_queue",
    "keep_place",
    "set_queue_status",
    "waiting_entries",
]

_entry: Table = QueueEntry.__table__  # type: ignore[assignment]


async def join_queue(
    sessions: Sessions,
    *,
    practice_id: int,
    call_id: str,
    channel_id: str,
    phone: str,
    group: str,
    rank: int,
    arrived_at: datetime,
) -> QueueEntry:
    """Put a caller in the queue and return the entry; a call that already joined gets its entry back.

    Idempotent per call, so a retry after an unclear commit cannot queue one caller twice.
    """
    require_aware(arrived_at=arrived_at)
    values = {
        "practice_id": practice_id,
        "call_id": call_id,
        "channel_id": channel_id,
        "phone": phone,
        "group": group,
        "rank": rank,
        "arrived_at": arrived_at,
        "status": QueueStatus.WAITING,
        "updated_at": utcnow(),
    }

    async def transaction() -> QueueEntry:
        async with sessions() as session, session.begin():
            await session.execute(insert_ignore(session, _entry, values))
            return (await session.scalars(select(QueueEntry).where(QueueEntry.call_id == call_id))).one()

    entry = await with_retry(transaction, what="join_queue")
    log.info(
        "queue_entry_stored",
        entry_id=entry.id,
        practice_id=practice_id,
        call_id=call_id,
        group=group,
        rank=rank,
        phone=mask_number(phone),
    )
    return entry


async def waiting_entries(sessions: Sessions, practice_id: int) -> list[QueueEntry]:
    """Return the callers still in the practice's queue, first to be served first."""
    async with sessions() as session:
        result = await session.scalars(
            select(QueueEntry)
            .where(QueueEntry.practice_id == practice_id, QueueEntry.status.in_(WAITING_STATUSES))
            .order_by(QueueEntry.rank, QueueEntry.arrived_at, QueueEntry.id)
        )
        return list(result)


async def set_queue_status(
    sessions: Sessions, entry_id: int, status: QueueStatus | str, *, expect: Collection[str] | None = None
) -> bool:
    """Set the entry's status, only if its current status is in ``expect`` (when given).

    Returns whether it changed, so two parties racing for one caller (an assistant coming free, the
    caller keeping their place) can tell who won.
    """
    status = parse(QueueStatus, status, "queue status")
    statement = update(_entry).where(_entry.c.id == entry_id)
    if expect is not None:
        statement = statement.where(_entry.c.status.in_(list(expect)))
    statement = statement.values(status=status, updated_at=utcnow()).returning(_entry.c.id)

    async def transaction() -> bool:
        async with sessions() as session, session.begin():
            return (await session.scalar(statement)) is not None

    changed = await with_retry(transaction, what="set_queue_status")
    log.info("queue_status", entry_id=entry_id, status=status, changed=changed)
    return changed


async def announce_wait(sessions: Sessions, entry_id: int, seconds: int) -> int:
    """Record an expected wait told to the caller and return what to announce.

    That is the lower of this and any earlier announcement: once told, a wait is never raised. One
    UPDATE, so concurrent announcements cannot raise it either.
    """
    if seconds < 0:
        raise ValueError("seconds must not be negative")
    current = _entry.c.announced_wait_seconds
    lowest = case((current.is_(None), seconds), (current > seconds, seconds), else_=current)
    statement = (
        update(_entry)
        .where(_entry.c.id == entry_id)
        .values(announced_wait_seconds=lowest, updated_at=utcnow())
        .returning(current)
    )

    async def transaction() -> int | None:
        async with sessions() as session, session.begin():
            return await session.scalar(statement)

    announced = await with_retry(transaction, what="announce_wait")
    if announced is None:
        raise LookupError(f"no queue entry {entry_id}")
    return announced


async def keep_place(
    sessions: Sessions, entry_id: int, *, phone: str, number_source: NumberSource | str, now: datetime
) -> CallbackRequest | None:
    """Turn a waiting caller into a callback request that keeps the place of their arrival.

    Returns None if the caller was no longer waiting (e.g. already being connected to an assistant).
    The request is committed before this returns, so the caller may be told their place is kept.
    """
    require_aware(now=now)
    if not phone:
        raise ValueError("a kept place needs a number to call back")
    number_source = parse(NumberSource, number_source, "number_source")

    async def transaction() -> CallbackRequest | None:
        async with sessions() as session, session.begin():
            # Conditional, and written first: whoever takes the caller off "waiting" first wins.
            entry = (
                await session.execute(
                    update(_entry)
                    .where(_entry.c.id == entry_id, _entry.c.status == QueueStatus.WAITING)
                    .values(status=QueueStatus.KEPT, updated_at=now)
                    .returning(_entry.c.practice_id, _entry.c.call_id, _entry.c.arrived_at)
                )
            ).first()
            if entry is None:
                return None
            request = CallbackRequest(
                practice_id=entry.practice_id,
                phone=phone,
                number_source=number_source,
                kind=RequestKind.KEPT_PLACE,
                slot_start=None,
                slot_end=None,
                due_at=entry.arrived_at,
                queued_at=entry.arrived_at,
                source=RequestSource.PHONE,
                status=RequestStatus.BOOKED,
                attempts=0,
                call_id=entry.call_id,
                created_at=now,
                updated_at=now,
            )
            session.add(request)
            await session.flush()
            await session.execute(
                update(_entry).where(_entry.c.id == entry_id).values(callback_request_id=request.id)
            )
            return request

    request = await with_retry(transaction, what="keep_place")
    if request is None:
        log.info("queue_keep_place_refused", entry_id=entry_id)
        return None
    log.info(
        "kept_place_stored",
        entry_id=entry_id,
        request_id=request.id,
        practice_id=request.practice_id,
        due_at=request.due_at.isoformat(),
        phone=mask_number(phone),
        call_id=request.call_id,
    )
    return request


async def entry_by_channel(sessions: Sessions, practice_id: int, channel_id: str) -> QueueEntry | None:
    """Return the practice's latest queue entry of an Asterisk channel, whatever its status, or None.

    For a restarted controller that finds callers in the queue bridge and has to re-adopt them.
    """
    async with sessions() as session:
        return (
            await session.scalars(
                select(QueueEntry)
                .where(QueueEntry.practice_id == practice_id, QueueEntry.channel_id == channel_id)
                .order_by(QueueEntry.id.desc())
                .limit(1)
            )
        ).one_or_none()


async def close_stale_entries(
    sessions: Sessions, practice_id: int, live_channel_ids: Collection[str], now: datetime
) -> int:
    """Mark the practice's waiting and connecting callers whose channel is gone as abandoned; return how many.

    ``live_channel_ids`` are the channels Asterisk still has, listed after ``now``: entries that
    arrived at or after ``now`` are left alone, since their channel may be newer than the list.
    """
    require_aware(now=now)
    live = list(live_channel_ids)

    async def transaction() -> int:
        async with sessions() as session, session.begin():
            statement = update(_entry).where(
                _entry.c.practice_id == practice_id,
                _entry.c.status.in_(WAITING_STATUSES),
                _entry.c.arrived_at < now,
            )
            if live:
                statement = statement.where(_entry.c.channel_id.not_in(live))
            closed = await session.scalars(
                statement.values(status=QueueStatus.ABANDONED, updated_at=now).returning(_entry.c.id)
            )
            return len(closed.all())

    closed = await with_retry(transaction, what="close_stale_entries")
    if closed:
        log.info("stale_queue_entries_stored_abandoned", practice_id=practice_id, closed=closed)
    return closed
