"""The outbox: messages to patients, written in the same transaction as what they confirm, then sent by a
worker with retries and never twice.

`add_message` runs inside the caller's transaction (the booking's, the attempt's end), so a message exists
exactly when what it tells does. The worker claims due messages with a conditional UPDATE (two workers never
take the same one), hands them to the provider and stores the provider's message id. A message found
"sending" at start-up was cut off mid-send: whether it went out is unknown, so it is marked failed, never
sent again (a patient may not get two texts; the screen shows it).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models_intake import OutboundMessage
from storage.retry import with_retry
from storage.status import MessageChannel, MessageEvent, MessageStatus, parse
from storage.types import require_aware

Sessions = async_sessionmaker[AsyncSession]

_message: Table = OutboundMessage.__table__  # type: ignore[assignment]
ERROR_LENGTH = 255
INTERRUPTED = "onderbroken tijdens verzenden; niet opnieuw verstuurd"


@dataclass(frozen=True)
class MessageDraft:
    """A message to write: what it tells, how, to whom, and its text (never the medical reason)."""

    event: MessageEvent | str
    channel: MessageChannel | str
    phone: str
    body: str


def add_message(
    session: AsyncSession, *, practice_id: int, request_id: int | None, draft: MessageDraft, now: datetime
) -> OutboundMessage:
    """Put the message in the outbox, due now, inside the caller's transaction."""
    require_aware(now=now)
    message = OutboundMessage(
        practice_id=practice_id,
        request_id=request_id,
        event=parse(MessageEvent, draft.event, "event"),
        channel=parse(MessageChannel, draft.channel, "channel"),
        phone=draft.phone,
        body=draft.body,
        status=MessageStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(message)
    return message


async def claim_due(sessions: Sessions, now: datetime, *, limit: int = 20) -> list[OutboundMessage]:
    """Take up to `limit` due messages for sending: each is "sending" and counted as a try once returned."""
    require_aware(now=now)

    async def transaction() -> list[OutboundMessage]:
        async with sessions() as session, session.begin():
            due = list(
                await session.scalars(
                    select(OutboundMessage.id)
                    .where(
                        OutboundMessage.status == MessageStatus.PENDING,
                        OutboundMessage.next_attempt_at <= now,
                    )
                    .order_by(OutboundMessage.next_attempt_at, OutboundMessage.id)
                    .limit(limit)
                )
            )
            taken: list[int] = []
            for message_id in due:
                # Conditional: of two workers only one moves a message from pending to sending.
                claimed = await session.scalar(
                    update(_message)
                    .where(_message.c.id == message_id, _message.c.status == MessageStatus.PENDING)
                    .values(status=MessageStatus.SENDING, attempts=_message.c.attempts + 1, updated_at=now)
                    .returning(_message.c.id)
                )
                if claimed is not None:
                    taken.append(claimed)
            if not taken:
                return []
            rows = await session.scalars(
                select(OutboundMessage).where(OutboundMessage.id.in_(taken)).order_by(OutboundMessage.id)
            )
            return list(rows)

    return await with_retry(transaction, what="claim_due_messages")


async def mark_sent(
    sessions: Sessions, message_id: int, *, provider: str, provider_message_id: str, now: datetime
) -> None:
    """The provider accepted the message: keep its id (the proof it went out) and never send it again."""
    await _set(
        sessions,
        message_id,
        status=MessageStatus.SENT,
        provider=provider,
        provider_message_id=provider_message_id,
        sent_at=now,
        last_error=None,
        updated_at=now,
    )


async def mark_retry(
    sessions: Sessions, message_id: int, *, error: str, next_attempt_at: datetime, now: datetime
) -> None:
    """Sending failed in a way that may pass (provider down, timeout): pending again from then on."""
    require_aware(next_attempt_at=next_attempt_at)
    await _set(
        sessions,
        message_id,
        status=MessageStatus.PENDING,
        next_attempt_at=next_attempt_at,
        last_error=error[:ERROR_LENGTH],
        updated_at=now,
    )


async def mark_failed(sessions: Sessions, message_id: int, *, error: str, now: datetime) -> None:
    """Given up: a permanent refusal, or too many tries. The screen shows it; nothing sends it again."""
    await _set(
        sessions, message_id, status=MessageStatus.FAILED, last_error=error[:ERROR_LENGTH], updated_at=now
    )


async def fail_interrupted(sessions: Sessions, now: datetime) -> int:
    """At start-up: messages left "sending" by a process that died mid-send are failed, not resent."""

    async def transaction() -> int:
        async with sessions() as session, session.begin():
            result = await session.execute(
                update(_message)
                .where(_message.c.status == MessageStatus.SENDING)
                .values(status=MessageStatus.FAILED, last_error=INTERRUPTED, updated_at=now)
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    return await with_retry(transaction, what="fail_interrupted_messages")


async def messages_of(sessions: Sessions, request_ids: Collection[int]) -> dict[int, list[OutboundMessage]]:
    """The messages of these requests, oldest first, for the screen."""
    if not request_ids:
        return {}
    async with sessions() as session:
        rows = await session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.request_id.in_(list(request_ids)))
            .order_by(OutboundMessage.id)
        )
        found: dict[int, list[OutboundMessage]] = {}
        for row in rows:
            if row.request_id is not None:
                found.setdefault(row.request_id, []).append(row)
        return found


async def _set(sessions: Sessions, message_id: int, **values: object) -> None:
    async def transaction() -> None:
        async with sessions() as session, session.begin():
            await session.execute(update(_message).where(_message.c.id == message_id).values(**values))

    await with_retry(transaction, what="update_message")


async def mark_delivery(
    sessions: Sessions, provider_message_id: str, *, delivered: bool, error: str | None, now: datetime
) -> bool:
    """The provider's report on a sent message: delivered, or not (then failed with its reason).

    Only a message that went out is changed, found by the provider's own id; False if there is none.
    """
    status = MessageStatus.DELIVERED if delivered else MessageStatus.FAILED

    async def transaction() -> bool:
        async with sessions() as session, session.begin():
            changed = await session.scalar(
                update(_message)
                .where(
                    _message.c.provider_message_id == provider_message_id,
                    _message.c.status.in_((MessageStatus.SENT, MessageStatus.DELIVERED)),
                )
                .values(status=status, last_error=(error or None) and error[:ERROR_LENGTH], updated_at=now)
                .returning(_message.c.id)
            )
            return changed is not None

    return await with_retry(transaction, what="mark_delivery")
