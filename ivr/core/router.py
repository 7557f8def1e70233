"""Hands every ARI event to the call that owns its channel, without ever waiting on that call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import structlog

log = structlog.get_logger(__name__)


class Owner(Protocol):
    def deliver(self, event: dict[str, Any]) -> None: ...


def event_channel_id(event: dict[str, Any]) -> str | None:
    """The channel an event is about: the channel itself, or the target of a playback or recording."""
    channel = event.get("channel")
    if isinstance(channel, dict) and "id" in channel:
        return str(channel["id"])
    for key in ("playback", "recording"):
        obj = event.get(key)
        if isinstance(obj, dict):
            target = str(obj.get("target_uri", ""))
            if target.startswith("channel:"):
                return target.removeprefix("channel:")
    return None


class Router:
    """Channel id -> owning call. Unowned StasisStarts go to `on_new_channel`.

    Routing is a dict lookup and a queue put: the websocket reader never awaits a call's work, so a call
    stuck on a long prompt cannot delay another call's events (the shortfall of aioari, decision 0001).
    """

    def __init__(self, on_new_channel: Callable[[dict[str, Any]], None]) -> None:
        self._owners: dict[str, Owner] = {}
        self._on_new_channel = on_new_channel

    def claim(self, channel_id: str, owner: Owner) -> None:
        self._owners[channel_id] = owner

    def release(self, channel_id: str) -> None:
        self._owners.pop(channel_id, None)

    def owner(self, channel_id: str) -> Owner | None:
        return self._owners.get(channel_id)

    def owned_channels(self) -> set[str]:
        return set(self._owners)

    def route(self, event: dict[str, Any]) -> None:
        channel_id = event_channel_id(event)
        if channel_id is None:
            return
        owner = self._owners.get(channel_id)
        if owner is not None:
            owner.deliver(event)
        elif event.get("type") == "StasisStart":
            self._on_new_channel(event)
