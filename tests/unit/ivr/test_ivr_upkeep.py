"""Callback upkeep on a real SQLite database: recovery waits for the database, then a sweep every minute."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select
from structlog.testing import capture_logs

from capacity.config import CapacityConfig
from dialplan.schema import PracticeConfig
from ivr import log_events as ev
from ivr.callback.store import CallbackStore
from ivr.callback.upkeep import RECOVERY_RETRY_SECONDS, SWEEP_EVERY_SECONDS, recover_then_sweep
from ivr.db.practice import PracticeIdentity, PracticeRegistry
from storage import recovery
from storage.attempts import claim_callback, mark_patient_answered, recover_in_progress
from storage.bookings import book_callback
from storage.db import make_engine, session_factory
from storage.migrate import upgrade
from storage.models import CallbackRequest
from tests.fakes.db import RealWorkDatabase
from tests.fakes.loop import current
from tests.fakes.practice import START, demo_menu

IDENTITY = PracticeIdentity(key="de-linde", name="De Linde", number="0201234567")
CONFIG = PracticeConfig.model_validate(demo_menu())


def now() -> dt.datetime:
    return START + dt.timedelta(seconds=asyncio.get_running_loop().time())


@dataclass
class Upkeep:
    setup: RealWorkDatabase  # the test's own way in, open from the start
    door: RealWorkDatabase  # the controller's door: closed until the test opens it
    store: CallbackStore
    owned: set[int]

    async def open_attempt(self, phone: str, *, answered: bool = False, age_minutes: int = 0) -> int:
        """A request whose attempt a controller started `age_minutes` ago and never finished."""
        practice_id = await PracticeRegistry(self.setup, IDENTITY).id()
        started = now() - dt.timedelta(minutes=age_minutes)
        slot = started - dt.timedelta(minutes=5)
        request = await self.setup.run(
            book_callback,
            practice_id=practice_id,
            slot_start=slot,
            slot_end=slot + dt.timedelta(minutes=15),
            capacity=10,
            phone=phone,
            number_source="caller_id",
        )
        assert request is not None
        attempt = await self.setup.run(claim_callback, request.id, headset="assistent3", now=started)
        assert attempt is not None
        if answered:
            await self.setup.run(mark_patient_answered, attempt.id, started)
        return attempt.id

    async def statuses(self) -> dict[str, str]:
        with current().real_work():
            async with self.setup.sessions() as session:
                rows = await session.execute(select(CallbackRequest.phone, CallbackRequest.status))
                return {phone: status for phone, status in rows.all()}


@pytest.fixture
async def upkeep(tmp_path: Path) -> AsyncIterator[Upkeep]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'terugbel.sqlite3'}"
    with current().real_work():
        await upgrade(url)
    engine = make_engine(url)
    setup = RealWorkDatabase(session_factory(engine))
    setup.open()
    door = RealWorkDatabase(session_factory(engine))
    store = CallbackStore(door, PracticeRegistry(door, IDENTITY), CapacityConfig)
    yield Upkeep(setup, door, store, set())
    await door.drain()
    await setup.drain()
    with current().real_work():
        await engine.dispose()


@pytest.fixture
async def running(upkeep: Upkeep) -> AsyncIterator[None]:
    """Upkeep running on a database that answers: recovery at time 0, sweeps at every minute after."""
    upkeep.door.open()
    task = asyncio.create_task(
        recover_then_sweep(upkeep.store, upkeep.owned, now, lambda: CONFIG, asyncio.Event())
    )
    yield
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_recovery_waits_for_the_database_then_closes_what_a_stopped_controller_left(
    upkeep: Upkeep,
) -> None:
    """Before the schema is ready nothing is recovered and no callback may start; then it runs at once."""
    await upkeep.open_attempt("0612000101")  # the headset was rung, the patient never dialled
    await upkeep.open_attempt("0612000102", answered=True)  # the patient was talking when it stopped
    recovered_event = asyncio.Event()
    with capture_logs() as logs:
        task = asyncio.create_task(
            recover_then_sweep(upkeep.store, upkeep.owned, now, lambda: CONFIG, recovered_event)
        )
        await asyncio.sleep(3 * RECOVERY_RETRY_SECONDS)
        assert await upkeep.statuses() == {"0612000101": "in_progress", "0612000102": "in_progress"}
        assert not recovered_event.is_set(), "no callback may be given out before the recovery"
        upkeep.door.open()  # the schema is ready
        await asyncio.wait_for(recovered_event.wait(), 1)
        assert await upkeep.statuses() == {"0612000101": "booked", "0612000102": "done"}
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    recovered = sorted(line["outcome"] for line in logs if line["event"] == "callback_recovered")
    assert recovered == ["interrupted", "reached"]


async def test_recovery_that_fails_on_an_open_database_is_tried_again(upkeep: Upkeep) -> None:
    """A database that fails the recovery (hung, locked) postpones it; it is retried until it works."""
    await upkeep.open_attempt("0612000103")
    upkeep.door.open()
    upkeep.door.hang(recover_in_progress)
    recovered_event = asyncio.Event()
    with capture_logs() as logs:
        task = asyncio.create_task(
            recover_then_sweep(upkeep.store, upkeep.owned, now, lambda: CONFIG, recovered_event)
        )
        await asyncio.sleep(2 * (RECOVERY_RETRY_SECONDS + 3) + 1)
        assert len([line for line in logs if line["event"] == "callback_recovery_postponed"]) >= 2
        upkeep.door.unhang(recover_in_progress)
        await asyncio.wait_for(recovered_event.wait(), RECOVERY_RETRY_SECONDS + 4)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert await upkeep.statuses() == {"0612000103": "booked"}


async def test_an_unowned_open_attempt_is_swept_at_the_next_minute_and_an_owned_one_never(
    upkeep: Upkeep, running: None
) -> None:
    """Every minute the attempts no running dial-out owns are closed; the ones a call holds stay open."""
    await asyncio.sleep(1)  # recovery at start found nothing
    await upkeep.open_attempt("0612000111", age_minutes=3)  # its end could not be stored
    upkeep.owned.add(await upkeep.open_attempt("0612000112", age_minutes=3))  # a call still runs it
    with capture_logs() as logs:
        await asyncio.sleep(SWEEP_EVERY_SECONDS - 2)
        assert await upkeep.statuses() == {"0612000111": "in_progress", "0612000112": "in_progress"}
        await asyncio.sleep(2)
        assert await upkeep.statuses() == {"0612000111": "booked", "0612000112": "in_progress"}
        await upkeep.open_attempt("0612000113", age_minutes=3)
        await asyncio.sleep(SWEEP_EVERY_SECONDS - 2)
        assert (await upkeep.statuses())["0612000113"] == "in_progress"
        await asyncio.sleep(2)
        assert (await upkeep.statuses())["0612000113"] == "booked"
        await asyncio.sleep(10 * SWEEP_EVERY_SECONDS)
    assert (await upkeep.statuses())["0612000112"] == "in_progress"
    swept = {tuple(item) for line in logs if line["event"] == ev.ATTEMPTS_SWEPT for item in line["swept"]}
    assert [outcome for _, outcome in sorted(swept)] == ["interrupted", "interrupted"]


async def test_a_sweep_that_meets_an_unavailable_database_tries_again_a_minute_later(
    upkeep: Upkeep, running: None
) -> None:
    """A failing sweep is logged and skipped; the next minute's sweep closes the attempt."""

    await asyncio.sleep(1)
    await upkeep.open_attempt("0612000131", age_minutes=3)
    upkeep.door.hang(recovery.sweep_open_attempts)
    with capture_logs() as logs:
        await asyncio.sleep(SWEEP_EVERY_SECONDS + upkeep.door.deadline + 1)
        assert any(line["event"] == "callback_sweep_postponed" for line in logs)
        assert await upkeep.statuses() == {"0612000131": "in_progress"}
        upkeep.door.unhang(recovery.sweep_open_attempts)
        await asyncio.sleep(SWEEP_EVERY_SECONDS)
    assert await upkeep.statuses() == {"0612000131": "booked"}
