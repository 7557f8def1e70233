"""One dispatcher for the assistants: a free headset gets the next work in the practice's order.

A headset is free when it is registered (ARI endpoint state), has no channel up (not in a call, not
ringing: spoed rings past the dispatcher and so makes a headset busy by itself), is on duty for the
kind of work, and has not just let a call ring out. Each free headset gets at most one piece of work,
so there are never more outbound callbacks at once than free assistants.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import structlog

from dialplan.schema import PracticeConfig
from ivr.ari import AriClient, AriError, AriUnavailable
from ivr.practice_db import DeskUnavailable
from ivr.queue.order import DueCallback, LiveCaller, next_work
from ivr.queue.store import QueueStore
from storage.models import CallbackRequest

log = structlog.get_logger(__name__)

ASSIGNED = "TerugbelQueueAssigned"  # the synthetic event a waiting call receives with its headset
# A headset that let a call ring out is skipped this long: she is probably away from the desk.
RING_OUT_PAUSE_SECONDS = 30.0
POLL_SECONDS = 1.0


@dataclass
class Member:
    """A caller waiting on the line, as the dispatcher sees them."""

    entry_id: int
    rank: int
    arrived_at: dt.datetime
    deliver: Callable[[dict[str, Any]], None]
    headset: str | None = None  # set while a headset is being rung for this caller
    paused: bool = False  # busy keeping the place (typing a number): not to be connected meanwhile


@dataclass
class _State:
    members: dict[int, Member] = field(default_factory=dict)
    reserved: dict[str, str] = field(default_factory=dict)  # headset -> what it was given
    paused_until: dict[str, float] = field(default_factory=dict)
    dialling: dict[int, str] = field(default_factory=dict)  # request id -> phone, while being called
    kept_ahead: list[CallbackRequest] = field(default_factory=list)  # due work seen at the last round
    # Callers being taken over after a restart: nobody is connected until they are all back in line
    # (or the deadline passes), so a later arrival can never go first.
    expected: set[int] = field(default_factory=set)
    expected_until: float = 0.0


# Rings the headset, then the patient; returns whether the assistant answered.
DialOut = Callable[[str, CallbackRequest], Awaitable[bool]]


class Dispatcher:
    """Hands work to free headsets; live callers through their call task, callbacks through `dial_out`."""

    def __init__(
        self,
        ari: AriClient,
        store: QueueStore,
        config: Callable[[], PracticeConfig],
        *,
        clock: Callable[[], dt.datetime],
        spawn: Callable[[Any, str], None],
        dial_out: DialOut,
    ) -> None:
        self.ari = ari
        self.store = store
        self.config = config
        self.clock = clock
        self.spawn = spawn
        self.dial_out = dial_out
        self.state = _State()
        self._wake = asyncio.Event()

    # ---- what the call tasks tell the dispatcher --------------------------------------------------------

    def add(self, member: Member) -> None:
        self.state.members[member.entry_id] = member
        self.state.expected.discard(member.entry_id)
        self.wake()

    def expect(self, entry_ids: set[int], *, seconds: float = 5.0) -> None:
        """Hold dispatching until these queue entries (callers taken over after a restart) are back."""
        self.state.expected |= entry_ids
        self.state.expected_until = time.monotonic() + seconds

    def remove(self, entry_id: int) -> None:
        member = self.state.members.pop(entry_id, None)
        # A headset assigned just as the caller left (hung up, spoed) must not stay reserved.
        if member and member.headset and self.state.reserved.get(member.headset) == f"live:{entry_id}":
            self.state.reserved.pop(member.headset, None)
        self.wake()

    def release(self, headset: str, *, answered: bool) -> None:
        """The work given to `headset` is over; a headset that did not answer pauses for a while."""
        self.state.reserved.pop(headset, None)
        if not answered:
            self.state.paused_until[headset] = time.monotonic() + RING_OUT_PAUSE_SECONDS
        self.wake()

    def wake(self) -> None:
        self._wake.set()

    def ahead_of(self, entry_id: int) -> int:
        """How many callers and kept places go before this caller (for the position announcement)."""
        me = self.state.members.get(entry_id)
        if me is None:
            return 0
        key = (me.rank, me.arrived_at)
        live = sum(1 for m in self.state.members.values() if (m.rank, m.arrived_at) < key)
        kept = sum(1 for r in self.state.kept_ahead if r.due_at <= me.arrived_at)
        return live + kept

    def live_headsets(self) -> int:
        """Headsets on duty for live callers (for the expected wait)."""
        return sum(1 for h in self.config().headsets.values() if "live" in h.duties)

    # ---- the loop ---------------------------------------------------------------------------------------

    async def run(self) -> None:
        """Dispatch whenever something changes, and every second (headsets come free by themselves)."""
        while True:
            self._wake.clear()
            try:
                await self.dispatch_once()
            except Exception:
                # A bug in one round must not stop the practice's queue.
                log.exception("dispatch_failed")
            try:
                await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)
            except TimeoutError:
                pass

    async def dispatch_once(self) -> None:
        if self.state.expected and time.monotonic() < self.state.expected_until:
            return
        self.state.expected.clear()
        free = await self._free_headsets()
        now = self.clock()
        try:
            due = await self.store.due_callbacks(now)
        except DeskUnavailable:
            due = []
        self.state.kept_ahead = due
        if not free:
            return
        headsets = self.config().headsets
        for name in free:
            live = [
                LiveCaller(m.entry_id, m.rank, m.arrived_at)
                for m in self.state.members.values()
                if m.headset is None and not m.paused
            ]
            callbacks = [DueCallback(r.id, r.due_at, r.phone) for r in due if r.id not in self.state.dialling]
            work = next_work(
                now, headsets[name].duties, live, callbacks, busy_numbers=set(self.state.dialling.values())
            )
            if work is None:
                continue
            if isinstance(work, LiveCaller):
                member = self.state.members[work.entry_id]
                member.headset = name
                self.state.reserved[name] = f"live:{work.entry_id}"
                log.info("dispatch_live", headset=name, entry_id=work.entry_id)
                member.deliver({"type": ASSIGNED, "headset": name})
            else:
                request = next(r for r in due if r.id == work.request_id)
                self.state.reserved[name] = f"callback:{request.id}"
                self.state.dialling[request.id] = request.phone
                log.info("dispatch_callback", headset=name, request_id=request.id, kind=request.kind)
                self.spawn(self._dial(name, request), f"dialout-{request.id}")

    async def _dial(self, headset: str, request: CallbackRequest) -> None:
        answered = False
        try:
            answered = await self.dial_out(headset, request)
        finally:
            self.state.dialling.pop(request.id, None)
            self.release(headset, answered=answered)

    async def _free_headsets(self) -> list[str]:
        free = []
        now = time.monotonic()
        for name in self.config().headsets:
            if name in self.state.reserved or self.state.paused_until.get(name, 0) > now:
                continue
            try:
                endpoint = await self.ari.endpoint("PJSIP", name)
            except (AriError, AriUnavailable):
                continue
            if endpoint.get("state") == "online" and not endpoint.get("channel_ids"):
                free.append(name)
        return free
