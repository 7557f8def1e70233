"""The Stasis app: one task per call, reconnect and reconcile, and a safe way out when a handler fails."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import structlog

from dialplan.holder import MenuHolder
from ivr.ari import AriClient, AriError, AriNotFound, AriUnavailable, EventStream
from ivr.call import Call, CallGone, quietly
from ivr.callback.desk import CallbackDesk
from ivr.menu_runner import CallContext, run_inbound
from ivr.practice_db import DeskUnavailable
from ivr.queue.dialout import DialOutContext, dial_out
from ivr.queue.dispatcher import Dispatcher
from ivr.queue.resume import resume_waiting
from ivr.queue.store import QueueStore
from ivr.queue.wait import HOLDING_BRIDGE, Queue
from ivr.router import Router
from storage.models import QueueEntry

log = structlog.get_logger(__name__)

FALLBACK_CONTEXT = "terugbel-fallback"  # asterisk-config/extensions.conf: rings every headset
PATIENT_CONTEXTS = frozenset({"from-patients"})


class Controller:
    """Owns the ARI connection and every call in progress."""

    def __init__(
        self,
        ari: AriClient,
        menus: MenuHolder,
        *,
        app: str,
        media: Callable[[str], str],
        outbound_template: str,
        heartbeat: float = 4.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        desk: CallbackDesk | None = None,
        queue_store: QueueStore | None = None,
    ) -> None:
        self.ari = ari
        self.menus = menus
        self.app = app
        self.media = media
        self.outbound_template = outbound_template
        self.clock = clock
        self.desk = desk
        self.router = Router(self._on_new_channel)
        self.stream = EventStream(ari, app, self.router.route, self.reconcile, heartbeat=heartbeat)
        self.calls: dict[str, Call] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.queue: Queue | None = None
        if queue_store is not None:
            dial = DialOutContext(
                ari,
                self.router,
                queue_store,
                lambda: self.menus.current,
                app,
                media,
                outbound_template,
                clock,
            )
            dispatcher = Dispatcher(
                ari,
                queue_store,
                lambda: self.menus.current,
                clock=clock,
                spawn=lambda coro, name: self._spawn(coro, name=name),
                dial_out=lambda headset, request: dial_out(dial, headset, request),
            )
            self.queue = Queue(dispatcher, queue_store, clock)

    async def run(self) -> None:
        """Run until cancelled: the event stream, the menu watcher, and the calls they start."""
        watcher = asyncio.create_task(self.menus.watch(), name="menu-watch")
        if self.queue is not None:
            await self._recover_callbacks()
            self._spawn(self.queue.dispatcher.run(), name="dispatcher")
        try:
            await self.stream.run()
        finally:
            watcher.cancel()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, watcher, return_exceptions=True)

    # ---- new channels -----------------------------------------------------------------------------------

    def _on_new_channel(self, event: dict[str, Any]) -> None:
        args = event.get("args") or []
        channel = event["channel"]
        if args[:1] == ["inbound"]:
            self._spawn(self._handle_inbound(self._new_call(channel)), name=f"call-{channel['id']}")
        else:
            # A leg answered after its call ended, or a channel we never asked for.
            log.info("unowned_channel_hung_up", args=args)
            self._spawn(quietly(self.ari.hangup(channel["id"])), name="hangup-unowned")

    def _spawn(self, coro: Any, *, name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _recover_callbacks(self) -> None:
        """Callbacks being made when the last controller stopped: finished or requeued, never doubled."""
        assert self.queue is not None
        try:
            recovered = await self.queue.store.recover(self.clock())
        except DeskUnavailable as exc:
            log.error("callback_recovery_failed", error=str(exc))
            return
        for request_id, outcome in recovered:
            log.warning("callback_recovered", request_id=request_id, outcome=outcome)

    def _new_call(self, channel: dict[str, Any]) -> Call:
        """The Call claims its channel in the router at once, so none of its events is lost."""
        call = Call(self.ari, self.router, channel, app=self.app, media=self.media)
        self.calls[call.call_id] = call
        return call

    async def _handle_inbound(self, call: Call, resume: QueueEntry | None = None) -> None:
        # Each call task has its own contextvars copy, so this binding is on every line of this call only.
        structlog.contextvars.bind_contextvars(call_id=call.call_id, caller=call.masked_caller)
        # The menu is taken once per call: a reload never changes a call in progress.
        ctx = CallContext(
            call=call,
            cfg=self.menus.current,
            outbound_template=self.outbound_template,
            desk=self.desk,
            clock=self.clock,
            queue=self.queue,
        )
        log.info("call_start", channel=call.channel_id, resumed=resume is not None)
        reason = "completed"
        try:
            if resume is None:
                await run_inbound(ctx, self.clock())
            else:
                await resume_waiting(ctx, resume)
                await call.hangup()
        except CallGone:
            reason = "patient_hung_up"
        except asyncio.CancelledError:
            reason = "controller_stopped"
            raise
        except Exception:
            reason = "handler_error"
            log.exception("call_failed")
            await self._fallback(call)
        finally:
            await call.release_all()
            self.calls.pop(call.call_id, None)
            log.info("call_end", reason=reason)

    async def _fallback(self, call: Call) -> None:
        """Never strand a caller: send the call to the dialplan, which rings every headset."""
        for leg in call.legs:
            await quietly(self.ari.hangup(leg))
            call.forget_leg(leg)
        try:
            await self.ari.continue_in_dialplan(call.channel_id, FALLBACK_CONTEXT)
            log.warning("call_sent_to_fallback")
        except (AriError, AriUnavailable) as exc:
            log.error("fallback_failed_hanging_up", error=str(exc))
            await call.hangup()

    # ---- reconciliation ---------------------------------------------------------------------------------

    async def reconcile(self) -> None:
        """After every (re)connect: match what Asterisk still has in the app with what we track.

        Events sent while the websocket was down are lost, so a call may be waiting for an event that
        will never come, and after a controller restart Asterisk may hold patients nobody tracks.
        """
        try:
            state = await self.ari.application(self.app)
        except (AriError, AriUnavailable) as exc:
            log.warning("reconcile_failed", error=str(exc))
            return
        live = set(state.get("channel_ids", []))
        for channel_id in self.router.owned_channels() - live:
            if not await self._channel_exists(channel_id):
                owner = self.router.owner(channel_id)
                if owner is not None:
                    owner.deliver({"type": "ChannelDestroyed", "channel": {"id": channel_id}})
        orphans = live - self.router.owned_channels()
        entries = {channel_id: await self._waiting_entry(channel_id) for channel_id in orphans}
        if self.queue is not None:
            self.queue.dispatcher.expect({e.id for e in entries.values() if e is not None})
        for channel_id in orphans:
            await self._adopt_orphan(channel_id, entries[channel_id])
        active = set(self.calls)
        for bridge_id in state.get("bridge_ids", []):
            if bridge_id != HOLDING_BRIDGE and bridge_id.split("-br-")[0] not in active:
                await quietly(self.ari.destroy_bridge(bridge_id))
        log.info("reconciled", live=len(live), orphans=len(orphans), calls=len(active))

    async def _waiting_entry(self, channel_id: str) -> QueueEntry | None:
        if self.queue is None:
            return None
        try:
            entry = await self.queue.store.entry_by_channel(channel_id)
        except DeskUnavailable:
            return None
        return entry if entry is not None and entry.status in ("waiting", "connecting") else None

    async def _channel_exists(self, channel_id: str) -> bool:
        try:
            await self.ari.channel(channel_id)
            return True
        except AriNotFound:
            return False
        except (AriError, AriUnavailable):
            return True  # unknown: leave it to the call's own deadlines

    async def _adopt_orphan(self, channel_id: str, entry: QueueEntry | None) -> None:
        """A patient left in the app by an earlier controller goes to the headsets; anything else ends."""
        try:
            channel = await self.ari.channel(channel_id)
        except (AriError, AriUnavailable):
            return
        context = (channel.get("dialplan") or {}).get("context")
        if entry is not None and context in PATIENT_CONTEXTS:
            # A caller who was waiting when the last controller stopped keeps the original place.
            log.warning("orphan_caller_back_in_queue", channel=channel_id, entry_id=entry.id)
            self._spawn(
                self._handle_inbound(self._new_call(channel), resume=entry), name=f"call-{channel_id}"
            )
            return
        if context in PATIENT_CONTEXTS:
            log.warning("orphan_call_sent_to_fallback", channel=channel_id)
            await quietly(self.ari.continue_in_dialplan(channel_id, FALLBACK_CONTEXT))
        else:
            await quietly(self.ari.hangup(channel_id))
