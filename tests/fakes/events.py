"""The event stream of the fast tests: FakeAri pushes events itself; this only runs the connect hook."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class FakeEventStream:
    """Stands in for ivr.ari.EventStream: `connected` runs the reconcile hook, as every (re)connect does."""

    def __init__(self, on_connected: Callable[[], Awaitable[None]]) -> None:
        self._on_connected = on_connected
        self.connections = 0

    async def connected(self) -> None:
        """A (re)connect: the hook runs to completion."""
        self.connections += 1
        await self._on_connected()

    async def run(self) -> None:
        await self.connected()
        await asyncio.Event().wait()  # until cancelled
