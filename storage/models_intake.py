"""Models of the online intake and the messages to patients: API tokens, idempotency records, the outbox.

On the same ``Base`` (and so the same metadata and migrations) as storage.models. Any change here needs a
new Alembic revision in ``storage/migrations/versions``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, _in
from storage.status import MessageChannel, MessageEvent, MessageStatus
from storage.types import JSONDict, UTCDateTime

__all__ = ["ApiToken", "IdempotencyRecord", "OutboundMessage"]

# The SHA-256 hex digest of a token: the only form in which an API token is stored.
TOKEN_HASH_LENGTH = 64
IDEMPOTENCY_KEY_LENGTH = 128


class ApiToken(Base):
    """A client of the intake API (a triage form, a portal): one practice, the operations it may do."""

    __tablename__ = "api_token"
    __table_args__ = (Index(None, "practice_id", "revoked_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"))
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(TOKEN_HASH_LENGTH), unique=True)
    # The first characters of the token, shown to the admin to tell tokens apart; not enough to use it.
    prefix: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[dict[str, Any]] = mapped_column(JSONDict, default=dict)  # {"scopes": [...]}
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class IdempotencyRecord(Base):
    """The answer given to a client's request with an Idempotency-Key: a retry gets the same answer."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("token_id", "key"), Index(None, "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_token.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(IDEMPOTENCY_KEY_LENGTH))
    # SHA-256 of the method, path and body: the same key with another request is refused, not replayed.
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSONDict, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OutboundMessage(Base):
    """A message to a patient, written in the same transaction as what it confirms (the outbox)."""

    __tablename__ = "outbound_message"
    __table_args__ = (
        CheckConstraint(_in("status", MessageStatus), name="status"),
        CheckConstraint(_in("event", MessageEvent), name="event"),
        CheckConstraint(_in("channel", MessageChannel), name="channel"),
        CheckConstraint("attempts >= 0", name="attempts"),
        # The worker's "what is due now".
        Index(None, "status", "next_attempt_at"),
        Index(None, "request_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    practice_id: Mapped[int] = mapped_column(ForeignKey("practice.id"))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("callback_request.id", ondelete="SET NULL"))
    event: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    phone: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    provider: Mapped[str | None] = mapped_column(String(32))
    # The provider's id of the sent message: kept so it is never sent twice and delivery can be matched.
    provider_message_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    last_error: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
