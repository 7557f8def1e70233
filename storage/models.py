"""Database models: practices, callback requests and attempts, the live queue, events, slot counters.

Any change here needs a new Alembic revision in ``storage/migrations/versions``; production never
uses ``create_all``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    false,
    text,
)
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.status import (
    ACTIVE_STATUSES,
    FINAL_STATUSES,
    NumberSource,
    QueueStatus,
    RequestKind,
    RequestSource,
    RequestStatus,
)
from storage.types import JSONDict, UTCDateTime, utcnow

# The names older callers import from here; the enums themselves live in storage.status.
Status = RequestStatus
Kind = RequestKind
NUMBER_SOURCES: tuple[str, ...] = tuple(NumberSource)
REQUEST_SOURCES: tuple[str, ...] = tuple(RequestSource)
STATUSES: tuple[str, ...] = tuple(RequestStatus)
KINDS: tuple[str, ...] = tuple(RequestKind)
QUEUE_STATUSES: tuple[str, ...] = tuple(QueueStatus)
__all__ = [
    "ACTIVE_STATUSES",
    "FINAL_STATUSES",
    "KINDS",
    "NUMBER_SOURCES",
    "QUEUE_STATUSES",
    "REQUEST_SOURCES",
    "STATUSES",
    "Base",
    "CallEvent",
    "CallbackAttempt",
    "CallbackRequest",
    "Kind",
    "NumberSource",
    "Practice",
    "QueueEntry",
    "QueueStatus",
    "RequestSource",
    "SlotCounter",
    "Status",
]

# The partial unique index that keeps two callbacks from dialling one number at the same time.
PHONE_IN_PROGRESS_INDEX = "uq_callback_request_phone_in_progress"
_IN_PROGRESS = f"status = '{RequestStatus.IN_PROGRESS.value}'"
# A slot booking needs a real slot; a kept place has none.
_SLOT_ORDER = (
    f"kind = '{RequestKind.KEPT_PLACE.value}'"
    " OR (slot_start IS NOT NULL AND slot_end IS NOT NULL AND slot_end > slot_start)"
)

# Explicit constraint names, so migrations can refer to them on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _in(column: str, values: Iterable[StrEnum]) -> str:
    quoted = ", ".join(f"'{v.value}'" for v in values)
    return f"{column} IN ({quoted})"


class Base(DeclarativeBase):
    """Declarative base carrying the shared metadata."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Practice(Base):
    """A GP practice using the system."""

    __tablename__ = "practice"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The stable id the admin sets once in the menu YAML (`practice.id`); name and number may change.
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    number: Mapped[str] = mapped_column(String(32))


def _slot_start(context: DefaultExecutionContext) -> datetime | None:
    # A slot booking is due when its slot starts; kept places and retries set due_at themselves.
    return context.get_current_parameters().get("slot_start")


class CallbackRequest(Base):
    """A patient's request to be called back: in a booked slot, or in the place kept in the live queue."""

    __tablename__ = "callback_request"
    __table_args__ = (
        CheckConstraint(_in("number_source", NumberSource), name="number_source"),
        CheckConstraint(_in("source", RequestSource), name="source"),
        CheckConstraint(_in("status", RequestStatus), name="status"),
        CheckConstraint(_in("kind", RequestKind), name="kind"),
        CheckConstraint(_SLOT_ORDER, name="slot_order"),
        CheckConstraint("attempts >= 0", name="attempts"),
        # The planner's and the listing's "callbacks of a day".
        Index(None, "practice_id", "slot_start"),
        Index(None, "slot_start"),
        Index(None, "call_id"),
        # The dispatcher's "what is due now".
        Index(None, "practice_id", "status", "due_at"),
        Index(
            PHONE_IN_PROGRESS_INDEX,
            "practice_id",
            "phone",
            unique=True,
            sqlite_where=text(_IN_PROGRESS),
            postgresql_where=text(_IN_PROGRESS),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"))
    # E.164 or national digits, as given after validation.
    phone: Mapped[str] = mapped_column(String(32))
    number_source: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(
        String(16), default=RequestKind.SLOT, server_default=RequestKind.SLOT.value
    )
    # NULL for kept places: they are called back in queue order, not in a slot.
    slot_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    slot_end: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The order key of the dispatcher: the slot start, the original queue arrival of a kept place, or
    # the retry time after the patient was not reached.
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=_slot_start)
    # When a kept place's caller arrived in the live queue.
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    priority: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    source: Mapped[str] = mapped_column(
        String(16), default=RequestSource.PHONE, server_default=RequestSource.PHONE.value
    )
    reason: Mapped[str | None] = mapped_column(Text)
    # Online intake: who the patient is (name or initials), the triage level and the structured answers.
    patient_name: Mapped[str | None] = mapped_column(String(100))
    urgency: Mapped[str | None] = mapped_column(String(2))
    triage: Mapped[dict[str, Any] | None] = mapped_column(JSONDict)
    # Name or path of the recording; the audio itself is not stored in the database.
    voice_note_ref: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(
        String(16), default=RequestStatus.BOOKED, server_default=RequestStatus.BOOKED.value
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    call_id: Mapped[str | None] = mapped_column(String(128))
    # Why the request ended as it did, for the assistants (e.g. "2x geprobeerd, pt niet bereikbaar").
    outcome_note: Mapped[str | None] = mapped_column(Text)
    # When it reached a final status (done, not_reached, cancelled): retention counts from here.
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CallbackAttempt(Base):
    """One try by an assistant to reach the patient of a callback request."""

    __tablename__ = "callback_attempt"
    __table_args__ = (Index(None, "request_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("callback_request.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(String(32))
    headset: Mapped[str | None] = mapped_column(String(64))
    # Which counted try this is: tries where the patient was never dialled do not count.
    attempt_no: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    headset_channel: Mapped[str | None] = mapped_column(String(128))
    patient_channel: Mapped[str | None] = mapped_column(String(128))
    # Set once the patient picked up: after that the conversation happened and must not be repeated.
    patient_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class QueueEntry(Base):
    """A caller waiting in the live queue for an assistant, kept in the database to survive restarts."""

    __tablename__ = "queue_entry"
    __table_args__ = (
        CheckConstraint(_in("status", QueueStatus), name="status"),
        # The queue order: group rank first, then arrival.
        Index(None, "practice_id", "status", "rank", "arrived_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"))
    call_id: Mapped[str] = mapped_column(String(128), unique=True)
    channel_id: Mapped[str] = mapped_column(String(128))
    # '' when the caller withheld the number.
    phone: Mapped[str] = mapped_column(String(32))
    group: Mapped[str] = mapped_column(String(32))
    # Lower goes first (colleagues before patients).
    rank: Mapped[int] = mapped_column(Integer)
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(
        String(16), default=QueueStatus.WAITING, server_default=QueueStatus.WAITING.value
    )
    announced_wait_seconds: Mapped[int | None] = mapped_column(Integer)
    # Set when the caller kept their place: the callback request that now holds it.
    callback_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("callback_request.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class CallEvent(Base):
    """Something that happened during an incoming call (menu key, offer, booking, hangup, ...)."""

    __tablename__ = "call_event"
    __table_args__ = (
        Index(None, "call_id", "at"),
        Index(None, "practice_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"))
    call_id: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONDict, default=dict)


class SlotCounter(Base):
    """Places taken in one slot of one practice by its active requests: the row that makes booking atomic.

    Ordinary and priority places are counted apart because the room rule (common.room) treats them
    differently. Every booking increments one of them with a conditional UPDATE, which both databases
    serialise per row, so concurrent callers can never push the slot past what the rule allows. A request
    that is cancelled or reaches a final status gives its place back.
    """

    __tablename__ = "slot_counter"
    __table_args__ = (
        CheckConstraint("ordinary >= 0", name="ordinary"),
        CheckConstraint("priority >= 0", name="priority"),
    )

    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), primary_key=True)
    slot_start: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    ordinary: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
