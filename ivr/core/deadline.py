"""A dead man's switch for every caller: if the controller stops looking after them, the dialplan does.

Each patient's channel carries Asterisk's TIMEOUT(absolute), which the controller keeps pushing forward
while it runs. Should the controller hang, crash or lose Asterisk for longer than the deadline, Asterisk
takes the caller out of the app and `[from-patients] T` rings every headset (asterisk-config/
extensions.conf; measured in tests/e2e/test_dialplan_holding.py). A caller talking with an assistant has
no deadline: a conversation is never cut to go to the fallback.
"""

from __future__ import annotations

import asyncio

import structlog

from ivr.core.call import Call, quietly
from ivr.core.registry import CallRegistry

log = structlog.get_logger(__name__)

TIMEOUT_VARIABLE = "TIMEOUT(absolute)"
# Longer than a controller restart with its reconcile (seconds); refreshed three times within it.
DEADLINE_SECONDS = 120


async def push(call: Call, seconds: int = DEADLINE_SECONDS) -> None:
    """Give the caller a fresh deadline (also right after the call enters the app)."""
    await quietly(call.ari.set_variable(call.channel_id, TIMEOUT_VARIABLE, str(seconds)))


async def clear(call: Call) -> None:
    """No deadline while the caller talks with an assistant."""
    await quietly(call.ari.set_variable(call.channel_id, TIMEOUT_VARIABLE, "0"))


async def keep_pushing(calls: CallRegistry, seconds: int = DEADLINE_SECONDS) -> None:
    """Refresh the deadline of every patient's call not in a conversation, three times per deadline."""
    while True:
        await asyncio.sleep(seconds / 3)
        waiting = [c for c in calls.all() if c.patient and c.conversation is None and not c.gone]
        for call in waiting:
            await push(call, seconds)
        log.debug("deadlines_pushed", calls=len(waiting))
