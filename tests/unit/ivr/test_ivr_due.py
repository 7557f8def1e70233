"""The due callbacks list: read by its own task, never acted on when stale, and waking the dispatcher."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import pytest
from structlog.testing import capture_logs

from dialplan.schema import PracticeConfig
from ivr import log_events as ev
from ivr.db.door import StoreUnavailable
from ivr.queue.dispatcher import POLL_SECONDS, Dispatcher
from ivr.queue.due import DueCallbacks
from storage.models import CallbackRequest
from tests.fakes.ari import FakeAri
from tests.fakes.practice import START, demo_menu


def now() -> dt.datetime:
    return START + dt.timedelta(seconds=asyncio.get_running_loop().time())


def request(request_id: int, minutes: float = -1, kind: str = "slot") -> CallbackRequest:
    due_at = START + dt.timedelta(minutes=minutes)
    return CallbackRequest(id=request_id, phone=f"06120000{request_id:02d}", kind=kind, due_at=due_at)


class Store:
    """What the database says is due; `broken` makes a read fail, `hung` makes it never answer."""

    def __init__(self) -> None:
        self.rows: list[CallbackRequest] = []
        self.broken = False
        self.hung = False
        self.reads = 0

    async def read(self, moment: dt.datetime) -> list[CallbackRequest]:
        self.reads += 1
        await asyncio.sleep(0)
        if self.hung:
            await asyncio.Event().wait()
        if self.broken:
            raise StoreUnavailable("database timed out")
        return [r for r in self.rows if r.due_at <= moment]


@pytest.fixture
async def tasks() -> AsyncIterator[list[asyncio.Task[Any]]]:
    """Background tasks a test starts; cancelled at its end."""
    started: list[asyncio.Task[Any]] = []
    yield started
    for task in started:
        task.cancel()
    await asyncio.gather(*started, return_exceptions=True)


def ids(requests: list[CallbackRequest]) -> list[int]:
    return [r.id for r in requests]


async def test_a_list_never_read_gives_nothing() -> None:
    """Before the first read there is nothing to hand out."""
    store = Store()
    store.rows = [request(1)]
    assert DueCallbacks(store.read, now).fresh() == []


async def test_a_list_older_than_stale_after_gives_nothing_until_read_again() -> None:
    """The list is acted on for 10 s after a read; after that no callbacks until the next good read."""
    store = Store()
    store.rows = [request(1)]
    due = DueCallbacks(store.read, now, stale_after=10)
    await due.refresh()
    await asyncio.sleep(10)
    assert ids(due.fresh()) == [1]
    await asyncio.sleep(0.5)
    assert due.fresh() == []
    await due.refresh()
    assert ids(due.fresh()) == [1]


async def test_a_failed_read_keeps_the_old_list_and_its_age() -> None:
    """A read that fails changes nothing: the old list stands, and still goes stale from its own read."""
    store = Store()
    store.rows = [request(1)]
    due = DueCallbacks(store.read, now, stale_after=10)
    await due.refresh()
    store.broken = True
    store.rows = [request(1), request(2)]
    await asyncio.sleep(6)
    await due.refresh()
    assert ids(due.fresh()) == [1]
    await asyncio.sleep(5)
    await due.refresh()
    assert due.fresh() == [], "the age counts from the last read that worked"
    assert ids(due.last) == [1]


async def test_stale_is_logged_once_per_stale_period() -> None:
    """An operator sees one warning when the list goes stale, not one per dispatch round."""
    store = Store()
    due = DueCallbacks(store.read, now, stale_after=10)
    await due.refresh()
    await asyncio.sleep(11)
    with capture_logs() as logs:
        for _ in range(5):
            due.fresh()
        await due.refresh()
        await asyncio.sleep(11)
        due.fresh()
    assert [e["event"] for e in logs].count(ev.DUE_CALLBACKS_STALE) == 2


async def test_a_forgotten_request_is_left_out_until_the_next_read() -> None:
    """forget() drops a request just called; the next read says whether it is due again."""
    store = Store()
    store.rows = [request(1), request(2)]
    due = DueCallbacks(store.read, now)
    await due.refresh()
    due.forget(1)
    assert ids(due.fresh()) == [2]
    await due.refresh()
    assert ids(due.fresh()) == [1, 2]


async def test_on_change_is_called_only_when_the_list_changes() -> None:
    """A read that brings the same requests does not wake anyone; a new due request does."""
    store = Store()
    store.rows = [request(1), request(2, minutes=1)]
    changes: list[float] = []
    due = DueCallbacks(store.read, now, on_change=lambda: changes.append(asyncio.get_running_loop().time()))
    await due.refresh()
    await due.refresh()
    assert changes == [0.0]
    await asyncio.sleep(60)
    await due.refresh()
    assert changes == [0.0, 60.0]


async def test_the_list_is_read_every_period_once_ready(tasks: list[asyncio.Task[Any]]) -> None:
    """run() reads nothing before the recovery says ready, then once every `every` seconds."""
    store = Store()
    store.rows = [request(1, minutes=0.1)]  # due at 09:00:06
    due = DueCallbacks(store.read, now, every=2)
    tasks.append(asyncio.create_task(due.run()))
    await asyncio.sleep(3)
    assert store.reads == 0, "no read while the attempts of a previous controller may still be open"
    due.ready.set()
    await asyncio.sleep(2.5)
    assert due.fresh() == [] and store.reads == 2
    await asyncio.sleep(2)
    assert ids(due.fresh()) == [1] and store.reads == 3


async def test_a_place_kept_since_the_last_read_is_due_at_once_even_on_a_stale_list() -> None:
    """add() puts a kept place in line at once, in arrival order; the next good read is the truth again."""
    store = Store()
    store.rows = [request(1, minutes=-5), request(3, minutes=-1)]
    changes: list[int] = []
    due = DueCallbacks(store.read, now, on_change=lambda: changes.append(1), stale_after=10)
    await due.refresh()
    due.add(request(2, minutes=-3, kind="kept_place"))
    assert ids(due.fresh()) == [1, 2, 3] and len(changes) == 2
    await asyncio.sleep(11)
    assert ids(due.fresh()) == [2], "the stale list is not acted on, the place just kept is"
    await due.refresh()
    assert ids(due.fresh()) == [1, 3], "the database did not list it (called meanwhile)"


class Rig:
    """A running Dispatcher whose DueCallbacks wakes it, as the composition root wires them."""

    def __init__(self, store: Store, tasks: list[asyncio.Task[Any]], every: float = 0.25) -> None:
        menu = demo_menu()
        menu["headsets"] = {"assistent1": {"name": "A1", "duties": ["live", "callbacks"]}}
        menu["spoed"]["headsets"] = ["assistent1"]
        cfg = PracticeConfig.model_validate(menu)
        self.ari = FakeAri()
        self.ari.register("assistent1")
        self.tasks = tasks
        self.started: list[tuple[int, float]] = []
        self.dialling = asyncio.Event()
        self.due = DueCallbacks(store.read, now, on_change=lambda: self.dispatcher.wake(), every=every)
        self.dispatcher = Dispatcher(
            self.ari, lambda: cfg, self.due, clock=now, spawn=self._spawn, dial_out=self._dial_out
        )
        self.due.ready.set()  # no attempts left open by an earlier controller
        tasks.append(asyncio.create_task(self.due.run()))
        tasks.append(asyncio.create_task(self.dispatcher.run()))

    async def _dial_out(self, headset: str, req: CallbackRequest) -> bool:
        self.started.append((req.id, asyncio.get_running_loop().time()))
        self.dialling.set()
        await asyncio.Event().wait()
        return True

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        self.tasks.append(asyncio.create_task(coro, name=name))


async def test_a_request_that_becomes_due_wakes_the_dispatcher_at_once(
    tasks: list[asyncio.Task[Any]],
) -> None:
    """The read that finds a new due request starts the callback then, not at the next 1 s poll."""
    store = Store()
    rig = Rig(store, tasks, every=0.25)
    await asyncio.sleep(0.3)
    store.rows = [request(1)]
    await asyncio.wait_for(rig.dialling.wait(), 5)
    assert rig.started == [(1, 0.5)]
    assert POLL_SECONDS == 1.0


async def test_a_caller_joining_is_served_without_waiting_for_the_poll(
    tasks: list[asyncio.Task[Any]],
) -> None:
    """join() wakes the dispatcher: a caller gets the free headset at the moment she joins."""
    rig = Rig(Store(), tasks)
    await asyncio.sleep(0.4)
    ticket = rig.dispatcher.join(1, 1, now())
    headset = await asyncio.wait_for(ticket.assignment, 5)
    assert headset == "assistent1"
    assert asyncio.get_running_loop().time() == pytest.approx(0.4)


async def test_a_hung_database_stops_callbacks_but_never_live_callers(tasks: list[asyncio.Task[Any]]) -> None:
    """Once the due list is stale its callbacks are not made; a caller on the line is served all along."""
    store = Store()
    rig = Rig(store, tasks, every=1.0)
    rig.ari.busy("assistent1")
    store.rows = [request(1)]
    await asyncio.sleep(2)
    store.hung = True
    await asyncio.sleep(12)  # the list read at 1 s is older than 10 s now
    rig.ari.hang_up(next(iter(rig.ari.channels)))
    ticket = rig.dispatcher.join(1, 1, now())
    assert await asyncio.wait_for(ticket.assignment, 2) == "assistent1"
    assert rig.started == [], "the callback of the stale list was not made"


async def test_a_dispatch_round_that_fails_does_not_stop_the_queue(tasks: list[asyncio.Task[Any]]) -> None:
    """An error in one round is logged and the next round serves the waiting caller."""
    store = Store()
    rig = Rig(store, tasks)
    broken = {"rounds": 2}
    real = rig.dispatcher.config

    def config() -> PracticeConfig:
        if broken["rounds"]:
            broken["rounds"] -= 1
            raise RuntimeError("a bug in one round")
        return real()

    rig.dispatcher.config = config
    with capture_logs() as logs:
        ticket = rig.dispatcher.join(1, 1, now())
        assert await asyncio.wait_for(ticket.assignment, 5) == "assistent1"
    assert "dispatch_failed" in [e["event"] for e in logs]
