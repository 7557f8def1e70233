"""The callback offer's decisions with a scripted caller and a real SQLite database (no Asterisk needed)."""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from capacity.config import CapacityConfig
from dialplan.schema import CallbackAction
from ivr.callback.offer import OfferOutcome, run_callback_offer
from ivr.callback.store import CallbackStore
from ivr.core.call import CallGone
from ivr.db.practice import PracticeIdentity, PracticeRegistry
from storage.db import make_engine, session_factory
from storage.migrate import upgrade
from storage.models import CallbackRequest
from tests.fakes.db import RealWorkDatabase
from tests.fakes.loop import current

AMS = ZoneInfo("Europe/Amsterdam")
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=AMS)  # a Monday
ACTION = CallbackAction(action="callback", confirm_key="2", other_key="3")
SILENCE = None


class ScriptedCaller:
    """Plays nothing; answers each prompt or wait with the next scripted key; hangs up when out of keys."""

    def __init__(self, number: str, keys: Iterable[str | None], on_play: Any = None) -> None:
        self.caller_number = number
        self.call_id = "call-1"
        self.channel_id = "chan-1"
        self.digits: deque[str] = deque()
        self.keys = deque(keys)
        self.played: list[list[str]] = []
        self.on_play = on_play

    async def play(self, names: Iterable[str], *, interrupt: Iterable[str] | None = None) -> str | None:
        names = list(names)
        self.played.append(names)
        if self.on_play is not None:
            await self.on_play(names)
        # The next key interrupts only if this prompt listens for it; otherwise it comes after the prompt.
        if self.keys and self.keys[0] is not None and (interrupt is None or self.keys[0] in set(interrupt)):
            return self._next()
        return None

    async def wait_digit(self, seconds: float, *, allowed: Iterable[str] | None = None) -> str | None:
        return self._next()

    def flush_digits(self) -> None:
        self.digits.clear()

    def _next(self) -> str | None:
        if not self.keys:
            raise CallGone
        return self.keys.popleft()


def store_on(db: RealWorkDatabase, capacity: CapacityConfig) -> CallbackStore:
    registry = PracticeRegistry(db, PracticeIdentity(key="test", name="Test", number="0201234567"))
    return CallbackStore(db, registry, lambda: capacity)


@pytest.fixture
async def desk(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    with current().real_work():
        await upgrade(url)
    engine = make_engine(url)
    every_day = [{"start": "10:00", "end": "11:00", "assistants": 1}]
    capacity = CapacityConfig.model_validate(
        {"calls_per_assistant_per_hour": 4, "blocks": {"monday": every_day, "tuesday": every_day}}
    )
    db = RealWorkDatabase(session_factory(engine))
    db.open()
    yield store_on(db, capacity)
    with current().real_work():
        await engine.dispose()


async def stored(desk: CallbackStore) -> int:
    with current().real_work():
        async with desk.db.sessions() as session:
            return await session.scalar(select(func.count()).select_from(CallbackRequest)) or 0


async def offer(desk: CallbackStore, caller: ScriptedCaller) -> OfferOutcome:
    return await run_callback_offer(caller, desk, ACTION, spoed_key="1", clock=lambda: NOW)  # type: ignore[arg-type]


async def test_genoteerd_is_only_played_once_the_booking_is_stored(desk: CallbackStore) -> None:
    """When "terugbel_genoteerd" starts, the request is already in the database."""
    seen: list[int] = []

    async def check(names: list[str]) -> None:
        if "terugbel_genoteerd" in names:
            seen.append(await stored(desk))

    caller = ScriptedCaller("0612345678", ["2"], on_play=check)
    assert await offer(desk, caller) is OfferOutcome.BOOKED
    assert seen == [1]
    offered = next(p for p in caller.played if "terugbel_tijd" in p)
    assert offered == ["terugbel_tijd", "dag_vandaag", "tijd_uur_10", "terugbel_keuze"]


async def test_later_key_offers_the_next_quarter(desk: CallbackStore) -> None:
    """The other key asks for a later time: 10:15 after 10:00."""
    caller = ScriptedCaller("0612345678", ["3", "2"])
    assert await offer(desk, caller) is OfferOutcome.BOOKED
    times = [p[2:4] for p in caller.played if "terugbel_tijd" in p]
    assert times == [["tijd_uur_10", "terugbel_keuze"], ["tijd_uur_10", "tijd_minuut_15"]]


async def test_spoed_key_during_the_offer_books_nothing(desk: CallbackStore) -> None:
    """Pressing the spoed key while the time is offered hands the call to spoed, with no booking."""
    caller = ScriptedCaller("0612345678", ["1"])
    assert await offer(desk, caller) is OfferOutcome.SPOED
    assert await stored(desk) == 0


async def test_full_slot_moves_the_next_caller_on(desk: CallbackStore) -> None:
    """A slot of one place: the second caller who confirms the same time gets the next slot."""
    for number in ("0612345678", "0687654321"):
        assert await offer(desk, ScriptedCaller(number, ["2"])) is OfferOutcome.BOOKED
    with current().real_work():
        async with desk.db.sessions() as session:
            query = select(CallbackRequest.slot_start).order_by(CallbackRequest.id)
            slots = list(await session.scalars(query))
    assert [s.astimezone(AMS).strftime("%H:%M") for s in slots] == ["10:00", "10:15"]


async def test_silence_twice_declines(desk: CallbackStore) -> None:
    """No key after the offer and after its one repeat ends the offer without a booking."""
    caller = ScriptedCaller("0612345678", [SILENCE, SILENCE])
    assert await offer(desk, caller) is OfferOutcome.DECLINED
    assert caller.played[-1] == ["terugbel_geen_keuze_einde"]
    assert await stored(desk) == 0


async def test_a_database_without_a_schema_is_unavailable_not_a_crash(tmp_path: Path) -> None:
    """A store whose database has no tables says UNAVAILABLE, so the menu rings an assistant."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}")
    db = RealWorkDatabase(session_factory(engine))
    db.open()
    broken = store_on(db, CapacityConfig())
    assert await offer(broken, ScriptedCaller("0612345678", ["2"])) is OfferOutcome.UNAVAILABLE
    with current().real_work():
        await engine.dispose()


async def test_a_closed_door_is_unavailable(tmp_path: Path) -> None:
    """Before the schema is migrated the door is closed: the offer is UNAVAILABLE, nothing is promised."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}")
    closed = store_on(RealWorkDatabase(session_factory(engine)), CapacityConfig())
    assert await offer(closed, ScriptedCaller("0612345678", ["2"])) is OfferOutcome.UNAVAILABLE
    with current().real_work():
        await engine.dispose()
