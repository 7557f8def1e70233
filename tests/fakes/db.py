"""The real database door, telling the virtual-time loop while a step runs in aiosqlite's thread."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from ivr.db.door import Database
from tests.fakes.loop import current

T = TypeVar("T")


class RealWorkDatabase(Database):
    """ivr.db.door.Database whose steps hold the virtual clock, so no deadline fires during real I/O.

    `hang(work)` makes every later call of that storage function hang like a frozen server would (in
    virtual time, so the door's deadline is what ends it).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._hanging: set[Callable[..., Any]] = set()

    def hang(self, work: Callable[..., Any]) -> None:
        self._hanging.add(work)

    def unhang(self, work: Callable[..., Any]) -> None:
        self._hanging.discard(work)

    async def _call(self, work: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        if work in self._hanging:
            await asyncio.Event().wait()
        with current().real_work():
            return await super()._call(work, *args, **kwargs)
