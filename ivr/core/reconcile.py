"""After every (re)connect: bring each call's state back in line with what Asterisk really has.

Events sent while the websocket was down are lost (docs/domain-facts.md, ARI), so a call may be waiting
for an event that will never come, and after a controller restart Asterisk holds channels and bridges
nobody tracks. Reconcile reads `GET /applications/{app}` and then, in this order:

1. channels a call tracks that no longer exist: the call gets the ChannelDestroyed it missed;
2. legs a call dialled that are in the app but whose StasisStart it never saw (answered during the gap):
   the StasisStart is replayed;
3. a call's prompt or recording that has finished meanwhile: PlaybackFinished / RecordingFinished replayed;
4. bridges no running call owns: a conversation a previous controller left standing is taken over
   (ivr.core.conversation); an empty or half-empty one is ended;
5. channels nobody owns: a caller who was waiting goes back in line in the stored place, another patient
   goes to the dialplan fallback, anything else is hung up;
6. queue entries still "waiting" whose caller is no longer in the app are closed as abandoned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import structlog

from ivr import log_events as ev
from ivr.ari import AriError, AriNotFound, AriUnavailable
from ivr.ari.port import Ari
from ivr.connect.bridge import BRIDGE_MARK
from ivr.core.call import quietly
from ivr.core.controller import Controller
from ivr.core.conversation import Conversation
from ivr.core.fallback import FALLBACK_CONTEXT
from ivr.db.door import StoreUnavailable
from storage.models import QueueEntry
from storage.status import WAITING_STATUSES

log = structlog.get_logger(__name__)

PATIENT_CONTEXTS = frozenset({"from-patients"})


class WaitingCallers(Protocol):
    """What reconcile needs of the queue: stored entries, and holding back the dispatcher."""

    holding_bridge: str

    async def entry_by_channel(self, channel_id: str) -> QueueEntry | None: ...
    async def close_stale(self, live_channel_ids: set[str], listed_at: datetime) -> int: ...
    def expect(self, entry_ids: set[int]) -> None: ...


@dataclass
class ReconcileReport:
    live: int = 0
    lost: int = 0
    replayed: int = 0
    adopted: int = 0
    orphans: int = 0
    stale_entries: int = 0


class Reconciler:
    """Matches the controller's calls with Asterisk's state of the app."""

    def __init__(
        self, controller: Controller, waiting: WaitingCallers, clock: Callable[[], datetime]
    ) -> None:
        self.controller = controller
        self.clock = clock
        self.ari: Ari = controller.ari
        self.app = controller.app
        self.router = controller.router
        self.waiting = waiting

    async def run(self) -> bool:
        """One reconcile; False when Asterisk could not be read (it is tried again on the next connect)."""
        listed_at = self.clock()
        try:
            state = await self.ari.application(self.app)
        except (AriError, AriUnavailable) as exc:
            log.warning(ev.RECONCILE_FAILED, error=str(exc))
            return False
        live = set(state.get("channel_ids", []))
        report = ReconcileReport(live=len(live))
        report.lost = await self._lost_channels(live)
        report.replayed = await self._replay_missed(live)
        report.adopted = await self._bridges(state.get("bridge_ids", []))
        report.orphans = await self._orphans(live - self.router.owned_channels())
        try:
            report.stale_entries = await self.waiting.close_stale(live, listed_at)
        except StoreUnavailable:
            pass
        if report.stale_entries:
            log.warning(ev.STALE_QUEUE_CLOSED, count=report.stale_entries)
        log.info(ev.RECONCILED, calls=len(self.controller.calls), **vars(report))
        return True

    async def _lost_channels(self, live: set[str]) -> int:
        lost = 0
        for channel_id in self.router.owned_channels() - live:
            if await self._exists(channel_id):
                continue  # not in the app (yet): a leg still ringing, say
            owner = self.router.owner(channel_id)
            if owner is not None:
                owner.deliver({"type": "ChannelDestroyed", "channel": {"id": channel_id}, "replayed": True})
                lost += 1
        return lost

    async def _replay_missed(self, live: set[str]) -> int:
        replayed = 0
        for call in self.controller.calls.all():
            for channel_id in ({call.channel_id} | call.legs) & (live - call.entered):
                call.deliver(
                    {"type": "StasisStart", "channel": {"id": channel_id}, "args": [], "replayed": True}
                )
                replayed += 1
            if call.playback and not await self._found(self.ari.playback(call.playback)):
                playback = {"id": call.playback, "target_uri": f"channel:{call.channel_id}"}
                call.deliver({"type": "PlaybackFinished", "playback": playback, "replayed": True})
                replayed += 1
            if call.recording and not await self._found(self.ari.live_recording(call.recording)):
                recording = {"name": call.recording, "target_uri": f"channel:{call.channel_id}"}
                call.deliver({"type": "RecordingFinished", "recording": recording, "replayed": True})
                replayed += 1
        return replayed

    async def _bridges(self, bridge_ids: list[str]) -> int:
        adopted = 0
        for bridge_id in bridge_ids:
            if bridge_id == self.waiting.holding_bridge:
                continue
            try:
                bridge = await self.ari.bridge(bridge_id)
            except (AriError, AriUnavailable):
                continue
            channels = list(bridge.get("channels", []))
            if any(self.router.owner(c) is not None for c in channels):
                continue  # a running call's own bridge (a callback's too): never touched
            if BRIDGE_MARK in bridge_id and channels:
                conversation = Conversation(self.ari, self.router, bridge_id, channels)
                self.controller.spawn(conversation.watch(), name=f"conversation-{bridge_id}")
                log.warning(ev.CONVERSATION_ADOPTED, bridge=bridge_id, channels=len(channels))
                adopted += 1
            else:
                await quietly(self.ari.destroy_bridge(bridge_id))
        return adopted

    async def _orphans(self, orphans: set[str]) -> int:
        entries: dict[str, QueueEntry | None] = {c: await self._waiting_entry(c) for c in orphans}
        self.waiting.expect({e.id for e in entries.values() if e is not None})
        for channel_id in orphans:
            await self._adopt(channel_id, entries[channel_id])
        return len(orphans)

    async def _adopt(self, channel_id: str, entry: QueueEntry | None) -> None:
        """A patient left in the app by an earlier controller goes on; anything else ends."""
        try:
            channel = await self.ari.channel(channel_id)
        except (AriError, AriUnavailable):
            return
        context = (channel.get("dialplan") or {}).get("context")
        if context not in PATIENT_CONTEXTS:
            await quietly(self.ari.hangup(channel_id))
            return
        if entry is not None:
            # A caller who was waiting when the last controller stopped keeps the original place.
            log.warning(ev.ORPHAN_BACK_IN_QUEUE, channel=channel_id, entry_id=entry.id)
            call = self.controller.new_call(channel)
            self.controller.spawn(self.controller.handle(call, resume=entry), name=f"call-{channel_id}")
            return
        log.warning(ev.ORPHAN_TO_FALLBACK, channel=channel_id)
        await quietly(self.ari.continue_in_dialplan(channel_id, FALLBACK_CONTEXT))

    async def _waiting_entry(self, channel_id: str) -> QueueEntry | None:
        try:
            entry = await self.waiting.entry_by_channel(channel_id)
        except StoreUnavailable:
            return None
        return entry if entry is not None and entry.status in WAITING_STATUSES else None

    async def _exists(self, channel_id: str) -> bool:
        return await self._found(self.ari.channel(channel_id), unknown=True)

    @staticmethod
    async def _found(request: Any, *, unknown: bool = True) -> bool:
        """Whether the resource exists; `unknown` when Asterisk could not say (left to deadlines)."""
        try:
            await request
        except AriNotFound:
            return False
        except (AriError, AriUnavailable):
            return unknown
        return True
