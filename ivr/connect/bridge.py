"""A conversation: the patient and an answered leg in one mixing bridge until one of them hangs up.

Bridges are named `<call_id>-br-<x>`. When the controller stops, a conversation is left standing (the call
is detached) and the next controller's reconcile takes it over (ivr.core.conversation), so a restart
never cuts off an assistant talking with a patient.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import structlog

from ivr import log_events as ev
from ivr.ari import AriError, AriNotFound
from ivr.core import deadline
from ivr.core.call import Call, CallGone, quietly

log = structlog.get_logger(__name__)

BRIDGE_MARK = "-br-"


def bridge_id_for(call: Call, suffix: str | None = None) -> str:
    return f"{call.call_id}{BRIDGE_MARK}{suffix or uuid.uuid4().hex[:6]}"


async def bridge(call: Call, leg: str, on_joined: Callable[[], None] | None = None) -> bool:
    """Join the patient and the answered leg until one of them hangs up; then end the other side too.

    Returns False when the leg was already gone before it could join (an assistant who answers and hangs
    up at once): the caller then decides who to ring next. `on_joined` runs once both are in the bridge:
    the moment the patient has a person on the line.
    """
    bridge_id = bridge_id_for(call)
    if call.patient:
        await deadline.clear(call)  # a conversation is never cut to go to the fallback
    await call.ari.create_bridge(bridge_id)
    joined = False
    try:
        try:
            await call.ari.add_to_bridge(bridge_id, [call.channel_id, leg])
        except AriError as exc:
            if exc.status in (400, 404, 409, 422) and not await _exists(call, leg):
                log.info("leg_gone_before_bridge")
                return False
            raise
        joined = True
        call.talking(bridge_id, leg)
        log.info(ev.BRIDGED, bridge=bridge_id)
        if on_joined is not None:
            on_joined()
        while True:
            event = await call.next_event(None)
            channel = (event or {}).get("channel", {}).get("id")
            if event and event["type"] in ("ChannelDestroyed", "StasisEnd") and channel == leg:
                log.info("leg_hung_up")
                await call.hangup()
                return True
    except CallGone:
        log.info("patient_hung_up_in_bridge")
        raise
    finally:
        await end_conversation(call, bridge_id, leg, joined=joined)


async def end_conversation(call: Call, bridge_id: str, leg: str, *, joined: bool) -> None:
    """Hang up the other side and destroy the bridge, unless the controller is stopping: a conversation
    that was under way then stays up for the next controller (decision 0003)."""
    if joined and call.detached:
        return
    call.conversation = None
    await quietly(call.ari.hangup(leg))
    call.forget_leg(leg)
    await quietly(call.ari.destroy_bridge(bridge_id))


async def _exists(call: Call, channel_id: str) -> bool:
    try:
        await call.ari.channel(channel_id)
        return True
    except AriNotFound:
        return False
