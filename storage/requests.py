"""One callback request: reading it whole, and changes to it after it was booked."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import CallbackRequest
from storage.retry import with_retry
from storage.types import utcnow


async def attach_voice_note(sessions: async_sessionmaker[AsyncSession], request_id: int, ref: str) -> bool:
    """Store the name of the caller's recorded question with the request; False if there is none."""

    async def transaction() -> bool:
        async with sessions() as session, session.begin():
            result = await session.execute(
                update(CallbackRequest)
                .where(CallbackRequest.id == request_id)
                .values(voice_note_ref=ref, updated_at=utcnow())
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    return await with_retry(transaction, what="attach_voice_note")


async def callback_request(
    sessions: async_sessionmaker[AsyncSession], practice_id: int, request_id: int
) -> CallbackRequest | None:
    """The request with this id if it belongs to this practice, detached from its session."""
    async with sessions() as session:
        return await session.scalar(
            select(CallbackRequest).where(
                CallbackRequest.id == request_id, CallbackRequest.practice_id == practice_id
            )
        )
