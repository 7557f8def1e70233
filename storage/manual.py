"""What an assistant does to a callback request by hand: done, not reached, deleted, moved to another slot.

Each action is one transaction that starts with a conditional UPDATE of the request (status booked, of this
practice), so of two assistants, or an assistant and the dispatcher's claim, only one gets past it; the
loser is told why (``ManualResult``). A request being dialled (in_progress) belongs to the dispatcher and
is refused as ``BEING_CALLED``: the call's own outcome would otherwise overwrite the assistant's.

Every action that succeeds stores a call event naming the assistant, so reports can show who handled
what. The event holds ids, the username and slot times only: the reason and note stay with the request
(``outcome_note``) and out of the events and the log, because they may say something medical.

Two assistants acting on the same screen row one after the other both succeed (done after a move is
still done) unless the screen passes the ``updated_at`` it showed as ``seen_updated_at``: then whoever
comes second gets ``CHANGED`` and sees the row anew. That is what makes "exactly one wins" hold for two
clicks at the same moment.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import structlog
from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.bookings import release_place, take_place
from storage.call_events import EventKind
from storage.models import CallbackRequest, CallEvent
from storage.retry import with_retry
from storage.status import RequestKind, RequestStatus
from storage.types import require_aware

log = structlog.get_logger(__name__)

Sessions = async_sessionmaker[AsyncSession]

__all__ = [
    "MAX_TEXT",
    "ManualResult",
    "delete_request",
    "mark_done",
    "mark_not_reached",
    "move_request",
]

# The longest reason or note an assistant may type; the screen should say so before sending.
MAX_TEXT = 500

_request: Table = CallbackRequest.__table__  # type: ignore[assignment]


class ManualResult(StrEnum):
    """How a manual action went. Only ``OK`` changed anything."""

    OK = "ok"
    # No such request, or another practice's.
    NOT_FOUND = "not_found"
    # Already done, not reached or cancelled.
    NOT_ACTIVE = "not_active"
    # The dispatcher is dialling it right now (in_progress).
    BEING_CALLED = "being_called"
    # Changed since the screen showed it (``seen_updated_at`` no longer matches).
    CHANGED = "changed"
    # move_request: the new slot has no room by the booking's rule.
    FULL = "full"
    # move_request: the new slot has already ended.
    IN_THE_PAST = "in_the_past"
    # move_request: a kept queue place has no slot to move.
    NOT_A_SLOT = "not_a_slot"


@dataclass(frozen=True)
class _Taken:
    """The request as it was when the action's first UPDATE locked it."""

    id: int
    kind: str
    slot_start: datetime | None
    priority: bool
    call_id: str | None


class _Refused(Exception):
    """Raised inside the transaction to roll back what it wrote so far."""

    def __init__(self, result: ManualResult) -> None:
        super().__init__(result.value)
        self.result = result


def _text(value: str | None, field: str, *, required: bool) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise ValueError(f"{field} must not be empty")
        return None
    if len(text) > MAX_TEXT:
        raise ValueError(f"{field} is longer than {MAX_TEXT} characters ({len(text)})")
    return text


def _check(by: str, now: datetime, seen_updated_at: datetime | None) -> None:
    if not by.strip():
        raise ValueError("by must name the assistant")
    require_aware(now=now)
    if seen_updated_at is not None:
        require_aware(seen_updated_at=seen_updated_at)


async def _why_not(
    session: AsyncSession, practice_id: int, request_id: int, seen_updated_at: datetime | None
) -> ManualResult:
    # After the conditional UPDATE found nothing: read what is there now to say why. The order matters:
    # an ended request is NOT_ACTIVE even when it also changed since the screen showed it.
    row = (
        await session.execute(
            select(_request.c.status, _request.c.kind, _request.c.updated_at).where(
                _request.c.id == request_id, _request.c.practice_id == practice_id
            )
        )
    ).first()
    if row is None:
        return ManualResult.NOT_FOUND
    if row.status == RequestStatus.IN_PROGRESS:
        return ManualResult.BEING_CALLED
    if row.status != RequestStatus.BOOKED:
        return ManualResult.NOT_ACTIVE
    if seen_updated_at is not None and row.updated_at != seen_updated_at:
        return ManualResult.CHANGED
    return ManualResult.NOT_A_SLOT


async def _take_request(
    session: AsyncSession,
    practice_id: int,
    request_id: int,
    values: dict[str, Any],
    *,
    seen_updated_at: datetime | None,
    slot_only: bool = False,
) -> _Taken:
    # The action's first statement, and a write: it takes the row lock (PostgreSQL) or the write lock
    # (SQLite) before anything is read, so a concurrent action or claim waits and then finds it changed.
    conditions = [
        _request.c.id == request_id,
        _request.c.practice_id == practice_id,
        _request.c.status == RequestStatus.BOOKED,
    ]
    if seen_updated_at is not None:
        conditions.append(_request.c.updated_at == seen_updated_at)
    if slot_only:
        conditions.append(_request.c.kind == RequestKind.SLOT)
    taken = (
        await session.execute(
            update(_request)
            .where(*conditions)
            .values(values)
            .returning(
                _request.c.kind,
                _request.c.slot_start,
                _request.c.priority,
                _request.c.call_id,
            )
        )
    ).first()
    if taken is None:
        raise _Refused(await _why_not(session, practice_id, request_id, seen_updated_at))
    return _Taken(request_id, taken.kind, taken.slot_start, taken.priority, taken.call_id)


def _event(
    practice_id: int, taken: _Taken, kind: str, by: str, now: datetime, extra: dict[str, Any] | None = None
) -> CallEvent:
    return CallEvent(
        practice_id=practice_id,
        # A request booked online has no call of its own; its events are filed under the request.
        call_id=taken.call_id or f"request-{taken.id}",
        kind=kind,
        detail={"request_id": taken.id, "by": by, **(extra or {})},
        at=now,
    )


async def _run(
    sessions: Sessions,
    action: str,
    practice_id: int,
    request_id: int,
    by: str,
    work: Callable[[AsyncSession], Awaitable[None]],
) -> ManualResult:
    async def transaction() -> ManualResult:
        async with sessions() as session:
            try:
                async with session.begin():
                    await work(session)
            except _Refused as refused:
                return refused.result
            return ManualResult.OK

    result = await with_retry(transaction, what=action)
    # No phone, reason or note here: the log is not the patient's record.
    log.info(action, request_id=request_id, practice_id=practice_id, by=by, result=result.value)
    return result


async def _end(
    sessions: Sessions,
    practice_id: int,
    request_id: int,
    *,
    status: RequestStatus,
    event: EventKind,
    by: str,
    now: datetime,
    note: str | None,
    seen_updated_at: datetime | None,
) -> ManualResult:
    values: dict[str, Any] = {"status": status, "ended_at": now, "updated_at": now}
    if note is not None:
        values["outcome_note"] = note

    async def work(session: AsyncSession) -> None:
        taken = await _take_request(session, practice_id, request_id, values, seen_updated_at=seen_updated_at)
        if taken.kind == RequestKind.SLOT:
            await release_place(session, practice_id, taken.slot_start, taken.priority)
        session.add(_event(practice_id, taken, event, by, now))

    return await _run(sessions, event, practice_id, request_id, by, work)


async def mark_done(
    sessions: Sessions,
    practice_id: int,
    request_id: int,
    *,
    by: str,
    now: datetime,
    note: str | None = None,
    seen_updated_at: datetime | None = None,
) -> ManualResult:
    """The assistant handled the request themselves: it ends as done and gives its slot place back.

    ``note`` (optional, at most ``MAX_TEXT`` characters) becomes the request's outcome note.
    """
    _check(by, now, seen_updated_at)
    text = _text(note, "note", required=False)
    return await _end(
        sessions,
        practice_id,
        request_id,
        status=RequestStatus.DONE,
        event=EventKind.MANUAL_DONE,
        by=by,
        now=now,
        note=text,
        seen_updated_at=seen_updated_at,
    )


async def mark_not_reached(
    sessions: Sessions,
    practice_id: int,
    request_id: int,
    *,
    by: str,
    now: datetime,
    note: str | None = None,
    seen_updated_at: datetime | None = None,
) -> ManualResult:
    """The assistant gives up on reaching the patient: it ends as not reached and gives its place back.

    ``note`` (optional, at most ``MAX_TEXT`` characters) becomes the request's outcome note. The counted
    tries stay as they are: they count the dispatcher's dialled attempts only.
    """
    _check(by, now, seen_updated_at)
    text = _text(note, "note", required=False)
    return await _end(
        sessions,
        practice_id,
        request_id,
        status=RequestStatus.NOT_REACHED,
        event=EventKind.MANUAL_NOT_REACHED,
        by=by,
        now=now,
        note=text,
        seen_updated_at=seen_updated_at,
    )


async def delete_request(
    sessions: Sessions,
    practice_id: int,
    request_id: int,
    *,
    by: str,
    reason: str,
    now: datetime,
    seen_updated_at: datetime | None = None,
) -> ManualResult:
    """Take the request off the list: it ends as cancelled with ``reason`` as its outcome note.

    The row stays (retention removes it later) so the list and the reports still show what happened.
    ``reason`` is required, at most ``MAX_TEXT`` characters; else ValueError.
    """
    _check(by, now, seen_updated_at)
    text = _text(reason, "reason", required=True)
    return await _end(
        sessions,
        practice_id,
        request_id,
        status=RequestStatus.CANCELLED,
        event=EventKind.MANUAL_DELETED,
        by=by,
        now=now,
        note=text,
        seen_updated_at=seen_updated_at,
    )


async def move_request(
    sessions: Sessions,
    practice_id: int,
    request_id: int,
    *,
    slot_start: datetime,
    slot_end: datetime,
    capacity: int,
    reserved: int,
    by: str,
    now: datetime,
    seen_updated_at: datetime | None = None,
) -> ManualResult:
    """Move a booked slot request to another slot: a place there, the old one given back, due at its start.

    The new place is taken by the booking's own rule and UPDATE (``storage.bookings.take_place``) with the
    new slot's ``capacity`` and ``reserved`` (the planner's numbers); no room is ``FULL`` and nothing
    changes. A slot that has ended (``slot_end <= now``) is ``IN_THE_PAST``; a kept place is
    ``NOT_A_SLOT``. The priority and the counted tries stay with the request.
    """
    _check(by, now, seen_updated_at)
    require_aware(slot_start=slot_start, slot_end=slot_end)
    if slot_end <= slot_start:
        raise ValueError("slot_end must be after slot_start")
    if reserved < 0:
        raise ValueError("reserved must not be negative")
    if slot_end <= now:
        log.info(
            EventKind.MANUAL_MOVED,
            request_id=request_id,
            practice_id=practice_id,
            by=by,
            result="in_the_past",
        )
        return ManualResult.IN_THE_PAST

    async def work(session: AsyncSession) -> None:
        # Only updated_at at first: RETURNING gives the values after the UPDATE, and the old slot is needed.
        taken = await _take_request(
            session,
            practice_id,
            request_id,
            {"updated_at": now},
            seen_updated_at=seen_updated_at,
            slot_only=True,
        )
        old = taken.slot_start
        # A slot request always has a slot (check constraint slot_order).
        assert old is not None
        if old != slot_start:
            await _swap_places(session, practice_id, old, slot_start, taken.priority, capacity, reserved)
        await session.execute(
            update(_request)
            .where(_request.c.id == request_id)
            .values(slot_start=slot_start, slot_end=slot_end, due_at=slot_start)
        )
        extra = {"from": old.isoformat(), "to": slot_start.isoformat()}
        session.add(_event(practice_id, taken, EventKind.MANUAL_MOVED, by, now, extra))

    return await _run(sessions, EventKind.MANUAL_MOVED, practice_id, request_id, by, work)


async def _swap_places(
    session: AsyncSession,
    practice_id: int,
    old: datetime,
    new: datetime,
    priority: bool,
    capacity: int,
    reserved: int,
) -> None:
    # Counter rows are locked in slot order, so two moves in opposite directions cannot deadlock. Giving
    # the old place back first is safe: a full new slot raises and the whole transaction rolls back.
    async def take() -> None:
        taken = await take_place(
            session, practice_id, new, capacity=capacity, reserved=reserved, priority=priority
        )
        if taken is None:
            raise _Refused(ManualResult.FULL)

    if old < new:
        await release_place(session, practice_id, old, priority)
        await take()
    else:
        await take()
        await release_place(session, practice_id, old, priority)
