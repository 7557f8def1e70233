"""A waiting caller's place with the dispatcher: the typed way a call and the dispatcher talk.

The call task holds the ticket and awaits `assignment` (the headset it gets); everything else (pause while
typing a number, back in line after a headset did not answer, leaving) goes through Dispatcher methods.
The dispatcher alone changes a ticket.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field


@dataclass(eq=False)
class Ticket:
    """One caller waiting on the line, as the dispatcher orders them."""

    entry_id: int
    rank: int
    arrived_at: dt.datetime
    _assignment: asyncio.Future[str] = field(
        init=False, default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    @property
    def assignment(self) -> asyncio.Future[str]:
        """Resolves to the name of the headset this caller is to be connected to."""
        return self._assignment

    @property
    def headset(self) -> str | None:
        """The headset assigned, if one is."""
        done = self._assignment.done() and not self._assignment.cancelled()
        return self._assignment.result() if done else None

    def _assign(self, headset: str) -> None:
        self._assignment.set_result(headset)

    def _renew(self) -> None:
        # Back in line: a fresh future, so an old assignment can never be awaited again.
        if not self._assignment.done():
            self._assignment.cancel()
        self._assignment = asyncio.get_running_loop().create_future()

    def _close(self) -> None:
        if not self._assignment.done():
            self._assignment.cancel()
