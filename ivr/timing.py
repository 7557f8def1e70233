"""Deadlines on the event loop's clock.

Every wait in a call is measured with the running loop's `time()`, never `time.monotonic()` directly: in
production the two are the same clock, and the fast flow tests run the same code on a loop whose time is
virtual, so a 300 s spoed give-up takes no real time to test.
"""

from __future__ import annotations

import asyncio


def now() -> float:
    """The running loop's monotonic time in seconds."""
    return asyncio.get_running_loop().time()


def deadline(seconds: float) -> float:
    """The loop time `seconds` from now."""
    return now() + seconds


def left(until: float | None) -> float | None:
    """Seconds left until the loop time `until` (never negative); None for no deadline."""
    return None if until is None else max(until - now(), 0.0)


async def sleep_until(until: float) -> None:
    """Sleep until the loop time `until`."""
    await asyncio.sleep(max(until - now(), 0.0))
