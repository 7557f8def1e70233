"""The controller's live state for the screen, whichever controller object is active right now.

A process may be standby (another controller holds the lease) or between two active periods; the screen
then says so instead of showing an empty queue as if nobody waited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from ivr.core.registry import CallRegistry
from ivr.queue.dispatcher import CallNow, Dispatcher
from ivr.queue.view import DispatcherView
from storage.models import CallbackRequest


@dataclass(frozen=True)
class SpoedView:
    """A spoed call ringing now: the screen's top line."""

    call_id: str
    caller: str  # masked
    since: dt.datetime


@dataclass(frozen=True)
class LiveSnapshot:
    active: bool  # False: this controller is standby, what follows is empty
    dispatcher: DispatcherView | None
    spoed: tuple[SpoedView, ...]


class Active(Protocol):
    """What of an active period the screen needs (ivr.app.Active)."""

    @property
    def dispatcher(self) -> Dispatcher: ...

    @property
    def calls(self) -> CallRegistry: ...


class LiveStatus:
    """Points at the active period's dispatcher and calls, or at nothing while standby."""

    def __init__(self) -> None:
        self._active: Active | None = None

    def attach(self, active: Active | None) -> None:
        self._active = active

    @property
    def active(self) -> bool:
        return self._active is not None

    def snapshot(self) -> LiveSnapshot:
        current = self._active
        if current is None:
            return LiveSnapshot(active=False, dispatcher=None, spoed=())
        spoed = tuple(
            SpoedView(call.call_id, call.masked_caller, call.spoed_since)
            for call in current.calls.all()
            if call.spoed_since is not None and call.conversation is None
        )
        return LiveSnapshot(active=True, dispatcher=current.dispatcher.view(), spoed=spoed)

    async def call_now(self, request: CallbackRequest, headset: str) -> CallNow:
        """ "Bel nu" through the active dispatcher (its order and one-call-per-number rules)."""
        current = self._active
        if current is None:
            return CallNow.HEADSET_BUSY
        return await current.dispatcher.call_now(request, headset)
