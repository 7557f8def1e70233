"""The dispatcher itself on the fake ARI: which free headset gets which work, one piece each."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import pytest

from dialplan.schema import PracticeConfig
from ivr.queue.dispatcher import Dispatcher
from ivr.queue.due import DueCallbacks
from ivr.queue.ticket import Ticket
from storage.models import CallbackRequest
from tests.fakes.ari import FakeAri, unavailable
from tests.fakes.practice import START, demo_menu

BOTH = ["live", "callbacks"]


def config(**duties: list[str]) -> PracticeConfig:
    menu = demo_menu()
    menu["headsets"] = {name: {"name": name, "duties": list(d)} for name, d in duties.items()}
    menu["spoed"]["headsets"] = list(duties)
    return PracticeConfig.model_validate(menu)


def at(minutes: float) -> dt.datetime:
    return START + dt.timedelta(minutes=minutes)


class Rig:
    """A Dispatcher on a FakeAri, its due list read from `booked`, its dial-outs held until `finish`."""

    def __init__(self, **duties: list[str]) -> None:
        cfg = config(**duties)
        self.ari = FakeAri()
        self.ari.register(*cfg.headsets)
        self.booked: list[CallbackRequest] = []
        self.due = DueCallbacks(self._read, self.now)
        self.dialled: list[tuple[str, int]] = []
        self._answer: dict[int, asyncio.Future[bool]] = {}
        self.tasks: list[asyncio.Task[Any]] = []
        self.dispatcher = Dispatcher(
            self.ari, lambda: cfg, self.due, clock=self.now, spawn=self._spawn, dial_out=self._dial_out
        )

    def now(self) -> dt.datetime:
        return START + dt.timedelta(seconds=asyncio.get_running_loop().time())

    def book(self, request_id: int, phone: str, due_at: dt.datetime) -> None:
        self.booked.append(CallbackRequest(id=request_id, phone=phone, kind="slot", due_at=due_at))

    def join(self, entry_id: int, arrived_at: dt.datetime, rank: int = 1) -> Ticket:
        return self.dispatcher.join(entry_id, rank, arrived_at)

    async def round(self) -> None:
        """One dispatch round on a fresh due list (every booked request, due or not)."""
        await self.due.refresh()
        await self.dispatcher.dispatch_once()
        await self.ari.settle()

    async def finish(self, request_id: int, *, answered: bool = True) -> None:
        """The dial-out of `request_id` ends; the request is no longer booked."""
        self.booked = [r for r in self.booked if r.id != request_id]
        self._answer[request_id].set_result(answered)
        await self.ari.settle()

    async def _read(self, now: dt.datetime) -> list[CallbackRequest]:
        return sorted(self.booked, key=lambda r: r.due_at)

    async def _dial_out(self, headset: str, request: CallbackRequest) -> bool:
        self.dialled.append((headset, request.id))
        self._answer[request.id] = asyncio.get_running_loop().create_future()
        return await self._answer[request.id]

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        self.tasks.append(asyncio.create_task(coro, name=name))

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


@pytest.fixture
async def make() -> AsyncIterator[Callable[..., Rig]]:
    """Build rigs; their dial-outs still running at the end are cancelled."""
    rigs: list[Rig] = []

    def build(**duties: list[str]) -> Rig:
        rigs.append(Rig(**duties))
        return rigs[-1]

    yield build
    for rig in rigs:
        await rig.close()


def served(*tickets: Ticket) -> list[str | None]:
    return [t.headset for t in tickets]


async def test_a_free_headset_gets_the_lowest_rank_first_then_the_earliest_arrival(
    make: Callable[..., Rig],
) -> None:
    """A colleague (rank 0) goes before patients who came earlier; patients go by arrival."""
    rig = make(assistent1=BOTH)
    later, earlier = rig.join(1, at(2)), rig.join(2, at(1))
    colleague = rig.join(3, at(3), rank=0)
    await rig.round()
    assert served(colleague, earlier, later) == ["assistent1", None, None]
    for ticket in (colleague, earlier):
        rig.dispatcher.release("assistent1", answered=True)
        rig.dispatcher.leave(ticket)
        await rig.round()
    assert later.headset == "assistent1"


async def test_two_free_headsets_take_the_two_first_callers_one_each(make: Callable[..., Rig]) -> None:
    """Each free headset gets one caller; the third caller waits for the next free headset."""
    rig = make(assistent1=BOTH, assistent2=BOTH)
    first, second, third = rig.join(1, at(0)), rig.join(2, at(1)), rig.join(3, at(2))
    await rig.round()
    assert sorted(served(first, second)) == ["assistent1", "assistent2"]
    assert third.headset is None
    await rig.round()
    assert third.headset is None, "a headset still reserved for a caller is not free"


async def test_a_due_callback_takes_its_turn_by_time_among_live_callers(make: Callable[..., Rig]) -> None:
    """Caller from 08:58, callback due 08:59, caller from 09:00: served in exactly that order."""
    rig = make(assistent1=BOTH)
    rig.book(7, "0612000001", at(-1))
    earlier, later = rig.join(1, at(-2)), rig.join(2, at(0))
    await rig.round()
    assert served(earlier, later) == ["assistent1", None] and rig.dialled == []
    rig.dispatcher.release("assistent1", answered=True)
    rig.dispatcher.leave(earlier)
    await rig.round()
    assert rig.dialled == [("assistent1", 7)] and later.headset is None
    await rig.finish(7)
    await rig.round()
    assert later.headset == "assistent1"


async def test_a_callback_is_never_started_before_its_due_time(make: Callable[..., Rig]) -> None:
    """A callback due at 09:01 is not dialled at 09:00:59 even with a free headset and nobody waiting."""
    rig = make(assistent1=BOTH)
    rig.book(7, "0612000001", at(1))
    await rig.round()
    await asyncio.sleep(59)
    await rig.round()
    assert rig.dialled == []
    await asyncio.sleep(1)
    await rig.round()
    assert rig.dialled == [("assistent1", 7)]


async def test_a_live_only_headset_never_gets_a_callback(make: Callable[..., Rig]) -> None:
    """With only a due callback waiting, a headset on live duty gets nothing; a caller she gets."""
    rig = make(assistent2=["live"], assistent3=["callbacks"])
    rig.ari.busy("assistent3")  # the terugbel-specialist is on the phone
    rig.book(7, "0612000001", at(-10))
    await rig.round()
    assert rig.dialled == []
    caller = rig.join(1, at(0))
    await rig.round()
    assert caller.headset == "assistent2" and rig.dialled == []


async def test_a_callbacks_only_headset_never_gets_a_live_caller(make: Callable[..., Rig]) -> None:
    """A caller waiting since long is not given to the terugbel-specialist; a due callback is."""
    rig = make(assistent2=["live"], assistent3=["callbacks"])
    rig.ari.busy("assistent2")  # the desk assistant is on the phone
    caller = rig.join(1, at(-10))
    await rig.round()
    assert caller.headset is None
    rig.book(7, "0612000001", at(-1))
    await rig.round()
    assert rig.dialled == [("assistent3", 7)] and caller.headset is None


async def test_each_headset_gets_the_work_of_its_own_duty_in_one_round(make: Callable[..., Rig]) -> None:
    """A live-only and a callbacks-only headset free together: the caller and the callback both go."""
    rig = make(assistent2=["live"], assistent3=["callbacks"])
    rig.book(7, "0612000001", at(-5))
    caller = rig.join(1, at(-1))
    await rig.round()
    assert caller.headset == "assistent2"
    assert rig.dialled == [("assistent3", 7)]


async def test_never_more_callbacks_at_once_than_free_headsets(make: Callable[..., Rig]) -> None:
    """Four due callbacks and two free headsets: two are dialled; the third only when one ends."""
    rig = make(assistent1=BOTH, assistent2=BOTH)
    for n in range(4):
        rig.book(10 + n, f"061200001{n}", at(-10 + n))
    await rig.round()
    await rig.round()
    assert sorted(r for _, r in rig.dialled) == [10, 11]
    headset_of_10 = dict((r, h) for h, r in rig.dialled)[10]
    await rig.finish(10)
    await rig.round()
    assert rig.dialled[2] == (headset_of_10, 12)
    assert len(rig.dialled) == 3


@pytest.mark.parametrize("why", ["busy", "offline", "unreachable", "unknown"])
async def test_a_headset_that_is_not_free_gets_nothing(make: Callable[..., Rig], why: str) -> None:
    """A headset in a call of its own, unregistered, not answering ARI or unknown gets no caller."""
    rig = make(assistent1=BOTH, assistent2=BOTH)
    if why == "busy":
        rig.ari.busy("assistent1")
    elif why == "offline":
        rig.ari.register("assistent1", online=False)
    elif why == "unreachable":
        rig.ari.fail("endpoint", unavailable, times=10, match=lambda p: p["resource"] == "assistent1")
    else:
        del rig.ari.endpoints["assistent1"]
    caller = rig.join(1, at(0))
    rig.book(7, "0612000001", at(-1))
    await rig.round()
    # assistent1 comes first in the practice's list: were she taken for free, she would get the callback.
    assert rig.dialled == [("assistent2", 7)]
    assert caller.headset is None


async def test_a_headset_comes_free_when_her_own_call_ends(make: Callable[..., Rig]) -> None:
    """The caller waits while every headset is on the phone, and gets the first one that hangs up."""
    rig = make(assistent1=BOTH)
    busy = rig.ari.busy("assistent1")
    caller = rig.join(1, at(0))
    await rig.round()
    assert caller.headset is None
    rig.ari.hang_up(busy)
    await rig.round()
    assert caller.headset == "assistent1"


async def test_one_number_is_never_dialled_twice_at_once(make: Callable[..., Rig]) -> None:
    """Two requests for one phone: the second waits until the first call ends, another number goes on."""
    rig = make(assistent1=BOTH, assistent2=BOTH)
    rig.book(1, "0612000001", at(-3))
    rig.book(2, "0612000001", at(-2))
    rig.book(3, "0612000003", at(-1))
    await rig.round()
    assert sorted(r for _, r in rig.dialled) == [1, 3]
    await rig.finish(1, answered=False)
    await rig.round()
    assert [r for _, r in rig.dialled] == [1, 3], "the headset that did not answer rests first"
    await rig.finish(3)
    await rig.round()
    assert [r for _, r in rig.dialled] == [1, 3, 2]


async def test_a_headset_that_did_not_answer_a_callback_rests_30_seconds(make: Callable[..., Rig]) -> None:
    """A headset that did not answer a callback gets no work for 30 s; after an answered one, at once."""
    rig = make(assistent1=BOTH)
    for n in (1, 2, 3):
        rig.book(n, f"061200000{n}", at(-4 + n))
    await rig.round()
    await rig.finish(1, answered=False)
    await asyncio.sleep(29)
    await rig.round()
    assert [r for _, r in rig.dialled] == [1]
    await asyncio.sleep(1)
    await rig.round()
    assert [r for _, r in rig.dialled] == [1, 2]
    await rig.finish(2, answered=True)
    await rig.round()
    assert [r for _, r in rig.dialled] == [1, 2, 3]
    assert rig.dispatcher.dialling() == {3}
