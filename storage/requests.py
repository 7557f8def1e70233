"""Changes to one callback request after it was booked."""

from __future__ import annotations

from sqlalchemy import update
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
