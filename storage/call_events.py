"""The call event log: what happened in each call and callback attempt, with times, for the reports.

The kinds are defined here, below the controller (which writes them) and beside whatever reads them for
the reports, so both spell them from one place. The kind is stored as text in ``call_event.kind``
(at most 32 characters); the detail is a small JSON object. No detail ever holds a phone number: the
log is for statistics, not part of the patient's record (the number lives in the request, which
retention deletes).

Times are the event's own ``at``; the ``seconds`` fields repeat the figure a report needs most, measured
on the same clock, so ``answered.at - started.at`` and ``answered.detail["seconds"]`` agree.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import CallEvent
from storage.retry import with_retry
from storage.types import require_aware

Sessions = async_sessionmaker[AsyncSession]


class EventKind(StrEnum):
    """Every kind of call event; the comment lists the detail fields."""

    # ---- a patient's call ------------------------------------------------------------------------------
    # caller: "number" (a usable Dutch caller id), "withheld" or "unusable" (foreign, malformed).
    CALL_ARRIVED = "call_arrived"
    # A caller who was waiting when the last controller stopped, taken over by this one under a new call
    # id: resumed_from (the earlier call id), entry_id. Not a new arrival.
    CALL_RESUMED = "call_resumed"
    # Closed: the caller heard the outside-hours prompt (spoed goes to the huisartsenpost).
    OUTSIDE_HOURS = "outside_hours"
    # path (the keys that led to this menu, "/"-separated, "" for the main menu), key (None when the
    # menu's default applied after the retries), option (the action: queue, callback, spoed, ...),
    # group (queue and headsets options only).
    MENU_CHOICE = "menu_choice"
    # reason (completed, patient_hung_up, asterisk_shutting_down, controller_stopped, sent_to_fallback,
    # handler_error), seconds (since call_arrived / call_resumed).
    CALL_ENDED = "call_ended"

    # ---- spoed -----------------------------------------------------------------------------------------
    # route ("practice": the spoed headsets, then the overflow; "huisartsenpost": outside hours),
    # headsets (how many are rung).
    SPOED_STARTED = "spoed_started"
    # Nobody answered in overflow_after seconds, the overflow number rings: round (1, 2, ...), seconds.
    SPOED_OVERFLOWED = "spoed_overflowed"
    # by (the headset, or "spoed_overflow" / "huisartsenpost"), seconds (time to a person), overflowed.
    SPOED_ANSWERED = "spoed_answered"
    # reason (SpoedEnd), seconds.
    SPOED_GIVEN_UP = "spoed_given_up"

    # ---- the live queue --------------------------------------------------------------------------------
    # entry_id, group, rank.
    QUEUE_JOINED = "queue_joined"
    # What the caller was told, each time it changes: entry_id, position, expected_seconds, keep_offered.
    QUEUE_ANNOUNCED = "queue_announced"
    # entry_id, outcome (QueueExit), waited_seconds (from the stored arrival to the answer or the
    # leaving), headset (answered), request_id and number_source (kept).
    QUEUE_LEFT = "queue_left"
    # The queue could not be stored (database away): the headsets are rung directly. group.
    QUEUE_UNAVAILABLE = "queue_unavailable"

    # ---- ringing the assistants directly (the headsets option, and the fallbacks without a database) ----
    # group, headsets.
    HEADSETS_RUNG = "headsets_rung"
    # group, by (the headset), seconds.
    HEADSETS_ANSWERED = "headsets_answered"
    # group, result (no_answer, refused, spoed, hung_up), seconds.
    HEADSETS_UNANSWERED = "headsets_unanswered"

    # ---- the callback offer (names from before the trace; kept) -----------------------------------------
    CALLBACK_OFFERED = "callback_offered"  # slot
    CALLBACK_DECLINED = "callback_declined"  # slot (the time offered last)
    CALLBACK_BOOKED = "callback_booked"  # request_id, slot
    CALLBACK_SLOT_TAKEN = "callback_slot_taken"  # slot (another caller took it first)
    CALLBACK_TURNED_AWAY = "callback_turned_away"  # reason (the planner's), next_open_day
    CALLBACK_NUMBER_FAILED = "callback_number_failed"  # no usable number could be typed
    CALLBACK_SPOED = "callback_spoed"  # stage
    CALLBACK_ABANDONED = "callback_abandoned"  # stage, slot (hung up before booking)
    CALLBACK_UNAVAILABLE = "callback_unavailable"  # stage (database away: an assistant is rung)

    # ---- a callback attempt (filed under the call that asked for it, see trace_call_id) -----------------
    # request_id, attempt_id, attempt_no, headset, request_kind, due_at, slot_start, slot_end (ISO).
    ATTEMPT_STARTED = "attempt_started"
    # The assistant answered and heard the whisper; the patient is dialled now: request_id, attempt_id,
    # headset, seconds (since attempt_started).
    ATTEMPT_DIALLED = "attempt_dialled"
    # request_id, attempt_id, headset, ring_seconds (since attempt_dialled).
    ATTEMPT_ANSWERED = "attempt_answered"
    # request_id, attempt_id, headset, outcome (storage.status.AttemptOutcome), seconds (since
    # attempt_started), talk_seconds (answered only).
    ATTEMPT_ENDED = "attempt_ended"
    # The attempt's end closed its request: request_id, attempt_id, headset, status (done, not_reached,
    # cancelled), attempts (calls to the patient counted). A request still open after the attempt has none.
    REQUEST_ENDED = "request_ended"

    # ---- the assistants' screen (written by storage.manual) ----------------------------------------------
    MANUAL_DONE = "manual_done"  # request_id, by
    MANUAL_NOT_REACHED = "manual_not_reached"  # request_id, by
    MANUAL_DELETED = "manual_deleted"  # request_id, by
    MANUAL_MOVED = "manual_moved"  # request_id, by, from, to


class QueueExit(StrEnum):
    """How a caller left the live queue (``queue_left.outcome``)."""

    ANSWERED = "answered"
    KEPT = "kept"
    SPOED = "spoed"
    ABANDONED = "abandoned"  # hung up (a lost call)
    MAX_WAIT = "max_wait"  # waited the option's max_wait_seconds
    # The controller stopped while the caller waited: the caller stays in the holding bridge for the next
    # controller (its queue_left comes under the call_resumed call id) or the dialplan's fallback.
    HANDED_OVER = "handed_over"


class SpoedEnd(StrEnum):
    """Why spoed ended without a person (``spoed_given_up.reason``)."""

    NOBODY_ANSWERED = "nobody_answered"  # rang for the whole give-up time
    HUNG_UP = "hung_up"  # the patient hung up while it rang
    FALLBACK = "fallback"  # nothing could be rung: the dialplan rings everyone
    CONTROLLER_STOPPED = "controller_stopped"


@dataclass(frozen=True)
class NewCallEvent:
    """One event to store; ``detail`` must be JSON (the trace normalises it when it is recorded)."""

    call_id: str
    kind: str
    at: datetime
    detail: dict[str, Any]


def trace_call_id(call_id: str | None, request_id: int) -> str:
    """The call id a request's events are filed under: its call's, or its own when booked online."""
    return call_id or f"request-{request_id}"


def _same(kind: str, call_id: str, at: datetime, detail: dict[str, Any]) -> tuple[str, str, datetime, str]:
    return kind, call_id, at, json.dumps(detail, sort_keys=True)


async def record_call_events(
    sessions: Sessions,
    practice_id: int,
    events: Sequence[NewCallEvent],
    *,
    skip_existing: bool = False,
) -> int:
    """Store the events in one transaction; returns how many rows were added.

    ``skip_existing`` is for re-writing a batch whose earlier write may have committed after all (its step
    timed out): an event already stored with the same call, kind, time and detail is not added again.
    """
    for event in events:
        require_aware(at=event.at)
    if not events:
        return 0

    async def transaction() -> int:
        async with sessions() as session, session.begin():
            todo = list(events)
            if skip_existing:
                stored = await session.scalars(
                    select(CallEvent).where(
                        CallEvent.practice_id == practice_id,
                        CallEvent.call_id.in_({e.call_id for e in todo}),
                        CallEvent.at >= min(e.at for e in todo),
                        CallEvent.at <= max(e.at for e in todo),
                    )
                )
                seen = {_same(row.kind, row.call_id, row.at, row.detail) for row in stored}
                todo = [e for e in todo if _same(e.kind, e.call_id, e.at, e.detail) not in seen]
            session.add_all(
                CallEvent(practice_id=practice_id, call_id=e.call_id, kind=e.kind, at=e.at, detail=e.detail)
                for e in todo
            )
            return len(todo)

    return await with_retry(transaction, what="record_call_events")


async def events_between(
    sessions: Sessions, practice_id: int, start: datetime, end: datetime
) -> list[CallEvent]:
    """The practice's events with ``start <= at < end``, in the order they happened."""
    require_aware(start=start, end=end)
    async with sessions() as session:
        rows = await session.scalars(
            select(CallEvent)
            .where(CallEvent.practice_id == practice_id, CallEvent.at >= start, CallEvent.at < end)
            .order_by(CallEvent.at, CallEvent.id)
        )
        return list(rows)
