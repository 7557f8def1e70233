"""The way out that never strands a caller: Asterisk's own dialplan rings every headset, then the overflow.

`[terugbel-fallback]` in asterisk-config/extensions.conf needs nothing of the controller or the database,
which is why a failing handler, a spoed call that cannot ring anybody, and an orphaned caller all end there.
"""

from __future__ import annotations

import structlog

from ivr import log_events as ev
from ivr.ari import AriError, AriUnavailable
from ivr.core.call import Call, quietly

log = structlog.get_logger(__name__)

FALLBACK_CONTEXT = "terugbel-fallback"


class SendToFallback(Exception):
    """Nothing more this controller can do for the caller: hand the call to the dialplan fallback."""


async def send_to_fallback(call: Call) -> None:
    """Hang up the call's own legs and continue the patient's channel in the fallback context."""
    for leg in call.legs:
        await quietly(call.ari.hangup(leg))
        call.forget_leg(leg)
    try:
        await call.ari.continue_in_dialplan(call.channel_id, FALLBACK_CONTEXT)
        log.warning(ev.CALL_TO_FALLBACK)
    except (AriError, AriUnavailable) as exc:
        log.error("fallback_failed_hanging_up", error=str(exc))
        await call.hangup()
