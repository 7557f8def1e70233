"""The call trace's writer: a database that is away or hung never touches a call, what was recorded is
written once when it is back, and a full buffer drops the oldest events with one warning."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import select
from structlog.testing import capture_logs

from ivr.db.practice import PracticeIdentity, PracticeRegistry
from ivr.trace import CallTrace
from storage.call_events import EventKind as K
from storage.call_events import record_call_events
from storage.db import make_engine, session_factory
from storage.migrate import upgrade
from storage.models import CallEvent
from tests.fakes.db import RealWorkDatabase
from tests.fakes.loop import current
from tests.fakes.practice import START, FakePractice, demo_menu
from tests.fakes.trace import traces

T = TypeVar("T")
HEADSETS = ("assistent1", "assistent2", "assistent3")


def now() -> float:
    return asyncio.get_running_loop().time()


def clock() -> dt.datetime:
    return START + dt.timedelta(seconds=now())


class SlowOnce(RealWorkDatabase):
    """The first event write takes 5 s (past the door's 3 s deadline) and then commits all the same."""

    slow = True

    async def _call(self, work: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        if work is record_call_events and self.slow:
            self.slow = False
            await asyncio.sleep(5)
        return await super()._call(work, *args, **kwargs)


class Refusing(RealWorkDatabase):
    """Event writes fail at once (a refused connection) until `refuse` is cleared."""

    refuse = True

    async def _call(self, work: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        if work is record_call_events and self.refuse:
            raise OSError("connection refused")
        return await super()._call(work, *args, **kwargs)


async def door(tmp_path: Path, kind: type[RealWorkDatabase] = RealWorkDatabase) -> RealWorkDatabase:
    url = f"sqlite+aiosqlite:///{tmp_path / 'trace.sqlite3'}"
    with current().real_work():
        await upgrade(url)
    return kind(session_factory(make_engine(url)))


def trace_on(db: RealWorkDatabase, **options: Any) -> CallTrace:
    registry = PracticeRegistry(db, PracticeIdentity(key="test", name="Test", number="0201234567"))
    return CallTrace(db, registry, clock, **options)


async def stored(db: RealWorkDatabase) -> list[CallEvent]:
    with current().real_work():
        async with db.sessions() as session:
            return list(await session.scalars(select(CallEvent).order_by(CallEvent.id)))


@pytest.fixture
async def practice(tmp_path: Path) -> AsyncIterator[FakePractice]:
    practice = FakePractice(tmp_path, demo_menu())
    await practice.start()
    yield practice
    await practice.close()


async def test_a_hung_database_leaves_spoed_alone_and_the_events_are_written_once_it_answers(
    practice: FakePractice,
) -> None:
    """Event writes hang: spoed rings at the key and is answered as usual; the events wait in memory and
    are all written, once each, after the database answers again."""
    ari = practice.ari
    practice.db.hang(record_call_events)
    with capture_logs() as logs:
        caller = practice.calls_in("0612000501")
        await practice.heard(caller, "welkom")
        ari.press(caller, "1")
        pressed = now()
        await ari.until(lambda: all(ari.ringing(h) for h in HEADSETS), 5, "headsets ringing")
        assert now() == pressed, "the headsets ring at once, whatever the trace is doing"
        await asyncio.sleep(4)
        ari.pick_up(ari.ringing("assistent1")[0])
        await ari.until(lambda: any(caller in b for b in ari.bridges.values()), 5, "bridged")
        ari.hang_up(caller)
        await ari.until(lambda: not practice.controller.calls.all(), 10, "the call task to end")
        assert practice.trace.buffered == 5 and practice.trace.writing_fails
        assert await stored(practice.db) == []
        practice.db.unhang(record_call_events)
        assert await practice.trace.flush(seconds=120)
    [call] = await traces(practice)
    assert call.kinds == [K.CALL_ARRIVED, K.MENU_CHOICE, K.SPOED_STARTED, K.SPOED_ANSWERED, K.CALL_ENDED]
    assert call.one(K.SPOED_ANSWERED).detail["seconds"] == pytest.approx(4.0, abs=0.01)
    warned = [e for e in logs if e["event"] == "call_events_waiting"]
    assert len(warned) == 1 and warned[0]["log_level"] == "warning"


async def test_a_write_that_timed_out_but_committed_is_not_stored_twice(tmp_path: Path) -> None:
    """The first write outlives its deadline and commits late: the retry adds nothing twice."""
    db = await door(tmp_path, SlowOnce)
    db.open()
    trace = trace_on(db)
    trace.start()
    first = [trace.record("c1", K.CALL_ARRIVED, caller="number"), trace.record("c1", K.OUTSIDE_HOURS)]
    await asyncio.sleep(1)
    trace.record("c1", K.CALL_ENDED, reason="completed", seconds=1.0)
    assert await trace.flush(seconds=120)
    rows = await stored(db)
    assert [r.kind for r in rows] == [K.CALL_ARRIVED, K.OUTSIDE_HOURS, K.CALL_ENDED]
    assert [r.at for r in rows[:2]] == first
    await trace.stop()
    await db.drain()


async def test_a_full_buffer_drops_the_oldest_events_with_one_warning(tmp_path: Path) -> None:
    """With the database away, 8 events in a buffer of 5: the 3 oldest go, counted in one warning."""
    db = await door(tmp_path)  # not opened: the schema is "not ready", nothing can be written
    trace = trace_on(db, capacity=5)
    trace.start()
    with capture_logs() as logs:
        for n in range(8):
            trace.record(f"c{n}", K.CALL_ARRIVED, caller="number")
            await asyncio.sleep(1)
        assert (trace.buffered, trace.dropped) == (5, 3)
        db.open()
        assert await trace.flush()
    assert [r.call_id for r in await stored(db)] == ["c3", "c4", "c5", "c6", "c7"]
    dropped = [e for e in logs if e["event"] == "call_events_dropped"]
    assert [(e["dropped"], e["log_level"]) for e in dropped] == [(3, "warning")]
    await trace.stop()


async def test_a_graceful_stop_writes_what_is_buffered(tmp_path: Path) -> None:
    """Events recorded just before the stop are in the database after it."""
    db = await door(tmp_path)
    db.open()
    trace = trace_on(db)
    trace.start()
    trace.record("c1", K.CALL_ARRIVED, caller="withheld")
    trace.record("c1", K.CALL_ENDED, reason="controller_stopped", seconds=0.0)
    await trace.stop()
    assert [r.kind for r in await stored(db)] == [K.CALL_ARRIVED, K.CALL_ENDED]


async def test_a_stop_during_the_pause_after_a_failure_tries_once_more_at_once(tmp_path: Path) -> None:
    """The database came back during the writer's pause: the stop does not wait out the pause."""
    db = await door(tmp_path, Refusing)
    db.open()
    trace = trace_on(db, retry_seconds=60)
    trace.start()
    trace.record("c1", K.CALL_ARRIVED, caller="number")
    await asyncio.sleep(1)
    assert trace.writing_fails
    db.refuse = False  # type: ignore[attr-defined]
    began = now()
    await trace.stop(seconds=3)
    assert now() == began
    assert [r.kind for r in await stored(db)] == [K.CALL_ARRIVED]


async def test_a_stop_with_the_database_hung_ends_within_its_deadline(tmp_path: Path) -> None:
    """A hung database holds the stop only its few seconds; what could not be written is counted."""
    db = await door(tmp_path)
    db.open()
    db.hang(record_call_events)
    trace = trace_on(db)
    trace.start()
    trace.record("c1", K.CALL_ARRIVED, caller="number")
    began = now()
    with capture_logs() as logs:
        await trace.stop(seconds=3)
    assert now() - began <= 3.01
    assert [e["events"] for e in logs if e["event"] == "call_events_lost_at_stop"] == [1]


async def test_a_detail_is_stored_as_json_and_stamped_by_the_injected_clock(tmp_path: Path) -> None:
    """Times become ISO text, anything else its text; the event's time is the trace's clock."""
    db = await door(tmp_path)
    db.open()
    trace = trace_on(db)
    trace.start()
    await asyncio.sleep(42)
    at = trace.record("c1", K.ATTEMPT_STARTED, due_at=START, odd=object, none=None)
    assert at == START + dt.timedelta(seconds=42)
    assert await trace.flush()
    [row] = await stored(db)
    assert row.at == at
    assert row.detail == {"due_at": START.isoformat(), "odd": str(object), "none": None}
    await trace.stop()
