"""The call trace: every step the reports need, recorded without ever making a call wait for the database.

`record` only stamps the time and appends to a bounded buffer in memory; one background task writes the
buffer in batches through the database door (with its deadline per step). With the database away or
hung the buffer keeps the newest `capacity` events and drops the oldest, counted in one warning when the
writing works again (or at the stop). Spoed and every other flow go on exactly as without a trace.

A write whose step timed out may still commit later (the door never cuts a transaction), so the batch is
written again only after the door's running steps have ended or a long wait has passed, and then with
`skip_existing`: an event is stored once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections import deque
from collections.abc import Callable
from typing import Any

import structlog

from ivr.db.door import Database, StoreUnavailable
from ivr.db.practice import PracticeRegistry
from storage.call_events import EventKind, NewCallEvent, record_call_events

log = structlog.get_logger(__name__)

DEFAULT_CAPACITY = 20_000  # about a busy week of a practice's events; a few MB of memory
BATCH_SIZE = 200
RETRY_SECONDS = 5.0
# How long a write that timed out may still be running before it is taken as failed.
DOUBTFUL_WAIT_SECONDS = 60.0
STOP_SECONDS = 3.0


class CallTrace:
    """The practice's call events on their way to `call_event`; owned by the composition root."""

    def __init__(
        self,
        db: Database,
        practice: PracticeRegistry,
        clock: Callable[[], dt.datetime],
        *,
        capacity: int = DEFAULT_CAPACITY,
        batch_size: int = BATCH_SIZE,
        retry_seconds: float = RETRY_SECONDS,
        doubtful_wait_seconds: float = DOUBTFUL_WAIT_SECONDS,
    ) -> None:
        self.db = db
        self.practice = practice
        self.clock = clock
        self.capacity = capacity
        self.batch_size = batch_size
        self.retry_seconds = retry_seconds
        self.doubtful_wait_seconds = doubtful_wait_seconds
        self._pending: deque[NewCallEvent] = deque()
        self._in_flight: list[NewCallEvent] = []
        self._dropped = 0
        self._failing = False
        self._doubtful = False  # the last write may have committed after all
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._changed = asyncio.Condition()

    # ---- what the flows call ----------------------------------------------------------------------------

    def record(self, call_id: str, kind: EventKind, **detail: Any) -> dt.datetime:
        """Note an event of `call_id` now; returns the time stamped. Never waits and never raises."""
        at = self.clock()
        try:
            event = NewCallEvent(call_id, str(kind), at, _as_json(detail))
            if len(self._pending) >= self.capacity:
                self._pending.popleft()
                self._dropped += 1
            self._pending.append(event)
            self._wake.set()
        except Exception:  # a trace must never end a call
            log.exception("call_event_not_recorded", kind=str(kind))
        return at

    def seconds_since(self, moment: dt.datetime) -> float:
        """Seconds from `moment` (a time `record` returned) to now, on the trace's own clock."""
        return round((self.clock() - moment).total_seconds(), 3)

    @property
    def buffered(self) -> int:
        """Events recorded and not written yet."""
        return len(self._pending) + len(self._in_flight)

    @property
    def writing_fails(self) -> bool:
        """The last write failed (the database is away or hung); the writer is waiting to try again."""
        return self._failing

    @property
    def dropped(self) -> int:
        """Events dropped since the last time writing worked (the buffer was full)."""
        return self._dropped

    # ---- the writer ---------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start writing in the background (once the database door opens)."""
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._run(), name="call-trace")

    async def stop(self, seconds: float = STOP_SECONDS) -> None:
        """Write what is still buffered, for at most `seconds`, then end the writer."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._wake.set()
        if not self.db.is_open:
            seconds = 0  # nothing can be written: do not hold up the stop
        try:
            async with asyncio.timeout(seconds):
                await asyncio.shield(task)
        except TimeoutError:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self._report_drops()
        if self.buffered:
            log.warning("call_events_lost_at_stop", events=self.buffered)

    async def flush(self, seconds: float = 10.0) -> bool:
        """Wait until everything recorded is written (True), for at most `seconds` (then False)."""
        if self._task is None or not self.db.is_open:
            return self.buffered == 0
        self._wake.set()
        try:
            async with asyncio.timeout(seconds), self._changed:
                await self._changed.wait_for(lambda: self.buffered == 0)
        except TimeoutError:
            return False
        return True

    async def _run(self) -> None:
        await self.db.opened.wait()
        while True:
            if not self._pending:
                if self._stopping:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            batch = [self._pending.popleft() for _ in range(min(len(self._pending), self.batch_size))]
            self._in_flight = batch
            timed_out = await self._write(batch)
            self._in_flight = []
            if timed_out is None:
                await self._notify()
                continue
            self._put_back(batch)
            await self._notify()
            if self._stopping:
                return  # no retries at a stop: the deadline is short
            await self._pause(self.retry_seconds)
            if timed_out:
                await self.db.drain(self.doubtful_wait_seconds)

    async def _pause(self, seconds: float) -> None:
        """Wait before trying again; a stop ends the pause, so what is buffered gets its last chance."""
        try:
            async with asyncio.timeout(seconds):
                while not self._stopping:
                    self._wake.clear()
                    await self._wake.wait()
        except TimeoutError:
            pass

    async def _write(self, batch: list[NewCallEvent]) -> bool | None:
        """None when written; otherwise whether the step timed out (it may still be running)."""
        try:
            practice_id = await self.practice.id()
            await self.db.run(record_call_events, practice_id, batch, skip_existing=self._doubtful)
        except StoreUnavailable as exc:
            # Any failure after the step started may have come at the commit: the next write checks.
            self._doubtful = self._doubtful or self.db.is_open
            if not self._failing:
                self._failing = True
                log.warning("call_events_waiting", error=str(exc), buffered=self.buffered)
            return isinstance(exc.__cause__, TimeoutError)
        except Exception:
            # A batch the database can never take (a bug) must not hold up every event after it.
            log.exception("call_events_discarded", events=len(batch))
            return None
        self._doubtful = False
        if self._failing:
            self._failing = False
            log.info("call_events_writing_again", buffered=self.buffered)
        self._report_drops()
        return None

    def _put_back(self, batch: list[NewCallEvent]) -> None:
        self._pending.extendleft(reversed(batch))
        while len(self._pending) > self.capacity:
            self._pending.popleft()
            self._dropped += 1

    def _report_drops(self) -> None:
        if self._dropped:
            log.warning("call_events_dropped", dropped=self._dropped, capacity=self.capacity)
            self._dropped = 0

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()


def _as_json(detail: dict[str, Any]) -> dict[str, Any]:
    # Exactly what the database will give back (times as ISO text), so nothing can fail at the write.
    loaded: dict[str, Any] = json.loads(json.dumps(detail, default=_plain))
    return loaded


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)
