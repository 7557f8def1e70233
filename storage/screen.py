"""The assistants' screen, read side: one day's callback requests with their attempts, as plain values.

Rows are frozen dataclasses, not ORM objects, so the web layer can hold and render them after the session
has closed and can never write through them by accident. The phone number is the full one: masking is
the web layer's choice (an assistant calling back needs the digits, a wall display does not).

Requests and attempts come from one query (an outer join) rather than one query per row, so a busy day
costs the same round trip as a quiet one, and a request and its attempts are read from one snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from storage.models import CallbackAttempt, CallbackRequest
from storage.models_intake import OutboundMessage
from storage.status import ACTIVE_STATUSES
from storage.types import require_aware

Sessions = async_sessionmaker[AsyncSession]

__all__ = ["ScreenAttempt", "ScreenRow", "day_callbacks", "request_by_id"]


@dataclass(frozen=True)
class ScreenAttempt:
    """One try to reach the patient, as the screen shows it."""

    attempt_no: int
    started_at: datetime
    ended_at: datetime | None
    # An AttemptOutcome value; None while the attempt runs.
    outcome: str | None
    headset: str | None


@dataclass(frozen=True)
class ScreenRow:
    """One callback request with its attempts in the order they started. Times are aware UTC datetimes."""

    id: int
    # Full number: mask it (common.privacy.mask_number) wherever it is not needed to call back.
    phone: str
    kind: str
    source: str
    number_source: str
    priority: bool
    slot_start: datetime | None
    slot_end: datetime | None
    due_at: datetime
    queued_at: datetime | None
    reason: str | None
    voice_note_ref: str | None
    status: str
    # The counted tries (the request's ``attempts`` column); ``attempts`` below lists every try.
    attempt_count: int
    outcome_note: str | None
    ended_at: datetime | None
    created_at: datetime
    # Pass it back to the manual actions (``seen_updated_at``) to refuse a change made meanwhile.
    updated_at: datetime
    attempts: tuple[ScreenAttempt, ...]
    # Online intake: the patient's name or initials and the triage level (None for a caller's request).
    patient_name: str | None = None
    urgency: str | None = None
    # (event, status) of each message to the patient, oldest first.
    messages: tuple[tuple[str, str], ...] = ()


def _in_range(column: ColumnElement[datetime | None], start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(column >= start, column < end)


def _of_day(start: datetime, end: datetime) -> ColumnElement[bool]:
    # A kept place has no slot: it belongs to the day its caller queued, and also to the day a retry
    # makes it due again, where it is work still to do. Any request still open and due by the end of the
    # day is listed too, from whatever day it was booked for: the dispatcher will call it, so it is shown.
    return or_(
        _in_range(CallbackRequest.slot_start, start, end),
        and_(CallbackRequest.status.in_(ACTIVE_STATUSES), CallbackRequest.due_at < end),
        and_(
            CallbackRequest.slot_start.is_(None),
            or_(
                _in_range(CallbackRequest.queued_at, start, end),
                _in_range(CallbackRequest.due_at, start, end),
            ),
        ),
    )


def _row(
    request: CallbackRequest, attempts: list[CallbackAttempt], messages: list[OutboundMessage]
) -> ScreenRow:
    return ScreenRow(
        id=request.id,
        phone=request.phone,
        kind=request.kind,
        source=request.source,
        number_source=request.number_source,
        priority=request.priority,
        slot_start=request.slot_start,
        slot_end=request.slot_end,
        due_at=request.due_at,
        queued_at=request.queued_at,
        reason=request.reason,
        voice_note_ref=request.voice_note_ref,
        status=request.status,
        attempt_count=request.attempts,
        outcome_note=request.outcome_note,
        ended_at=request.ended_at,
        created_at=request.created_at,
        updated_at=request.updated_at,
        attempts=tuple(
            ScreenAttempt(
                attempt_no=a.attempt_no,
                started_at=a.started_at,
                ended_at=a.ended_at,
                outcome=a.outcome,
                headset=a.headset,
            )
            for a in attempts
        ),
        patient_name=request.patient_name,
        urgency=request.urgency,
        messages=tuple((m.event, m.status) for m in messages),
    )


async def _load(sessions: Sessions, practice_id: int, *conditions: ColumnElement[bool]) -> list[ScreenRow]:
    # The time a row is listed at: its slot, or a kept place's queue arrival (its due time if unknown).
    listed_at = func.coalesce(CallbackRequest.slot_start, CallbackRequest.queued_at, CallbackRequest.due_at)
    query = (
        select(CallbackRequest, CallbackAttempt)
        .outerjoin(CallbackAttempt, CallbackAttempt.request_id == CallbackRequest.id)
        .where(CallbackRequest.practice_id == practice_id, *conditions)
        .order_by(
            listed_at,
            CallbackRequest.priority.desc(),
            CallbackRequest.created_at,
            CallbackRequest.id,
            CallbackAttempt.started_at,
            CallbackAttempt.id,
        )
    )
    async with sessions() as session:
        result = await session.execute(query)
        # dicts keep insertion order: the requests stay in the query's order.
        grouped: dict[int, tuple[CallbackRequest, list[CallbackAttempt]]] = {}
        for request, attempt in result.all():
            _, attempts = grouped.setdefault(request.id, (request, []))
            if attempt is not None:
                attempts.append(attempt)
        messages = await session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.request_id.in_(list(grouped)))
            .order_by(OutboundMessage.id)
        )
        by_request: dict[int, list[OutboundMessage]] = {}
        for message in messages:
            by_request.setdefault(message.request_id or 0, []).append(message)
    return [_row(request, attempts, by_request.get(request.id, [])) for request, attempts in grouped.values()]


async def day_callbacks(
    sessions: Sessions, practice_id: int, day_start: datetime, day_end: datetime
) -> list[ScreenRow]:
    """Return every request of the practice in [day_start, day_end), any status, with its attempts.

    A slot request belongs to the day of its slot; a kept place to the day its caller queued and the day
    it is (again) due. Ordered as the screen lists them: by slot or queue arrival, urgent first, then
    first booked. Pass local midnights (``day_end`` the next local midnight, not ``day_start`` + 24 h,
    which is wrong on the two days of a clock change).
    """
    require_aware(day_start=day_start, day_end=day_end)
    if day_end <= day_start:
        raise ValueError("day_end must be after day_start")
    return await _load(sessions, practice_id, _of_day(day_start, day_end))


async def request_by_id(sessions: Sessions, practice_id: int, request_id: int) -> ScreenRow | None:
    """Return one request of the practice with its attempts; None if unknown or another practice's."""
    rows = await _load(sessions, practice_id, CallbackRequest.id == request_id)
    return rows[0] if rows else None
