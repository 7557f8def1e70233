"""Database models: practices, callback requests and attempts, call events and slot counters.

Any change here needs a new Alembic revision in ``storage/migrations/versions``; production never
uses ``create_all``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

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
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import JSONDict, UTCDateTime, utcnow

NumberSource = Literal["caller_id", "typed", "online"]
RequestSource = Literal["phone", "online"]
Status = Literal["booked", "in_progress", "done", "not_reached", "cancelled"]

NUMBER_SOURCES: tuple[str, ...] = ("caller_id", "typed", "online")
REQUEST_SOURCES: tuple[str, ...] = ("phone", "online")
STATUSES: tuple[str, ...] = ("booked", "in_progress", "done", "not_reached", "cancelled")
# Statuses that occupy a place in a slot and that the planner still has to work through.
ACTIVE_STATUSES: tuple[str, ...] = ("booked", "in_progress")

# Explicit constraint names, so migrations can refer to them on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class Base(DeclarativeBase):
    """Declarative base carrying the shared metadata."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Practice(Base):
    """A GP practice using the system."""

    __tablename__ = "practice"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    number: Mapped[str] = mapped_column(String(32))


class CallbackRequest(Base):
    """A patient's request to be called back in a slot."""

    __tablename__ = "callback_request"
    __table_args__ = (
        CheckConstraint(_in("number_source", NUMBER_SOURCES), name="number_source"),
        CheckConstraint(_in("source", REQUEST_SOURCES), name="source"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint("slot_end > slot_start", name="slot_order"),
        CheckConstraint("attempts >= 0", name="attempts"),
        # The planner's and the listing's "callbacks of a day".
        Index(None, "practice_id", "slot_start"),
        Index(None, "slot_start"),
        Index(None, "call_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"))
    # E.164 or national digits, as given after validation.
    phone: Mapped[str] = mapped_column(String(32))
    number_source: Mapped[str] = mapped_column(String(16))
    slot_start: Mapped[datetime] = mapped_column(UTCDateTime())
    slot_end: Mapped[datetime] = mapped_column(UTCDateTime())
    priority: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    source: Mapped[str] = mapped_column(String(16), default="phone", server_default="phone")
    reason: Mapped[str | None] = mapped_column(Text)
    # Name or path of the recording; the audio itself is not stored in the database.
    voice_note_ref: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="booked", server_default="booked")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    call_id: Mapped[str | None] = mapped_column(String(128))


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
    """Places taken in one slot of one practice: the row that makes booking atomic.

    Every booking increments it with a conditional UPDATE, which both databases serialise per row, so
    concurrent callers can never push it past the slot's capacity.
    """

    __tablename__ = "slot_counter"
    __table_args__ = (CheckConstraint("booked >= 0", name="booked"),)

    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"), primary_key=True)
    slot_start: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    booked: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
