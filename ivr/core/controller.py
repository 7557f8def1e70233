"""The Stasis app: one task per call, reconcile after every (re)connect, a safe way out when a handler fails.

What a call does lives in the flows (ivr.menu.runner and below); this module only starts, tracks and
stops them. The composition root (ivr.app) builds the flows' services and passes them in as `CallServices`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

import structlog

from common.phone import ANONYMOUS_DISPLAY, callback_number, caller_display
from ivr import log_events as ev
from ivr.ari.port import Ari
from ivr.core import deadline
from ivr.core.call import Call, CallGone, quietly
from ivr.core.fallback import SendToFallback, send_to_fallback
from ivr.core.media import Media
from ivr.core.registry import CallRegistry
from ivr.core.router import Router
from ivr.live.notifier import no_notice
from ivr.trace import CallTrace
from storage.call_events import EventKind
from storage.models import QueueEntry

log = structlog.get_logger(__name__)


class CallFlows(Protocol):
    """What a patient's call runs: the menu from the start, or the wait of a caller taken over."""

    async def inbound(self, call: Call) -> None: ...
    async def resumed(self, call: Call, entry: QueueEntry) -> None: ...


class EventSource(Protocol):
    """The ARI event stream (ivr.ari.EventStream in production, a fake in tests)."""

    async def run(self) -> None: ...


class Controller:
    """Owns every call in progress of one active controller."""

    def __init__(
        self,
        ari: Ari,
        *,
        app: str,
        media: Media,
        flows: CallFlows,
        trace: CallTrace,
        deadline_seconds: int = deadline.DEADLINE_SECONDS,
        notify: Callable[[str], None] = no_notice,
    ) -> None:
        self.ari = ari
        self.trace = trace
        self.deadline_seconds = deadline_seconds
        self.notify = notify
        self.app = app
        self.media = media
        self.flows = flows
        self.router = Router(self._on_new_channel)
        self.calls = CallRegistry()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stopping = False

    # ---- tasks ------------------------------------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        """Run `coro` as a task the controller cancels when it stops."""
        if self._stopping:
            coro.close()
            return
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # A background job that dies must be seen: the practice would silently lose what it does.
            log.error("task_failed", task=task.get_name(), exc_info=task.exception())

    async def stop(self) -> None:
        """Stop every task; conversations in progress stay up for the next controller."""
        self._stopping = True
        self.calls.detach_all()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def run(self, events: EventSource) -> None:
        """Read events until cancelled, then stop every call task."""
        try:
            await events.run()
        finally:
            await self.stop()

    # ---- new channels -----------------------------------------------------------------------------------

    def _on_new_channel(self, event: dict[str, Any]) -> None:
        args = event.get("args") or []
        channel = event["channel"]
        if args[:1] == ["inbound"]:
            call = self.new_call(channel)
            self.spawn(self.handle(call), name=f"call-{channel['id']}")
        else:
            # A leg answered after its call ended, or a channel we never asked for.
            log.info("unowned_channel_hung_up", args=args)
            self.spawn(quietly(self.ari.hangup(channel["id"])), name="hangup-unowned")

    def new_call(self, channel: dict[str, Any]) -> Call:
        """The Call claims its channel in the router at once, so none of its events is lost."""
        call = Call(self.ari, self.router, channel, app=self.app, media=self.media, notify=self.notify)
        self.calls.add(call)
        return call

    async def handle(self, call: Call, resume: QueueEntry | None = None) -> None:
        """One patient's call from start to end; never leaves the caller stranded."""
        # Each call task has its own contextvars copy, so this binding is on every line of this call only.
        structlog.contextvars.bind_contextvars(call_id=call.call_id, caller=call.masked_caller)
        log.info(ev.CALL_START, channel=call.channel_id, resumed=resume is not None)
        if resume is None:
            arrived = self.trace.record(
                call.call_id, EventKind.CALL_ARRIVED, caller=caller_kind(call.caller_number)
            )
        else:
            arrived = self.trace.record(
                call.call_id, EventKind.CALL_RESUMED, resumed_from=resume.call_id, entry_id=resume.id
            )
        reason = "completed"
        try:
            await deadline.push(call, self.deadline_seconds)
            await self._run_flow(call, resume)
        except CallGone as gone:
            reason = gone.reason
        except asyncio.CancelledError:
            reason = "controller_stopped"
            raise
        except SendToFallback:
            reason = "sent_to_fallback"
            await send_to_fallback(call)
        except Exception:
            reason = "handler_error"
            log.exception(ev.CALL_FAILED)
            await send_to_fallback(call)
        finally:
            self.trace.record(
                call.call_id, EventKind.CALL_ENDED, reason=reason, seconds=self.trace.seconds_since(arrived)
            )
            await call.release_all()
            self.calls.remove(call)
            log.info(ev.CALL_END, reason=reason)

    async def _run_flow(self, call: Call, resume: QueueEntry | None) -> None:
        if resume is None:
            await self.flows.inbound(call)
        else:
            await self.flows.resumed(call, resume)


def caller_kind(number: str) -> str:
    """What the trace keeps of the caller id: whether there is a number to call back, never the number."""
    if caller_display(number) == ANONYMOUS_DISPLAY:
        return "withheld"
    return "number" if callback_number(number) is not None else "unusable"
