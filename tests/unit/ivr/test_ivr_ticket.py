"""A waiting caller's ticket with the dispatcher: pause, back in her place, leave, and a restart's hold."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import pytest

from dialplan.schema import PracticeConfig
from ivr.queue.dispatcher import RING_OUT_PAUSE_SECONDS, Dispatcher
from ivr.queue.due import DueCallbacks
from ivr.queue.ticket import Ticket
from storage.models import CallbackRequest
from tests.fakes.ari import FakeAri
from tests.fakes.practice import START, demo_menu

HEADSETS = ("assistent1", "assistent2")


def at(minutes: float) -> dt.datetime:
    return START + dt.timedelta(minutes=minutes)


def now() -> dt.datetime:
    return START + dt.timedelta(seconds=asyncio.get_running_loop().time())


class Rig:
    """A Dispatcher on a FakeAri with two headsets for live callers and callbacks; dial-outs never end."""

    def __init__(self) -> None:
        menu = demo_menu()
        menu["headsets"] = {h: {"name": h, "duties": ["live", "callbacks"]} for h in HEADSETS}
        menu["spoed"]["headsets"] = list(HEADSETS)
        cfg = PracticeConfig.model_validate(menu)
        self.ari = FakeAri()
        self.ari.register(*HEADSETS)
        self.booked: list[CallbackRequest] = []
        self.dialled: list[int] = []
        self.tasks: list[asyncio.Task[object]] = []
        self.due = DueCallbacks(self._read, now)
        self.dispatcher = Dispatcher(
            self.ari, lambda: cfg, self.due, clock=now, spawn=self._spawn, dial_out=self._dial_out
        )

    def join(self, entry_id: int, arrived_at: dt.datetime, rank: int = 1) -> Ticket:
        return self.dispatcher.join(entry_id, rank, arrived_at)

    async def round(self) -> None:
        await self.due.refresh()
        await self.dispatcher.dispatch_once()
        await self.ari.settle()

    async def _read(self, moment: dt.datetime) -> list[CallbackRequest]:
        return list(self.booked)

    async def _dial_out(self, headset: str, request: CallbackRequest) -> bool:
        self.dialled.append(request.id)
        await asyncio.Event().wait()
        return True

    def _spawn(self, coro: Coroutine[Any, Any, object], name: str) -> None:
        self.tasks.append(asyncio.create_task(coro, name=name))

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    rig = Rig()
    yield rig
    await rig.close()


async def test_a_caller_typing_a_number_is_skipped_and_keeps_her_place(rig: Rig) -> None:
    """While the first caller is paused the next one is served; resumed, she is first again."""
    busy = rig.ari.busy("assistent2")
    typing, next_one, last = rig.join(1, at(0)), rig.join(2, at(1)), rig.join(3, at(2))
    assert rig.dispatcher.pause(typing)
    await rig.round()
    assert [typing.headset, next_one.headset] == [None, "assistent1"]
    rig.dispatcher.resume(typing)
    rig.ari.hang_up(busy)
    await rig.round()
    assert [typing.headset, last.headset] == ["assistent2", None]


async def test_a_caller_already_given_a_headset_cannot_be_paused(rig: Rig) -> None:
    """Pausing is refused once a headset was assigned: the caller is to be connected instead."""
    caller = rig.join(1, at(0))
    await rig.round()
    assert caller.headset is not None
    assert rig.dispatcher.pause(caller) is False


async def test_a_requeued_caller_gets_the_next_free_headset_before_later_callers(rig: Rig) -> None:
    """Her headset did not answer: she keeps her place, and the next free headset is hers, not a later one."""
    busy = rig.ari.busy("assistent2")
    first, later = rig.join(1, at(0)), rig.join(2, at(1))
    await rig.round()
    assert first.headset == "assistent1"
    old = first.assignment
    rig.dispatcher.requeue(first)
    assert first.headset is None and not first.assignment.done() and first.assignment is not old
    rig.ari.hang_up(busy)
    await rig.round()
    assert [first.headset, later.headset] == ["assistent2", None]


async def test_a_headset_that_let_a_caller_ring_out_rests_30_seconds(rig: Rig) -> None:
    """The headset the caller was given and did not answer gets nobody for 30 s, then the caller again."""
    rig.ari.busy("assistent2")
    caller = rig.join(1, at(0))
    await rig.round()
    rig.dispatcher.requeue(caller)
    await asyncio.sleep(RING_OUT_PAUSE_SECONDS - 1)
    await rig.round()
    assert caller.headset is None
    await asyncio.sleep(1)
    await rig.round()
    assert caller.headset == "assistent1"
    assert RING_OUT_PAUSE_SECONDS == 30


async def test_a_caller_who_leaves_just_as_she_is_assigned_frees_the_headset_at_once(rig: Rig) -> None:
    """Leaving releases the headset reserved for her with no pause: the next caller gets it next round."""
    rig.ari.busy("assistent2")
    leaving, next_one = rig.join(1, at(0)), rig.join(2, at(1))
    await rig.round()
    assert leaving.headset == "assistent1"
    rig.dispatcher.leave(leaving)
    await rig.round()
    assert next_one.headset == "assistent1"


async def test_a_caller_who_leaves_while_waiting_is_not_counted_or_served(rig: Rig) -> None:
    """A caller who hung up is gone from the line: the assignment is cancelled, nobody counts her."""
    rig.ari.busy("assistent1")
    rig.ari.busy("assistent2")
    gone, waiting = rig.join(1, at(0)), rig.join(2, at(1))
    assert rig.dispatcher.ahead_of(waiting) == 1
    rig.dispatcher.leave(gone)
    assert gone.assignment.cancelled()
    assert rig.dispatcher.ahead_of(waiting) == 0


async def test_nobody_is_connected_until_the_callers_from_before_a_restart_are_back(rig: Rig) -> None:
    """With two callers expected back, a new caller and a due callback wait until both have joined."""
    rig.dispatcher.expect({1, 2})
    newcomer = rig.join(3, at(5))
    rig.booked.append(CallbackRequest(id=9, phone="0612000009", kind="slot", due_at=at(2)))
    await rig.round()
    assert newcomer.headset is None and rig.dialled == []
    back_first = rig.join(1, at(0))
    await rig.round()
    assert back_first.headset is None, "one expected caller is still missing"
    back_second = rig.join(2, at(1))
    await rig.round()
    assert sorted([back_first.headset, back_second.headset]) == list(HEADSETS), "the earlier callers first"
    assert newcomer.headset is None and rig.dialled == []


async def test_the_restart_hold_ends_at_its_deadline_when_a_caller_never_comes_back(rig: Rig) -> None:
    """An expected caller who is gone for good holds the line only until the deadline passes."""
    rig.dispatcher.expect({1}, seconds=5)
    newcomer = rig.join(3, at(5))
    await asyncio.sleep(4.9)
    await rig.round()
    assert newcomer.headset is None
    await asyncio.sleep(0.1)
    await rig.round()
    assert newcomer.headset is not None


async def test_the_position_counts_earlier_callers_and_kept_places_before_her(rig: Rig) -> None:
    """Ahead of a patient: callers of lower rank or earlier arrival, and places kept from before she came."""
    for headset in HEADSETS:
        rig.ari.busy(headset)
    early, caller, later = rig.join(1, at(0)), rig.join(3, at(2)), rig.join(4, at(4))
    rig.join(2, at(3), rank=0)  # a colleague, after her but first in line
    rig.booked += [
        CallbackRequest(id=7, phone="0612000007", kind="kept_place", due_at=at(1)),
        CallbackRequest(id=8, phone="0612000008", kind="kept_place", due_at=at(2.5)),
        CallbackRequest(id=9, phone="0612000009", kind="slot", due_at=at(-5)),  # not a place in line
    ]
    await rig.round()
    assert rig.dispatcher.ahead_of(early) == 1  # the colleague
    assert rig.dispatcher.ahead_of(caller) == 3  # early, the colleague and the place kept at 09:01
    assert rig.dispatcher.ahead_of(later) == 5


async def test_a_colleague_is_not_told_that_patients_kept_places_are_ahead_of_her(rig: Rig) -> None:
    """Kept places are patients (rank 1): an intercollegiaal caller (rank 0) goes before them, as told."""
    for headset in HEADSETS:
        rig.ari.busy(headset)
    colleague = rig.join(2, at(3), rank=0)
    rig.booked += [
        CallbackRequest(id=7, phone="0612000007", kind="kept_place", due_at=at(1)),
        CallbackRequest(id=8, phone="0612000008", kind="kept_place", due_at=at(2)),
    ]
    await rig.round()
    assert rig.dispatcher.ahead_of(colleague) == 0
