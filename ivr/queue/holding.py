"""The practice's holding bridge, where queued callers wait between announcements."""

from __future__ import annotations

from ivr.ari import AriNotFound
from ivr.core.call import Call, quietly

HOLDING_BRIDGE = "terugbel-wachtrij"


async def hold(call: Call) -> None:
    """Put the caller in the holding bridge (created by whoever needs it first)."""
    try:
        await call.own(call.ari.add_to_bridge(HOLDING_BRIDGE, [call.channel_id]))
    except AriNotFound:
        # The first caller after an Asterisk start: the bridge does not exist yet.
        await quietly(call.ari.create_bridge(HOLDING_BRIDGE, "holding"))
        await call.own(call.ari.add_to_bridge(HOLDING_BRIDGE, [call.channel_id]))


async def leave(call: Call) -> None:
    """Take the caller out of the holding bridge (to be connected)."""
    await quietly(call.ari.remove_from_bridge(HOLDING_BRIDGE, call.channel_id))


async def stop_playback(call: Call, playback: str | None) -> None:
    if playback is not None:
        await quietly(call.ari.stop_playback(playback))
