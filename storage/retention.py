"""Deleting patient data past its retention period (AVG: keep no longer than needed).

Only requests that are over go: in a final status (done, not_reached, cancelled) and ended before the
cutoff. A request still booked or in progress stays however old its slot, because a patient is still
waiting for that call (issue 8, defect 7). The recordings the deleted requests point at are handed back
so that the caller deletes the audio too (storage.recordings), after the rows are gone. The audit trail
(who saw which number) is about the same patients and goes by the same cutoff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import Table, and_, delete, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import CallbackAttempt, CallbackRequest, CallEvent, QueueEntry, SlotCounter
from storage.models_intake import OutboundMessage
from storage.models_web import AuditEntry
from storage.retry import with_retry
from storage.status import FINAL_STATUSES, MessageStatus
from storage.types import require_aware

log = structlog.get_logger(__name__)

_request: Table = CallbackRequest.__table__  # type: ignore[assignment]
_attempt: Table = CallbackAttempt.__table__  # type: ignore[assignment]
_event: Table = CallEvent.__table__  # type: ignore[assignment]
_counter: Table = SlotCounter.__table__  # type: ignore[assignment]
_queue: Table = QueueEntry.__table__  # type: ignore[assignment]
_audit: Table = AuditEntry.__table__  # type: ignore[assignment]
_message: Table = OutboundMessage.__table__  # type: ignore[assignment]
# A message still to be sent is kept whatever its age (its request is still active anyway).
SETTLED_MESSAGES = (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.FAILED)


@dataclass(frozen=True)
class Purged:
    """What one purge deleted, and the recordings of the deleted requests (stored-recording names)."""

    requests: int = 0
    attempts: int = 0
    queue_entries: int = 0
    events: int = 0
    audit_entries: int = 0
    messages: int = 0
    voice_note_refs: tuple[str, ...] = ()

    @property
    def deleted(self) -> int:
        """Rows about patients deleted in all (slot counters hold no patient data and are not counted)."""
        return (
            self.requests
            + self.attempts
            + self.queue_entries
            + self.events
            + self.audit_entries
            + self.messages
        )


async def purge_older_than(sessions: async_sessionmaker[AsyncSession], cutoff: datetime) -> Purged:
    """Delete requests that ended before ``cutoff`` with their attempts, and older queue/event/audit rows.

    Returns the counts and the ``voice_note_ref`` of every deleted request: delete those recordings
    (storage.recordings.delete_recordings) once this has returned. Counters of past slots left without
    requests go too.
    """
    require_aware(cutoff=cutoff)

    async def transaction() -> Purged:
        async with sessions() as session, session.begin():
            # By when it ended, not by its slot: a request booked for a slot long past may still be due.
            # updated_at covers rows ended by hand, without ended_at.
            ended = func.coalesce(_request.c.ended_at, _request.c.updated_at)
            is_old = and_(_request.c.status.in_(FINAL_STATUSES), ended < cutoff)
            # Written first: on SQLite the transaction then holds the write lock before it reads.
            queued = await session.execute(delete(_queue).where(_queue.c.arrived_at < cutoff))
            old = select(_request.c.id).where(is_old)
            # Explicit rather than relying on ON DELETE CASCADE, so the count is exact on both databases.
            attempts = await session.execute(delete(_attempt).where(_attempt.c.request_id.in_(old)))
            # A message holds the patient's number: it goes with its request, or by its age once settled.
            messages = await session.execute(
                delete(_message).where(
                    or_(
                        _message.c.request_id.in_(old),
                        and_(_message.c.created_at < cutoff, _message.c.status.in_(SETTLED_MESSAGES)),
                    )
                )
            )
            refs = await session.scalars(delete(_request).where(is_old).returning(_request.c.voice_note_ref))
            deleted_refs = list(refs)
            events = await session.execute(delete(_event).where(_event.c.at < cutoff))
            audited = await session.execute(delete(_audit).where(_audit.c.at < cutoff))
            still_booked = exists().where(
                and_(
                    _request.c.practice_id == _counter.c.practice_id,
                    _request.c.slot_start == _counter.c.slot_start,
                )
            )
            await session.execute(delete(_counter).where(_counter.c.slot_start < cutoff, ~still_booked))
            return Purged(
                requests=len(deleted_refs),
                attempts=attempts.rowcount,  # type: ignore[attr-defined]
                queue_entries=queued.rowcount,  # type: ignore[attr-defined]
                events=events.rowcount,  # type: ignore[attr-defined]
                audit_entries=audited.rowcount,  # type: ignore[attr-defined]
                messages=messages.rowcount,  # type: ignore[attr-defined]
                voice_note_refs=tuple(ref for ref in deleted_refs if ref),
            )

    purged = await with_retry(transaction, what="purge_older_than")
    log.info(
        "retention_rows_deleted",
        cutoff=cutoff.isoformat(),
        deleted=purged.deleted,
        requests=purged.requests,
        audit_entries=purged.audit_entries,
        voice_notes=len(purged.voice_note_refs),
    )
    return purged
