"""Dialling a leg so that it can never be left ringing for nobody.

Asterisk carries out an originate it has received even when the controller stops waiting for the
answer (a controller stopping, a call task cancelled). An originate is therefore never abandoned halfway:
if the waiting is cancelled, it is allowed to finish and the leg it made is hung up at once. This was
issue 8's defect 22: after a spoed test, headsets kept ringing for a call that had already ended.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ivr.ari.port import Ari
from ivr.core.call import quietly


async def originate_leg(ari: Ari, **request: Any) -> dict[str, Any]:
    """`ari.originate(**request)`; when cancelled meanwhile, the leg is hung up once it exists."""
    pending = asyncio.ensure_future(ari.originate(**request))
    try:
        return await asyncio.shield(pending)
    except asyncio.CancelledError:
        try:
            await pending
        except Exception:
            pass  # refused: nothing rings
        else:
            await quietly(ari.hangup(request["channel_id"]))
        raise
