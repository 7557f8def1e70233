"""The practice's holding bridge, where queued callers wait between announcements.

The music is Asterisk's own music on hold (class `terugbel`, asterisk-config/musiconhold.conf), started on
the caller's channel: it keeps playing when the controller is away, and announcements play over it
(docs/domain-facts.md; tests/e2e/test_dialplan_holding.py measured both).
"""

from __future__ import annotations

from ivr.ari import AriNotFound
from ivr.core.call import Call, quietly

HOLDING_BRIDGE = "terugbel-wachtrij"
MOH_CLASS = "terugbel"


async def hold(call: Call) -> None:
    """Put the caller in the holding bridge (created by whoever needs it first), with hold music."""
    try:
        await call.own(call.ari.add_to_bridge(HOLDING_BRIDGE, [call.channel_id]))
    except AriNotFound:
        # The first caller after an Asterisk start: the bridge does not exist yet.
        await quietly(call.ari.create_bridge(HOLDING_BRIDGE, "holding"))
        await call.own(call.ari.add_to_bridge(HOLDING_BRIDGE, [call.channel_id]))
    await call.own(call.ari.start_moh(call.channel_id, MOH_CLASS))


async def leave(call: Call) -> None:
    """Take the caller out of the holding bridge (to be connected), music off."""
    await quietly(call.ari.stop_moh(call.channel_id))
    await quietly(call.ari.remove_from_bridge(HOLDING_BRIDGE, call.channel_id))


async def stop_playback(call: Call, playback: str | None) -> None:
    if playback is not None:
        await quietly(call.ari.stop_playback(playback))
