"""Recording what a patient says: the inspreeklijn for repeat prescriptions, a callback question."""

from __future__ import annotations

from datetime import UTC, datetime

import structlog

from ivr.core.call import Call
from ivr.timing import deadline
from prompts.names import BEEP

log = structlog.get_logger(__name__)


def recording_name(call: Call, prefix: str) -> str:
    """A unique stored-recording name for this call (Asterisk keeps it under its recording spool)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{prefix}/{stamp}-{call.call_id}"


async def record_message(call: Call, *, prefix: str, max_seconds: int, name: str | None = None) -> str | None:
    """Beep, then record until # / silence / max_seconds; return the recording's name or None.

    A patient who hangs up while speaking raises CallGone; Asterisk still keeps what was recorded
    under `name`, which is why a caller may pass the name in and hold on to it.
    """
    name = name or recording_name(call, prefix)
    # Our own beep (a built prompt): Asterisk's `beep` needs its core sound files, which a practice's
    # Asterisk may not have, and without them the recording ends before it starts.
    await call.play([BEEP], interrupt=())
    call.recording = name
    try:
        await call.own(call.ari.record(call.channel_id, name, max_seconds=max_seconds, beep=False))
        until = deadline(max_seconds + 15)
        while True:
            event = await call.next_event(until)
            if event is None:
                log.warning("recording_timeout", recording=name)
                return None
            kind = event["type"]
            if kind == "RecordingFinished" and event["recording"]["name"] == name:
                log.info("message_recorded", recording=name, seconds=event["recording"].get("duration"))
                return name
            if kind == "RecordingFailed" and event["recording"]["name"] == name:
                log.warning("recording_failed", recording=name, cause=event["recording"].get("cause"))
                return None
    finally:
        call.recording = None
