"""The callbacks due now, read by a task of their own so that live dispatch never waits on a query.

A hung database then delays callbacks only: the dispatcher keeps connecting live callers with what it
has, and once the list is older than `stale_after` it hands out no callbacks at all rather than stale ones.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable

import structlog

from ivr import log_events as ev
from ivr.db.door import StoreUnavailable
from ivr.timing import now as loop_now
from storage.models import CallbackRequest

log = structlog.get_logger(__name__)

ReadDue = Callable[[dt.datetime], Awaitable[list[CallbackRequest]]]


class DueCallbacks:
    """The last list of due callbacks, refreshed every `every` seconds."""

    def __init__(
        self,
        read: ReadDue,
        clock: Callable[[], dt.datetime],
        *,
        on_change: Callable[[], None] = lambda: None,
        every: float = 1.0,
        stale_after: float = 10.0,
    ) -> None:
        self._read = read
        self._clock = clock
        self._on_change = on_change
        self._every = every
        self._stale_after = stale_after
        self.last: list[CallbackRequest] = []
        self._read_at: float | None = None
        self._stale_logged = False

    def fresh(self) -> list[CallbackRequest]:
        """The last list if it is recent enough to act on, else nothing."""
        if self._read_at is None or loop_now() - self._read_at > self._stale_after:
            if not self._stale_logged and self._read_at is not None:
                log.warning(ev.DUE_CALLBACKS_STALE, age=round(loop_now() - self._read_at, 1))
                self._stale_logged = True
            return []
        return list(self.last)

    def forget(self, request_id: int) -> None:
        """Leave out a request just called, until the next read says whether it is due again."""
        self.last = [r for r in self.last if r.id != request_id]

    async def refresh(self) -> None:
        """Read the list once; a failed read keeps the old list (and its age)."""
        try:
            due = await self._read(self._clock())
        except StoreUnavailable as exc:
            log.debug("due_callbacks_unavailable", error=str(exc))
            return
        changed = [r.id for r in due] != [r.id for r in self.last]
        self.last, self._read_at, self._stale_logged = due, loop_now(), False
        if changed:
            self._on_change()

    async def run(self) -> None:
        while True:
            await self.refresh()
            await asyncio.sleep(self._every)
