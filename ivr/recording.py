"""Recording a patient's spoken message (the inspreeklijn for repeat prescriptions)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import structlog

from ivr.call import Call

log = structlog.get_logger(__name__)


async def record_message(call: Call, *, prefix: str, max_seconds: int) -> str | None:
    """Record after a beep until # / silence / max_seconds; return the recording's name or None."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"{prefix}/{stamp}-{call.call_id}"
    await call.ari.record(call.channel_id, name, max_seconds=max_seconds)
    deadline = time.monotonic() + max_seconds + 15
    while True:
        event = await call.next_event(deadline)
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
