"""The queue's and the callback dial-out's only door to the database (like ivr.callback.desk for offers).

Every database failure comes out as DeskUnavailable, so a caller is never lost to a storage error: the
wait falls back to ringing the headsets directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ivr.practice_db import guarded
from storage import attempts, queue
from storage.models import CallbackAttempt, CallbackRequest, NumberSource, QueueEntry


class QueueStore:
    """Queue entries, kept places and callback attempts of one practice."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], practice_id: Callable[[], Awaitable[int]]
    ) -> None:
        self.sessions = sessions
        self._practice_id = practice_id

    async def join(self, **fields: Any) -> QueueEntry:
        practice_id = await self._practice_id()
        return await guarded(queue.join_queue(self.sessions, practice_id=practice_id, **fields))

    async def set_status(self, entry_id: int, status: str, *, expect: tuple[str, ...] | None = None) -> bool:
        return await guarded(queue.set_queue_status(self.sessions, entry_id, status, expect=expect))

    async def announce_wait(self, entry_id: int, seconds: int) -> int:
        return await guarded(queue.announce_wait(self.sessions, entry_id, seconds))

    async def keep_place(
        self, entry_id: int, *, phone: str, number_source: NumberSource, now: dt.datetime
    ) -> CallbackRequest | None:
        return await guarded(
            queue.keep_place(self.sessions, entry_id, phone=phone, number_source=number_source, now=now)
        )

    async def entry_by_channel(self, channel_id: str) -> QueueEntry | None:
        practice_id = await self._practice_id()
        return await guarded(queue.entry_by_channel(self.sessions, practice_id, channel_id))

    async def due_callbacks(self, now: dt.datetime) -> list[CallbackRequest]:
        practice_id = await self._practice_id()
        return await guarded(attempts.due_callbacks(self.sessions, practice_id, now))

    async def claim(self, request_id: int, *, headset: str, now: dt.datetime) -> CallbackAttempt | None:
        return await guarded(attempts.claim_callback(self.sessions, request_id, headset=headset, now=now))

    async def patient_dialled(self, attempt_id: int, patient_channel: str, headset_channel: str) -> None:
        await guarded(
            attempts.mark_patient_dialled(self.sessions, attempt_id, patient_channel, headset_channel)
        )

    async def patient_answered(self, attempt_id: int, at: dt.datetime) -> None:
        await guarded(attempts.mark_patient_answered(self.sessions, attempt_id, at))

    async def finish(
        self, attempt_id: int, outcome: str, *, now: dt.datetime, retry_after: dt.timedelta, max_attempts: int
    ) -> CallbackRequest:
        return await guarded(
            attempts.finish_attempt(
                self.sessions,
                attempt_id,
                outcome,
                now=now,
                retry_after=retry_after,
                max_attempts=max_attempts,
            )
        )

    async def recover(self, now: dt.datetime) -> list[tuple[int, str]]:
        practice_id = await self._practice_id()
        return await guarded(attempts.recover_in_progress(self.sessions, practice_id, now))
