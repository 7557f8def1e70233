"""The controller's one door to the database: every step has a deadline and fails in one way.

Every database failure, a hung server included, comes out as `StoreUnavailable` within the step's
deadline, so the call flows have one thing to catch and always do the same with it: send the caller to a
person, never lose them to a storage error. Until the schema is up to date (migrations retried at start)
the door is closed and says so the same way: nothing is offered that could not be stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

T = TypeVar("T")
P = ParamSpec("P")
Sessions = async_sessionmaker[AsyncSession]

FAILURES = (SQLAlchemyError, OSError, ConnectionError, TimeoutError)
# A caller waits on the line for this at most before being sent to a person instead.
DEFAULT_DEADLINE_SECONDS = 3.0


class StoreUnavailable(Exception):
    """The database could not be used in time; nothing was stored."""


class Database:
    """Async sessions behind a deadline; closed until `open()` (the schema is migrated)."""

    def __init__(self, sessions: Sessions, *, deadline: float = DEFAULT_DEADLINE_SECONDS) -> None:
        self.sessions = sessions
        self.deadline = deadline
        self._open = False
        self.opened = asyncio.Event()
        self.first_try = asyncio.Event()  # set once the first migration attempt has ended, either way
        self._running: set[asyncio.Task[Any]] = set()

    @property
    def is_open(self) -> bool:
        return self._open

    def open(self) -> None:
        """The schema is up to date: database steps may run."""
        self._open = True
        self.opened.set()

    async def run(
        self,
        work: Callable[Concatenate[Sessions, P], Awaitable[T]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """`await work(sessions, *args, **kwargs)` within the deadline; StoreUnavailable on any failure."""
        if not self._open:
            raise StoreUnavailable("schema not ready")
        # The step runs in a task of its own that a deadline or a cancelled call does not interrupt: a
        # transaction is never cut halfway (its session ends properly, the server's own timeout bounds
        # it), and `drain` can wait for it before the engine is closed.
        step = asyncio.ensure_future(self._call(work, *args, **kwargs))
        self._running.add(step)
        step.add_done_callback(self._finished)
        try:
            async with asyncio.timeout(self.deadline):
                return await asyncio.shield(step)
        except FAILURES as exc:
            raise StoreUnavailable(type(exc).__name__) from exc

    def _finished(self, step: asyncio.Task[Any]) -> None:
        self._running.discard(step)
        if not step.cancelled():
            step.exception()  # retrieved: a step whose caller gave up must not warn "never retrieved"

    async def drain(self, seconds: float = 10.0) -> None:
        """Wait (up to `seconds`) for the steps still running, so the engine can be closed cleanly."""
        if self._running:
            await asyncio.wait(set(self._running), timeout=seconds)

    async def _call(self, work: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        # The seam the fast tests use to tell their virtual clock that real work is in progress.
        return await work(self.sessions, *args, **kwargs)
