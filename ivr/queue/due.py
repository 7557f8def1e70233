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
        ready: asyncio.Event | None = None,
    ) -> None:
        self._read = read
        # Set once the attempts a previous controller left open are closed: until then no callback is
        # given out, or the recovery could close an attempt this controller has just started.
        self.ready = ready or asyncio.Event()
        self._clock = clock
        self._on_change = on_change
        self._every = every
        self._stale_after = stale_after
        self.last: list[CallbackRequest] = []
        # Places kept since the last read: due whatever the age of the list (the keep was just stored).
        self._added: dict[int, CallbackRequest] = {}
        self._read_at: float | None = None
        self._stale_logged = False

    def fresh(self) -> list[CallbackRequest]:
        """The last list if it is recent enough to act on, else only the places kept since."""
        if self._read_at is None or loop_now() - self._read_at > self._stale_after:
            if not self._stale_logged and self._read_at is not None:
                log.warning(ev.DUE_CALLBACKS_STALE, age=round(loop_now() - self._read_at, 1))
                self._stale_logged = True
            return sorted(self._added.values(), key=lambda r: (r.due_at, r.id))
        return list(self.last)

    def add(self, request: CallbackRequest) -> None:
        """A place kept a moment ago: due at once, in its caller's arrival order, before the next read."""
        self._added[request.id] = request
        if all(r.id != request.id for r in self.last):
            self.last = sorted([*self.last, request], key=lambda r: (r.due_at, r.id))
        self._on_change()

    def forget(self, request_id: int) -> None:
        """Leave out a request just called, until the next read says whether it is due again."""
        self.last = [r for r in self.last if r.id != request_id]
        self._added.pop(request_id, None)

    async def refresh(self) -> None:
        """Read the list once; a failed read keeps the old list (and its age)."""
        try:
            due = await self._read(self._clock())
        except StoreUnavailable as exc:
            log.debug("due_callbacks_unavailable", error=str(exc))
            return
        changed = [r.id for r in due] != [r.id for r in self.last]
        self.last, self._read_at, self._stale_logged = due, loop_now(), False
        self._added.clear()  # the database's list is the truth again
        if changed:
            self._on_change()

    async def run(self) -> None:
        await self.ready.wait()
        while True:
            await self.refresh()
            await asyncio.sleep(self._every)
