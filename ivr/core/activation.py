"""Active or standby: a controller acts for the practice only while it holds the lease.

A standby waits and says why. An active controller steps down when another one holds the lease (the
database came back and someone else got there first) or took over the ARI app: its calls are detached,
not hung up, so the new active controller takes over callers in the queue and conversations in progress.
When the database cannot be reached at all, the lease cannot be verified: after a short wait the
controller acts anyway (spoed must work with the database down) and keeps checking.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog

from ivr import log_events as ev
from ivr.ari import ApplicationReplaced
from ivr.core.lease import Lease, LeaseState
from ivr.timing import now

log = structlog.get_logger(__name__)

Activate = Callable[[], Awaitable[None]]


class Supervisor:
    """Runs `activate` whenever this controller holds the practice's lease."""

    def __init__(
        self,
        lease: Lease,
        activate: Activate,
        *,
        poll_seconds: float = 2.0,
        unverified_after: float = 10.0,
        replaced_pause: float = 30.0,
    ) -> None:
        self.lease = lease
        self.activate = activate
        self.poll_seconds = poll_seconds
        self.unverified_after = unverified_after
        self.replaced_pause = replaced_pause
        self.active = asyncio.Event()

    async def run(self) -> None:
        try:
            while True:
                await self._wait_for_lease()
                replaced = await self._act()
                if replaced:
                    # Taking the app straight back would make two controllers steal it in turns.
                    await self.lease.release()
                    await asyncio.sleep(self.replaced_pause)
        finally:
            await self.lease.release()

    async def _wait_for_lease(self) -> None:
        started = now()
        said: LeaseState | None = None
        while True:
            state = await self.lease.acquire()
            if state is LeaseState.HELD:
                log.info(ev.CONTROLLER_ACTIVE, lease=self.lease.what)
                return
            if state is LeaseState.UNKNOWN and now() - started >= self.unverified_after:
                log.warning(
                    ev.LEASE_UNVERIFIED, lease=self.lease.what, why="database unreachable; acting anyway"
                )
                return
            if state is not said:
                why = (
                    "another controller is active for this practice"
                    if state is LeaseState.BUSY
                    else "the database cannot be reached to check for another controller"
                )
                log.warning(ev.CONTROLLER_STANDBY, lease=self.lease.what, why=why)
                said = state
            await asyncio.sleep(self.poll_seconds)

    async def _act(self) -> bool:
        """Act until cancelled or the lease is lost; True when another client took the ARI app over."""
        self.active.set()
        acting = asyncio.create_task(self.activate(), name="controller-active")
        watch = asyncio.create_task(self._watch(), name="lease-watch")
        try:
            await asyncio.wait({acting, watch}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.active.clear()
            for task in (acting, watch):
                task.cancel()
            results = await asyncio.gather(acting, watch, return_exceptions=True)
        replaced = isinstance(results[0], ApplicationReplaced)
        if replaced:
            log.warning(ev.CONTROLLER_STANDBY, why="another controller took over the ARI app")
        elif isinstance(results[0], BaseException) and not isinstance(results[0], asyncio.CancelledError):
            raise results[0]
        return replaced

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            if await self.lease.check() is LeaseState.BUSY:
                log.error(ev.LEASE_LOST, lease=self.lease.what, why="another controller holds it now")
                return
