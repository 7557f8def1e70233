"""A whole controller on the fake ARI: the composition root's own wiring, a real SQLite database, and a
wall clock that follows the virtual loop time. The fast flow tests drive a practice through this."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from capacity.config import CapacityConfig
from capacity.loader import load_capacity
from dialplan.schema import PracticeConfig
from ivr.app import Active, assemble
from ivr.callback.store import CallbackStore
from ivr.core.media import Media
from ivr.db.practice import PracticeIdentity, PracticeRegistry
from ivr.db.schema import migrate_until_ready
from ivr.queue.store import QueueStore
from ivr.trace import CallTrace
from storage.bookings import book_callback
from storage.db import make_engine, session_factory
from storage.migrate import upgrade
from tests.fakes.ari import FakeAri
from tests.fakes.db import RealWorkDatabase
from tests.fakes.events import FakeEventStream
from tests.fakes.loop import current

REPO = Path(__file__).resolve().parents[2]
DEMO_MENU = REPO / "dialplan" / "examples" / "demo-practice.yaml"
DEMO_CAPACITY = REPO / "capacity" / "examples" / "demo-capacity.yaml"
AMS = ZoneInfo("Europe/Amsterdam")
# A Monday morning in the peak (2026-11-23 09:00 in Amsterdam): loop time 0 is this moment.
START = dt.datetime(2026, 11, 23, 9, 0, tzinfo=AMS)
HEADSETS = ("assistent1", "assistent2", "assistent3")


def demo_menu() -> dict[str, Any]:
    """The demo practice's menu as data, open around the clock (tests change what they need)."""
    menu = yaml.safe_load(DEMO_MENU.read_text())
    days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    menu["opening_hours"] = {day: ["00:00-24:00"] for day in days} | {"public_holidays": False}
    return menu


class FakePractice:
    """One practice's controller in a test: start it, call it, look at what it did."""

    def __init__(
        self,
        tmp_path: Path,
        menu: dict[str, Any],
        capacity: CapacityConfig | None = None,
        key: str | None = None,
    ) -> None:
        self.tmp_path = tmp_path
        self.ari = FakeAri()
        self.ari.register(*HEADSETS)
        self.ari.provider()
        self.menu_data = copy.deepcopy(menu)
        self.menu = PracticeConfig.model_validate(self.menu_data)
        self.capacity = capacity or load_capacity(DEMO_CAPACITY)
        self.url = f"sqlite+aiosqlite:///{tmp_path / 'terugbel.sqlite3'}"
        self.engine = make_engine(self.url)
        self.db = RealWorkDatabase(session_factory(self.engine))
        practice = self.menu.practice
        self.registry = PracticeRegistry(
            self.db, PracticeIdentity(key=key or practice.id, name=practice.name, number=practice.number)
        )
        # The process's call trace: it outlives restarts of the controller, as in ivr.app.serve.
        self.trace = CallTrace(self.db, self.registry, self.now)
        self.callbacks = CallbackStore(self.db, self.registry, lambda: self.capacity, trace=self.trace)
        self.queue_store = QueueStore(self.db, self.registry)
        self.active: Active | None = None
        self.stream: FakeEventStream | None = None
        self._task: asyncio.Task[None] | None = None

    # ---- lifecycle --------------------------------------------------------------------------------------

    def now(self) -> dt.datetime:
        """The practice's wall clock: START plus the virtual time that has passed."""
        return START + dt.timedelta(seconds=asyncio.get_running_loop().time())

    async def migrate(self) -> None:
        """The controller's own start-up migration (ivr.db.schema), on the real SQLite file."""

        async def upgrade_here() -> None:
            with current().real_work():
                await upgrade(self.url)

        await migrate_until_ready(self.db, upgrade_here)

    async def start(self, *, migrate: bool = True) -> FakePractice:
        """A controller comes up: it connects, reconciles, then starts the dispatcher and the sweeps."""
        if migrate:
            await self.migrate()
        self.trace.start()
        self.active = assemble(
            ari=self.ari,
            media=Media(lambda name: f"sound:/prompts/{name}"),
            db=self.db,
            callbacks=self.callbacks,
            queue_store=self.queue_store,
            trace=self.trace,
            config=lambda: self.menu,
            clock=self.now,
            app="terugbel",
            outbound_template="PJSIP/{number}@provider",
            recordings_dir=self.tmp_path / "recordings",
            retention_days=90,
        )
        self.ari.connect(self.active.controller.router.route)
        self.stream = FakeEventStream(self.active.on_connected)
        self._task = asyncio.create_task(self.active.controller.run(self.stream))
        await self.ari.until(lambda: self.stream is not None and self.stream.connections >= 1, 5, "connect")
        await self.ari.settle()
        return self

    async def stop(self) -> None:
        """A graceful stop (SIGTERM): the controller's tasks end, calls are detached."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def restart(self) -> None:
        """A graceful stop, then a new controller on the same Asterisk and database takes over."""
        await self.stop()
        await self.start(migrate=False)

    async def book_due(self, phone: str, *, minutes_ago: int = 0, kind: str = "slot") -> int:
        """A booked callback whose slot started `minutes_ago` (so it is due now); returns its id."""
        slot = self.now() - dt.timedelta(minutes=minutes_ago)
        request = await self.db.run(
            book_callback,
            practice_id=await self.registry.id(),
            slot_start=slot,
            slot_end=slot + dt.timedelta(minutes=15),
            capacity=100,
            phone=phone,
            number_source="caller_id",
        )
        assert request is not None
        return request.id

    async def close(self) -> None:
        await self.stop()
        await self.trace.stop()
        await self.db.drain()
        with current().real_work():
            await self.engine.dispose()

    async def reconnect(self) -> None:
        """The websocket drops and comes back: whatever Asterisk sent meanwhile was lost; reconcile runs."""
        assert self.stream is not None
        self.ari.deaf = False
        await self.stream.connected()

    @property
    def controller(self) -> Any:
        assert self.active is not None
        return self.active.controller

    # ---- the world around it ----------------------------------------------------------------------------

    def calls_in(self, number: str = "0612345678") -> str:
        return self.ari.patient_calls(number)

    async def heard(self, channel: str, prompt: str, seconds: float = 60) -> None:
        """Wait until `prompt` has started playing to the channel."""
        await self.ari.until(lambda: prompt in self.ari.played(channel), seconds, f"{prompt} played")

    async def heard_all(self, channel: str, prompt: str, seconds: float = 60) -> None:
        """Wait until `prompt` has been played to its end (or stopped) on the channel."""
        await self.ari.until(lambda: self.ari.finished(channel, prompt), seconds, f"{prompt} finished")

    async def sql(self, query: Callable[[Any], Any]) -> Any:
        """Run `query(session)` against the practice's database (with the call events recorded so far)."""
        if not self.trace.writing_fails:
            await self.trace.flush()
        with current().real_work():
            async with self.db.sessions() as session:
                return await query(session)
