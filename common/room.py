"""Room in a callback slot: the one rule both the planner and the atomic booking apply.

A slot holds ``capacity`` calls, of which ``reserved`` are held back for priority requests. Priority
bookings fill the reserve first, so an ordinary request fits while
``ordinary + max(reserved, priority) < capacity`` and a priority request while
``ordinary + priority < capacity``: ordinary bookings never eat into the reserve, and priority ones may
use every place.

The planner calls this with ints. The booking calls it with SQL column expressions and a ``greatest``
that builds the SQL maximum, so the database checks the very same expression in its conditional UPDATE.
Two spellings of the rule once drifted apart and sent callers round in circles (issue 8, defect 24).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# An int for the planner, a SQL column expression for the booking: anything with + - and >.
Amount = Any
Greatest = Callable[[Amount, Amount], Amount]


def places_left(
    capacity: int,
    reserved: int,
    ordinary: Amount,
    priority_booked: Amount,
    *,
    priority: bool,
    greatest: Greatest = max,
) -> Amount:
    """Return how many more requests of this kind the slot takes (may be negative when over-full)."""
    if priority:
        return capacity - ordinary - priority_booked
    return capacity - ordinary - greatest(reserved, priority_booked)


def has_room(
    capacity: int,
    reserved: int,
    ordinary: Amount,
    priority_booked: Amount,
    *,
    priority: bool,
    greatest: Greatest = max,
) -> Amount:
    """Return whether one more request of this kind fits (a bool, or a SQL condition)."""
    return (
        places_left(capacity, reserved, ordinary, priority_booked, priority=priority, greatest=greatest) > 0
    )
