"""A conversation a previous controller left standing: watched until one side hangs up, then ended.

A controller that stops leaves assistant-patient bridges up (ivr.connect.bridge), so a restart or an
upgrade never cuts off a conversation. The next controller finds the bridge in reconcile, claims its
channels, and does what the first would have done when one side hangs up: end the other and the bridge.
"""

from __future__ import annotations

import asyncio
from typing import Any

import structlog

from ivr.ari import AriNotFound
from ivr.ari.port import Ari
from ivr.core.call import quietly
from ivr.core.router import Router

log = structlog.get_logger(__name__)

GONE = frozenset({"StasisEnd", "ChannelDestroyed"})


class Conversation:
    """Owner of a taken-over bridge's channels."""

    def __init__(self, ari: Ari, router: Router, bridge_id: str, channels: list[str]) -> None:
        self.ari = ari
        self.router = router
        self.bridge_id = bridge_id
        self.channels = set(channels)
        self._events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        for channel in self.channels:
            router.claim(channel, self)

    def deliver(self, event: dict[str, Any]) -> None:
        self._events.put_nowait(event)

    async def watch(self) -> None:
        """Wait until a side leaves (or only one is left), then end the rest."""
        try:
            for channel in list(self.channels):
                if not await self._exists(channel):
                    self.channels.discard(channel)
            while len(self.channels) > 1:
                event = await self._events.get()
                channel = (event.get("channel") or {}).get("id")
                if event.get("type") in GONE and channel in self.channels:
                    self.channels.discard(channel)
        except asyncio.CancelledError:
            # This controller is stopping too: the conversation stays up for the next one.
            self._release()
            raise
        log.info("conversation_ended", bridge=self.bridge_id)
        for channel in self.channels:
            await quietly(self.ari.hangup(channel))
        await quietly(self.ari.destroy_bridge(self.bridge_id))
        self._release()

    def _release(self) -> None:
        for channel in list(self.router.owned_channels()):
            if self.router.owner(channel) is self:
                self.router.release(channel)

    async def _exists(self, channel: str) -> bool:
        try:
            await self.ari.channel(channel)
        except AriNotFound:
            return False
        except Exception:
            return True
        return True
