"""Change notices from the call flows to whoever shows them (the screen's event stream).

Publishing never waits and never fails: a flow says what changed ("callbacks", "queue", "headsets",
"spoed") and goes on. Each subscriber has a small set of topics pending; a slow subscriber (a browser on a
bad network) only ever has each topic once, so nothing piles up in the controller.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

TOPICS = frozenset({"callbacks", "queue", "headsets", "spoed"})


class Subscription:
    """The topics changed since this subscriber last looked."""

    def __init__(self) -> None:
        self._pending: set[str] = set()
        self._changed = asyncio.Event()

    def _notice(self, topic: str) -> None:
        self._pending.add(topic)
        self._changed.set()

    async def changes(self, within: float | None = None) -> set[str]:
        """Wait for changes (at most `within` seconds); the topics changed, or an empty set."""
        if not self._pending:
            try:
                async with asyncio.timeout(within):
                    await self._changed.wait()
            except TimeoutError:
                return set()
        topics, self._pending = self._pending, set()
        self._changed.clear()
        return topics


class Notifier:
    """Fan-out of change notices to every current subscriber."""

    def __init__(self) -> None:
        self._subscribers: set[Subscription] = set()

    def publish(self, topic: str) -> None:
        if topic not in TOPICS:
            raise ValueError(f"unknown topic {topic!r}")
        for subscriber in self._subscribers:
            subscriber._notice(topic)

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[Subscription]:
        subscription = Subscription()
        self._subscribers.add(subscription)
        try:
            yield subscription
        finally:
            self._subscribers.discard(subscription)

    def __len__(self) -> int:
        return len(self._subscribers)


def no_notice(topic: str) -> None:
    """For wiring where nobody watches."""
