"""The dispatcher's state as the screen shows it: who waits where, which headset does what."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class WaitingView:
    """A caller on the line in the queue."""

    entry_id: int
    rank: int
    arrived_at: dt.datetime
    position: int  # 1 = next
    headset: str | None  # being put through to this headset now


@dataclass(frozen=True)
class HeadsetView:
    """One headset: what it may do, what it is doing."""

    name: str
    state: str  # the assistant's own: op_dienst, pauze, alleen_terugbellen, afgemeld
    registered: bool | None  # None: not looked at yet
    in_call: bool
    work: str | None  # what the dispatcher gave it: "live:<entry>" or "callback:<request>"
    resting_seconds: int  # after letting a call ring out


@dataclass(frozen=True)
class DispatcherView:
    waiting: tuple[WaitingView, ...]
    headsets: tuple[HeadsetView, ...]
    calling: dict[int, str]  # callback request id -> the headset calling it now
