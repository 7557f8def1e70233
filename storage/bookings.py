"""Atomic booking and cancelling of callback slots, and the call event log.

A slot's active requests are counted in ``slot_counter``, ordinary and priority apart. Booking takes a
place with one conditional UPDATE whose condition is the planner's own room rule (common.room, spelled
in SQL) and stores the request in the same transaction. Both databases serialise concurrent UPDATEs of
one row (SQLite: one writer at a time; PostgreSQL: row lock, then re-checking the WHERE clause on the
committed row), so the counts can never break the rule, however many callers confirm the same slot at
the same moment. A request that is cancelled or ends gives its place back (``release_place``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common.privacy import mask_number
from common.room import has_room
from storage.models import CallbackRequest, CallEvent, SlotCounter
from storage.outbox import MessageDraft, add_message
from storage.retry import with_retry
from storage.sql import greatest, insert_ignore
from storage.status import (
    ACTIVE_STATUSES,
    NumberSource,
    RequestKind,
    RequestSource,
    RequestStatus,
    parse,
)
from storage.types import require_aware, utcnow

log = structlog.get_logger(__name__)

Sessions = async_sessionmaker[AsyncSession]

_counter: Table = SlotCounter.__table__  # type: ignore[assignment]
_request: Table = CallbackRequest.__table__  # type: ignore[assignment]


async def book_callback(
    sessions: Sessions,
    *,
    practice_id: int,
    slot_start: datetime,
    slot_end: datetime,
    capacity: int,
    phone: str,
    number_source: NumberSource | str,
    priority: bool = False,
    source: RequestSource | str = RequestSource.PHONE,
    reason: str | None = None,
    voice_note_ref: str | None = None,
    call_id: str | None = None,
    reserved: int = 0,
    patient_name: str | None = None,
    urgency: str | None = None,
    triage: dict[str, Any] | None = None,
    message: MessageDraft | None = None,
    now: datetime | None = None,
) -> CallbackRequest | None:
    """Take a place in the slot and store the callback request, or return None if there is no room.

    ``capacity`` is the whole slot, ``reserved`` the part held back for priority requests: the planner's
    numbers (``slot_capacity`` and ``priority_reserved_per_slot``), judged by the same rule
    (common.room). The request is committed before this returns, so the caller may confirm it.
    ``message`` (the patient's confirmation) goes into the outbox in the same transaction: it exists
    exactly when the booking does.
    """
    require_aware(slot_start=slot_start, slot_end=slot_end)
    if slot_end <= slot_start:
        raise ValueError("slot_end must be after slot_start")
    number_source = parse(NumberSource, number_source, "number_source")
    source = parse(RequestSource, source, "source")
    if reserved < 0:
        raise ValueError("reserved must not be negative")
    if capacity <= 0:
        return None

    async def transaction() -> tuple[CallbackRequest | None, int | None]:
        async with sessions() as session, session.begin():
            taken = await take_place(
                session, practice_id, slot_start, capacity=capacity, reserved=reserved, priority=priority
            )
            if taken is None:
                return None, None
            request = CallbackRequest(
                practice_id=practice_id,
                phone=phone,
                number_source=number_source,
                kind=RequestKind.SLOT,
                slot_start=slot_start,
                slot_end=slot_end,
                due_at=slot_start,
                priority=priority,
                source=source,
                reason=reason,
                voice_note_ref=voice_note_ref,
                status=RequestStatus.BOOKED,
                attempts=0,
                call_id=call_id,
                patient_name=patient_name,
                urgency=urgency,
                triage=triage,
            )
            session.add(request)
            await session.flush()
            if message is not None:
                add_message(
                    session,
                    practice_id=practice_id,
                    request_id=request.id,
                    draft=message,
                    now=now or utcnow(),
                )
            return request, taken

    request, place = await with_retry(transaction, what="book_callback")
    if request is None:
        log.info(
            "slot_full",
            practice_id=practice_id,
            slot_start=slot_start.isoformat(),
            capacity=capacity,
            reserved=reserved,
            priority=priority,
        )
        return None
    log.info(
        "callback_booked",
        request_id=request.id,
        practice_id=practice_id,
        slot_start=slot_start.isoformat(),
        place=place,
        capacity=capacity,
        reserved=reserved,
        phone=mask_number(phone),
        priority=priority,
        call_id=call_id,
    )
    return request


async def take_place(
    session: AsyncSession,
    practice_id: int,
    slot_start: datetime,
    *,
    capacity: int,
    reserved: int,
    priority: bool,
) -> int | None:
    """Take one place in the slot inside the caller's transaction if the room rule allows it.

    Returns the places taken in the slot afterwards, or None if it is full (nothing changed). Every way
    into a slot goes through here, so booking and moving apply one rule with one conditional UPDATE.
    """
    if capacity <= 0:
        return None
    room = has_room(
        capacity, reserved, _counter.c.ordinary, _counter.c.priority, priority=priority, greatest=greatest
    )
    taken_column = _counter.c.priority if priority else _counter.c.ordinary
    # As a transaction's first statement this matters on SQLite: the transaction then starts by taking the
    # write lock (waiting via busy_timeout) instead of reading a snapshot that a later write could find stale.
    await session.execute(
        insert_ignore(session, _counter, {"practice_id": practice_id, "slot_start": slot_start})
    )
    return await session.scalar(
        update(_counter)
        .where(_counter.c.practice_id == practice_id, _counter.c.slot_start == slot_start, room)
        .values({taken_column: taken_column + 1})
        .returning(_counter.c.ordinary + _counter.c.priority)
    )


async def release_place(
    session: AsyncSession, practice_id: int, slot_start: datetime | None, priority: bool
) -> None:
    """Give back the slot place of a request that stops being active, inside the caller's transaction.

    Kept places (no slot) hold none. Never below zero, so a release that somehow runs twice is harmless.
    """
    if slot_start is None:
        return
    column = _counter.c.priority if priority else _counter.c.ordinary
    await session.execute(
        update(_counter)
        .where(_counter.c.practice_id == practice_id, _counter.c.slot_start == slot_start, column > 0)
        .values({column: column - 1})
    )


async def cancel_callback(sessions: Sessions, request_id: int) -> bool:
    """Cancel a booked callback and give its place back; False if it was not (or no longer) booked."""

    async def transaction() -> bool:
        async with sessions() as session, session.begin():
            now = utcnow()
            # Conditional on status, so cancelling twice cannot release the place twice.
            slot = (
                await session.execute(
                    update(_request)
                    .where(_request.c.id == request_id, _request.c.status == RequestStatus.BOOKED)
                    .values(status=RequestStatus.CANCELLED, updated_at=now, ended_at=now)
                    .returning(_request.c.practice_id, _request.c.slot_start, _request.c.priority)
                )
            ).first()
            if slot is None:
                return False
            await release_place(session, slot.practice_id, slot.slot_start, slot.priority)
            return True

    cancelled = await with_retry(transaction, what="cancel_callback")
    log.info("callback_cancelled" if cancelled else "callback_not_cancellable", request_id=request_id)
    return cancelled


async def bookings_between(
    sessions: Sessions, practice_id: int, start: datetime, end: datetime
) -> list[CallbackRequest]:
    """Return the practice's booked and in-progress slot requests with a slot starting in [start, end).

    Ordered as the planner works through them: by slot, urgent first, then first come first served.
    Kept queue places take no slot capacity and are left out.
    """
    require_aware(start=start, end=end)
    async with sessions() as session:
        result = await session.scalars(
            select(CallbackRequest)
            .where(
                CallbackRequest.practice_id == practice_id,
                CallbackRequest.kind == RequestKind.SLOT,
                CallbackRequest.slot_start >= start,
                CallbackRequest.slot_start < end,
                CallbackRequest.status.in_(ACTIVE_STATUSES),
            )
            .order_by(
                CallbackRequest.slot_start,
                CallbackRequest.priority.desc(),
                CallbackRequest.created_at,
                CallbackRequest.id,
            )
        )
        return list(result)


async def record_call_event(
    sessions: Sessions,
    *,
    practice_id: int,
    call_id: str,
    kind: str,
    detail: dict[str, Any],
    at: datetime | None = None,
) -> None:
    """Append an event to the log of a call (``detail`` must be JSON-serialisable).

    Keep phone numbers out of ``detail`` or mask them (``common.privacy.mask_number``): events are for
    statistics and troubleshooting, not part of the patient's record.
    """
    if at is not None:
        require_aware(at=at)
    event_at = at or utcnow()

    async def transaction() -> None:
        async with sessions() as session, session.begin():
            session.add(
                CallEvent(practice_id=practice_id, call_id=call_id, kind=kind, detail=detail, at=event_at)
            )

    await with_retry(transaction, what="record_call_event")
