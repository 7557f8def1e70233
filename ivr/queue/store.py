"""The live queue's door to the database: entries, announced waits, kept places.

Every database failure comes out as `StoreUnavailable` (ivr.db.door) within a deadline, so a caller is
never lost to a storage error: the wait falls back to ringing the headsets directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from ivr.db.door import Database
from ivr.db.practice import PracticeRegistry
from storage import queue
from storage.models import CallbackRequest, NumberSource, QueueEntry


class QueueStore:
    """Queue entries and kept places of one practice."""

    def __init__(self, db: Database, practice: PracticeRegistry) -> None:
        self.db = db
        self.practice = practice

    async def join(
        self, *, call_id: str, channel_id: str, phone: str, group: str, rank: int, arrived_at: dt.datetime
    ) -> QueueEntry:
        return await self.db.run(
            queue.join_queue,
            practice_id=await self.practice.id(),
            call_id=call_id,
            channel_id=channel_id,
            phone=phone,
            group=group,
            rank=rank,
            arrived_at=arrived_at,
        )

    async def set_status(self, entry_id: int, status: str, *, expect: Collection[str] | None = None) -> bool:
        return await self.db.run(queue.set_queue_status, entry_id, status, expect=expect)

    async def announce_wait(self, entry_id: int, seconds: int) -> int:
        return await self.db.run(queue.announce_wait, entry_id, seconds)

    async def keep_place(
        self, entry_id: int, *, phone: str, number_source: NumberSource, now: dt.datetime
    ) -> CallbackRequest | None:
        return await self.db.run(
            queue.keep_place, entry_id, phone=phone, number_source=number_source, now=now
        )

    async def entry_by_channel(self, channel_id: str) -> QueueEntry | None:
        return await self.db.run(queue.entry_by_channel, await self.practice.id(), channel_id)

    async def close_stale(self, live_channel_ids: set[str], listed_at: dt.datetime) -> int:
        """Entries still waiting whose caller is not in the app any more are closed as abandoned.

        Only entries that arrived before `listed_at` (taken before the channels were listed), so a caller
        who joined while the list was read is never closed.
        """
        return await self.db.run(
            queue.close_stale_entries, await self.practice.id(), live_channel_ids, listed_at
        )
