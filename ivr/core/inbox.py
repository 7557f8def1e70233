"""A call's events in arrival order: put without waiting, take with a deadline, look ahead without taking.

Not an asyncio.Queue: a call must be able to see that its hang-up is already waiting behind the event it
just read (Asterisk sends PlaybackFinished before StasisEnd when a caller hangs up during a prompt), and on
Python 3.11 `wait_for(queue.get())` can swallow a cancellation that arrives with an event (gh-86296), which
kept a stopping controller waiting for a call that never ended.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any

from ivr.timing import left

Event = dict[str, Any]


class Inbox:
    """Events of one call."""

    def __init__(self) -> None:
        self._events: deque[Event] = deque()
        self._arrived = asyncio.Event()

    def put(self, event: Event) -> None:
        self._events.append(event)
        self._arrived.set()

    def __len__(self) -> int:
        return len(self._events)

    def any(self, wanted: Callable[[Event], bool]) -> bool:
        """Whether an event not read yet matches, without taking it."""
        return any(wanted(event) for event in self._events)

    def drop(self, unwanted: Callable[[Event], bool]) -> None:
        """Forget the events not read yet that match; the others keep their order."""
        self._events = deque(event for event in self._events if not unwanted(event))

    async def take(self, deadline: float | None, *, until: asyncio.Future[Any] | None = None) -> Event | None:
        """The next event; None at the deadline (loop time) or once `until` is done."""
        while not self._events:
            if until is not None and until.done():
                return None
            self._arrived.clear()
            waiters: set[asyncio.Future[Any]] = {asyncio.ensure_future(self._arrived.wait())}
            if until is not None:
                waiters.add(until)
            try:
                done, _ = await asyncio.wait(
                    waiters, timeout=left(deadline), return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                for waiter in waiters:
                    if waiter is not until:
                        waiter.cancel()
            if not done:
                return None
        return self._events.popleft()
