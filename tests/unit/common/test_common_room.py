"""The one rule for room in a callback slot, shared by the planner (ints) and the booking (SQL)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from common.room import has_room, places_left


@pytest.mark.parametrize(
    ("capacity", "reserved", "ordinary", "priority_booked", "priority", "left"),
    [
        (3, 1, 0, 0, False, 2),  # the reserve is held back from ordinary callers
        (3, 1, 0, 0, True, 3),  # priority callers may use every place
        (3, 1, 1, 1, False, 1),  # defect 24: the priority booking sits in the reserve
        (3, 1, 1, 2, False, 0),  # priority overflowing the reserve takes ordinary places
        (3, 1, 2, 0, False, 0),  # ordinary callers never eat into the reserve
        (3, 1, 2, 0, True, 1),
        (3, 0, 3, 0, True, 0),
    ],
)
def test_places_left_with_ints(
    capacity: int, reserved: int, ordinary: int, priority_booked: int, priority: bool, left: int
) -> None:
    """Ordinary: capacity - ordinary - max(reserved, priority); priority: capacity - ordinary - priority."""
    assert places_left(capacity, reserved, ordinary, priority_booked, priority=priority) == left
    assert has_room(capacity, reserved, ordinary, priority_booked, priority=priority) is (left > 0)


def test_the_given_greatest_builds_the_maximum() -> None:
    """The `greatest` callable is what takes the maximum, so SQL can supply its own."""
    calls: list[tuple[Any, Any]] = []

    def recording_max(a: Any, b: Any) -> Any:
        calls.append((a, b))
        return max(a, b)

    assert places_left(5, 2, 1, 1, priority=False, greatest=recording_max) == 2
    assert calls == [(2, 1)]
    assert places_left(5, 2, 1, 1, priority=True, greatest=recording_max) == 3
    assert calls == [(2, 1)]


@given(
    st.integers(1, 20).flatmap(
        lambda c: st.tuples(st.just(c), st.integers(0, c - 1), st.integers(0, c), st.integers(0, c))
    )
)
def test_filling_by_the_rule_never_overfills(slot: tuple[int, int, int, int]) -> None:
    """Booking only where the rule sees room keeps ordinary out of the reserve and never overfills."""
    capacity, reserved, ordinary, priority_booked = slot
    assume(ordinary + priority_booked <= capacity and ordinary <= capacity - reserved)  # reachable
    if has_room(capacity, reserved, ordinary, priority_booked, priority=False):
        assert ordinary + 1 <= capacity - reserved
        assert ordinary + 1 + priority_booked <= capacity
    if has_room(capacity, reserved, ordinary, priority_booked, priority=True):
        assert ordinary + priority_booked + 1 <= capacity
