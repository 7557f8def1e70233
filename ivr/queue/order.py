"""Who a free assistant gets next: the practice's order, as a pure function (no clock, no I/O).

Spoed never queues (it rings past all of this). Then: lower rank first (intercollegiaal before
patients), a due priority callback (urgent online triage) before other work of its rank, and within that
by the moment the work came in: a live caller's arrival, a kept place's
original arrival, a booked callback's slot (or the retry time after a failed attempt). So a callback
never jumps ahead of live callers who came earlier, and never starts before it is due.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Literal

Duty = Literal["live", "callbacks"]
PATIENT_RANK = 1


@dataclass(frozen=True)
class LiveCaller:
    """A caller on the line, waiting in the holding bridge."""

    entry_id: int
    rank: int
    arrived_at: dt.datetime


@dataclass(frozen=True)
class DueCallback:
    """A booked callback or kept place, with the moment it may be called from."""

    request_id: int
    due_at: dt.datetime
    phone: str
    rank: int = PATIENT_RANK
    priority: bool = False  # an urgent request (online triage): before everything else of its rank


Work = LiveCaller | DueCallback


def order_key(work: Work) -> tuple[int, int, dt.datetime, int]:
    if isinstance(work, LiveCaller):
        # On a tie the live caller goes first: they are holding the line right now.
        return (work.rank, 1, work.arrived_at, 0)
    return (work.rank, 0 if work.priority else 1, work.due_at, 1)


def next_work(
    now: dt.datetime,
    duties: Collection[Duty],
    live: Iterable[LiveCaller],
    callbacks: Iterable[DueCallback],
    *,
    busy_numbers: Collection[str] = (),
) -> Work | None:
    """The one piece of work a free assistant with these duties should get now, or None.

    Callbacks that are not yet due, or whose number is being called already, are never chosen.
    """
    candidates: list[Work] = []
    if "live" in duties:
        candidates += live
    if "callbacks" in duties:
        candidates += [c for c in callbacks if c.due_at <= now and c.phone not in busy_numbers]
    return min(candidates, key=order_key, default=None)
