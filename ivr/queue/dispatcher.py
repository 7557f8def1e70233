"""One dispatcher for the assistants: a free headset gets the next work in the practice's order.

A headset is free when it is registered (ARI endpoint state), has no channel up (not in a call, not
ringing: spoed rings past the dispatcher and so makes a headset busy by itself), is on duty for the
kind of work, and has not just let a call ring out. Each free headset gets at most one piece of work,
so there are never more outbound callbacks at once than free assistants.

Live callers never wait on the database: the due callbacks are read by their own task (`DueCallbacks`)
and a round uses the last list it got; when that list is stale, callbacks simply wait.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog

from dialplan.schema import PracticeConfig
from ivr import log_events as ev
from ivr.ari import AriError, AriUnavailable
from ivr.ari.port import Ari
from ivr.live.notifier import no_notice
from ivr.queue.due import DueCallbacks
from ivr.queue.headsets import HeadsetStates
from ivr.queue.order import PATIENT_RANK, DueCallback, LiveCaller, next_work
from ivr.queue.ticket import Ticket
from ivr.queue.view import DispatcherView, HeadsetView, WaitingView
from ivr.timing import now as loop_now
from storage.models import CallbackRequest
from storage.status import RequestKind

log = structlog.get_logger(__name__)

# A headset that let a call ring out is skipped this long: she is probably away from the desk.
RING_OUT_PAUSE_SECONDS = 30.0
POLL_SECONDS = 1.0
ENDPOINT_DEADLINE_SECONDS = 2.0


class CallNow(enum.StrEnum):
    """What came of "Bel nu"; the screen says it in Dutch."""

    STARTED = "started"
    NOT_DUE = "not_due"
    NUMBER_BUSY = "number_busy"
    HEADSET_BUSY = "headset_busy"
    UNKNOWN_HEADSET = "unknown_headset"


@dataclass(frozen=True)
class EndpointSeen:
    """What the last look at a headset's ARI endpoint showed."""

    online: bool
    in_call: bool


# Rings the headset, then the patient; returns whether the assistant answered.
DialOut = Callable[[str, CallbackRequest], Awaitable[bool]]


class Dispatcher:
    """Hands work to free headsets: live callers through their ticket, callbacks through `dial_out`."""

    def __init__(
        self,
        ari: Ari,
        config: Callable[[], PracticeConfig],
        due: DueCallbacks,
        *,
        clock: Callable[[], dt.datetime],
        spawn: Callable[[Any, str], None],
        dial_out: DialOut,
        states: HeadsetStates | None = None,
        notify: Callable[[str], None] = no_notice,
    ) -> None:
        self.ari = ari
        self.config = config
        self.due = due
        self.clock = clock
        self.spawn = spawn
        self.dial_out = dial_out
        self.states = states or HeadsetStates()
        self.notify = notify
        self._endpoints: dict[str, EndpointSeen] = {}
        self._tickets: dict[int, Ticket] = {}
        self._paused_tickets: set[int] = set()
        self._reserved: dict[str, str] = {}  # headset -> what it was given
        self._paused_until: dict[str, float] = {}
        self._dialling: dict[int, tuple[str, str]] = {}  # request id -> (phone, headset), while being called
        # Callers being taken over after a restart: nobody is connected until they are all back in line
        # (or the deadline passes), so a later arrival can never go first.
        self._expected: set[int] = set()
        self._expected_until = 0.0
        self._wake = asyncio.Event()

    # ---- tickets: what the waiting calls ask -----------------------------------------------------------

    def join(self, entry_id: int, rank: int, arrived_at: dt.datetime) -> Ticket:
        """Put a caller in line; the ticket's `assignment` resolves to the headset she gets."""
        ticket = Ticket(entry_id, rank, arrived_at)
        self._tickets[entry_id] = ticket
        self._expected.discard(entry_id)
        self.wake()
        self.notify("queue")
        return ticket

    def keep(self, ticket: Ticket, request: CallbackRequest) -> None:
        """The caller hung up keeping the place: from now on she is the callback `request`, same place."""
        self.due.add(request)
        self.leave(ticket)

    def leave(self, ticket: Ticket) -> None:
        """The caller left the line (hung up, spoed, kept the place, connected)."""
        self._tickets.pop(ticket.entry_id, None)
        self._paused_tickets.discard(ticket.entry_id)
        headset = ticket.headset
        # A headset assigned just as the caller left must not stay reserved.
        if headset and self._reserved.get(headset) == _live(ticket.entry_id):
            self._reserved.pop(headset, None)
        ticket._close()
        self.wake()
        self.notify("queue")

    def pause(self, ticket: Ticket) -> bool:
        """Hold the caller back while she types a number; False if a headset was assigned already."""
        if ticket.headset is not None:
            return False
        self._paused_tickets.add(ticket.entry_id)
        return True

    def resume(self, ticket: Ticket) -> None:
        """The caller is back to waiting normally."""
        self._paused_tickets.discard(ticket.entry_id)
        self.wake()

    def requeue(self, ticket: Ticket) -> None:
        """The assigned headset did not answer: the caller is back in her place, the headset pauses."""
        headset = ticket.headset
        if headset is not None:
            self.release(headset, answered=False)
        ticket._renew()
        self.wake()

    def release(self, headset: str, *, answered: bool) -> None:
        """The work given to `headset` is over; a headset that did not answer pauses for a while."""
        self._reserved.pop(headset, None)
        if not answered:
            self._paused_until[headset] = loop_now() + RING_OUT_PAUSE_SECONDS
        self.wake()
        self.notify("headsets")

    def expect(self, entry_ids: set[int], *, seconds: float = 5.0) -> None:
        """Hold dispatching until these queue entries (callers taken over after a restart) are back."""
        self._expected |= entry_ids
        self._expected_until = loop_now() + seconds

    def wake(self) -> None:
        self._wake.set()

    # ---- what the announcements say ---------------------------------------------------------------------

    def ahead_of(self, ticket: Ticket) -> int:
        """How many callers and kept places go before this caller (for the position announcement)."""
        key = (ticket.rank, ticket.arrived_at)
        live = sum(1 for t in self._tickets.values() if (t.rank, t.arrived_at) < key)
        # A kept place goes in its caller's place among the patients (rank 1), so a colleague is never
        # told that patients who kept their place are ahead of her.
        kept = sum(
            1 for r in self.due.last if r.kind == RequestKind.KEPT_PLACE and (PATIENT_RANK, r.due_at) <= key
        )
        return live + kept

    def live_headsets(self) -> int:
        """Headsets on duty for live callers (for the expected wait)."""
        headsets = self.config().headsets.items()
        return sum(1 for name, h in headsets if "live" in self.states.duties(name, h.duties))

    def view(self) -> DispatcherView:
        """A snapshot for the screen (nothing in it changes the dispatcher)."""
        order = sorted(self._tickets.values(), key=lambda t: (t.rank, t.arrived_at, t.entry_id))
        waiting = tuple(
            WaitingView(t.entry_id, t.rank, t.arrived_at, position, t.headset)
            for position, t in enumerate(order, start=1)
        )
        moment = loop_now()
        headsets = tuple(
            HeadsetView(
                name=name,
                state=str(self.states.state(name)),
                registered=self._endpoints[name].online if name in self._endpoints else None,
                in_call=self._endpoints[name].in_call if name in self._endpoints else False,
                work=self._reserved.get(name),
                resting_seconds=max(0, round(self._paused_until.get(name, 0) - moment)),
            )
            for name in self.config().headsets
        )
        calling = {request_id: headset for request_id, (_, headset) in self._dialling.items()}
        return DispatcherView(waiting, headsets, calling)

    def dialling(self) -> set[int]:
        """The callback requests being called right now (their attempts are owned by running tasks)."""
        return set(self._dialling)

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
                # Not wait_for: on Python 3.11 it can swallow the cancellation of a stopping controller.
                async with asyncio.timeout(POLL_SECONDS):
                    await self._wake.wait()
            except TimeoutError:
                pass

    async def dispatch_once(self) -> None:
        if self._expected and loop_now() < self._expected_until:
            return
        self._expected.clear()
        free = await self._free_headsets()
        if not free:
            return
        now = self.clock()
        due = self.due.fresh()
        headsets = self.config().headsets
        for name in free:
            live = [
                LiveCaller(t.entry_id, t.rank, t.arrived_at)
                for t in self._tickets.values()
                if t.headset is None and t.entry_id not in self._paused_tickets
            ]
            callbacks = [
                DueCallback(r.id, r.due_at, r.phone, priority=r.priority)
                for r in due
                if r.id not in self._dialling
            ]
            duties = self.states.duties(name, headsets[name].duties)
            work = next_work(now, duties, live, callbacks, busy_numbers=self._busy_numbers())
            if work is None:
                continue
            if isinstance(work, LiveCaller):
                ticket = self._tickets[work.entry_id]
                self._reserved[name] = _live(work.entry_id)
                log.info(ev.DISPATCH_LIVE, headset=name, entry_id=work.entry_id)
                ticket._assign(name)
                self.notify("queue")
            else:
                request = next(r for r in due if r.id == work.request_id)
                self._start_callback(name, request)
                log.info(ev.DISPATCH_CALLBACK, headset=name, request_id=request.id, kind=request.kind)

    def _busy_numbers(self) -> set[str]:
        return {phone for phone, _ in self._dialling.values()}

    def _start_callback(self, headset: str, request: CallbackRequest) -> None:
        self._reserved[headset] = f"callback:{request.id}"
        self._dialling[request.id] = (request.phone, headset)
        self.spawn(self._dial(headset, request), f"dialout-{request.id}")
        self.notify("callbacks")
        self.notify("headsets")

    async def call_now(self, request: CallbackRequest, headset: str) -> CallNow:
        """ "Bel nu" on the screen: this request through this headset, if both are free for it now.

        The same rules as the dispatcher's own rounds: the headset must be registered with no call up and
        not reserved, one number is never called twice at once, and a callback is never made before it
        is due (early counts as a broken promise too). The attempt itself is claimed as usual.
        """
        if request.due_at > self.clock():
            return CallNow.NOT_DUE
        if request.id in self._dialling or request.phone in self._busy_numbers():
            return CallNow.NUMBER_BUSY
        if headset not in self.config().headsets:
            return CallNow.UNKNOWN_HEADSET
        if headset in self._reserved or not await self._endpoint(headset):
            return CallNow.HEADSET_BUSY
        self._start_callback(headset, request)
        log.info(ev.DISPATCH_CALLBACK, headset=headset, request_id=request.id, kind=request.kind, by="screen")
        return CallNow.STARTED

    async def _dial(self, headset: str, request: CallbackRequest) -> None:
        answered = False
        try:
            answered = await self.dial_out(headset, request)
        finally:
            self._dialling.pop(request.id, None)
            self.due.forget(request.id)
            self.release(headset, answered=answered)
            self.notify("callbacks")

    async def _free_headsets(self) -> list[str]:
        moment = loop_now()
        candidates = [
            name
            for name in self.config().headsets
            if name not in self._reserved and self._paused_until.get(name, 0) <= moment
        ]
        states = await asyncio.gather(*(self._endpoint(name) for name in candidates))
        return [name for name, state in zip(candidates, states, strict=True) if state]

    async def _endpoint(self, name: str) -> bool:
        """Whether the headset is registered with no call up (and remember what was seen, for the view)."""
        try:
            async with asyncio.timeout(ENDPOINT_DEADLINE_SECONDS):
                endpoint = await self.ari.endpoint("PJSIP", name)
        except (AriError, AriUnavailable, TimeoutError):
            self._seen(name, EndpointSeen(online=False, in_call=False))
            return False
        seen = EndpointSeen(
            online=endpoint.get("state") == "online", in_call=bool(endpoint.get("channel_ids"))
        )
        self._seen(name, seen)
        return seen.online and not seen.in_call

    def _seen(self, name: str, seen: EndpointSeen) -> None:
        if self._endpoints.get(name) != seen:
            self._endpoints[name] = seen
            self.notify("headsets")


def _live(entry_id: int) -> str:
    return f"live:{entry_id}"
