"""An asyncio event loop whose clock is virtual: when nothing is ready, time jumps to the next timer.

The flows measure every wait on the loop's clock (ivr.timing), so on this loop a 300 s spoed give-up or a
30 s ring-out pause takes no real time, and a test that waits "20 s" for an event is exact rather than
hopeful. Time only jumps while nothing real is under way: work in a thread (aiosqlite) is marked with
`real_work()` (tests/fakes/db.py does it for every database step), and the loop then waits for it in
real time instead of skipping ahead.
"""

from __future__ import annotations

import asyncio
import contextlib
import selectors
from collections.abc import Iterator

# While real work is under way, the selector waits for it in slices this long.
REAL_WAIT_SLICE_SECONDS = 0.005


class _VirtualSelector(selectors.DefaultSelector):
    def __init__(self, loop: VirtualTimeLoop) -> None:
        super().__init__()
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if ready or timeout == 0:
            return ready
        if self._loop.busy:
            wait = REAL_WAIT_SLICE_SECONDS if timeout is None else min(timeout, REAL_WAIT_SLICE_SECONDS)
            return super().select(wait)
        if timeout is None:
            return super().select(None)  # no timer at all: only real I/O can wake the loop
        self._loop.advance(timeout)
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """A selector event loop with a virtual monotonic clock starting at 0."""

    def __init__(self) -> None:
        self._now = 0.0
        self.busy = 0
        super().__init__(selector=_VirtualSelector(self))

    def time(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += max(seconds, 0.0)

    @contextlib.contextmanager
    def real_work(self) -> Iterator[None]:
        """Hold the clock while real work (a thread, a socket) is under way."""
        self.busy += 1
        try:
            yield
        finally:
            self.busy -= 1


def current() -> VirtualTimeLoop:
    loop = asyncio.get_running_loop()
    assert isinstance(loop, VirtualTimeLoop), "this test needs the virtual-time loop (tests/unit/ivr)"
    return loop
