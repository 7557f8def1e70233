"""The queue as reconcile sees it: stored entries of taken-over callers, and stale entries to close."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ivr.queue.dispatcher import Dispatcher
from ivr.queue.holding import HOLDING_BRIDGE
from ivr.queue.store import QueueStore
from storage.models import QueueEntry


@dataclass(frozen=True)
class WaitingCallers:
    """Implements ivr.core.reconcile.WaitingCallers for the live queue."""

    store: QueueStore
    dispatcher: Dispatcher
    holding_bridge: str = HOLDING_BRIDGE

    async def entry_by_channel(self, channel_id: str) -> QueueEntry | None:
        return await self.store.entry_by_channel(channel_id)

    async def close_stale(self, live_channel_ids: set[str], listed_at: datetime) -> int:
        return await self.store.close_stale(live_channel_ids, listed_at)

    def expect(self, entry_ids: set[int]) -> None:
        self.dispatcher.expect(entry_ids)
