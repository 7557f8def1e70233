"""Each headset's own state, set by the assistant on the screen: on duty, pause, callbacks only, signed off.

The menu file says what a headset may do (its duties); this says what she does now. The dispatcher asks
here before giving work: a headset on pause or signed off gets nothing, one on "callbacks only" no live
callers. States are stored (storage.headsets) so a restart keeps them; a state nobody set is "op dienst".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection

from ivr.live.notifier import no_notice
from ivr.queue.order import Duty
from storage.status import HeadsetState

Save = Callable[[str, HeadsetState, str], Awaitable[None]]


async def _not_saved(headset: str, state: HeadsetState, by: str) -> None:
    """For wiring without a database (tests of the dispatcher alone)."""


class HeadsetStates:
    """The states of a practice's headsets, kept in memory and saved on every change."""

    def __init__(self, save: Save = _not_saved, notify: Callable[[str], None] = no_notice) -> None:
        self._states: dict[str, HeadsetState] = {}
        self._save = save
        self._notify = notify

    def load(self, states: dict[str, str]) -> None:
        """The states as stored (at start)."""
        self._states = {name: HeadsetState(state) for name, state in states.items()}
        self._notify("headsets")

    def state(self, headset: str) -> HeadsetState:
        return self._states.get(headset, HeadsetState.OP_DIENST)

    async def set(self, headset: str, state: HeadsetState, *, by: str) -> None:
        """Store first, then act on it: a state the screen shows is one that survives a restart."""
        await self._save(headset, state, by)
        self._states[headset] = state
        self._notify("headsets")

    def duties(self, headset: str, configured: Collection[Duty]) -> frozenset[Duty]:
        """What the dispatcher may give this headset now."""
        state = self.state(headset)
        if state in (HeadsetState.PAUZE, HeadsetState.AFGEMELD):
            return frozenset()
        if state is HeadsetState.ALLEEN_TERUGBELLEN:
            return frozenset(configured) & {"callbacks"}
        return frozenset(configured)
