"""The log events the end-to-end tests wait on are constants of ivr.log_events, and the controller emits
every one of them (structlog's capture_logs around calls on the fake ARI), so a renamed or dropped event
breaks a fast test instead of an end-to-end one."""

from __future__ import annotations

import ast
import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from capacity.config import CapacityConfig
from ivr import log_events as ev
from ivr.core.activation import Supervisor
from ivr.core.lease import FileLease, LeaseState
from storage.bookings import book_callback
from tests.fakes.practice import HEADSETS, START, FakePractice, demo_menu

REPO = Path(__file__).resolve().parents[3]
# Logged by the websocket itself (ivr.ari.events), which the fake practice replaces: asserted on a real
# websocket by test_ivr_event_stream.py::test_a_closed_websocket_is_reopened_and_reconciled_again.
STREAM_EVENTS = frozenset({ev.ARI_CONNECTED, ev.ARI_DISCONNECTED})
# Logged by the process around everything (ivr.app._main/serve), which a unit test does not run as a whole:
# tests/e2e/test_controller_lifecycle.py waits on them against the real process.
# Logged by the process around the calls (start, stop, the screen), seen in the e2e tests themselves.
PROCESS_EVENTS = frozenset({ev.CONTROLLER_STARTING, ev.CONTROLLER_STOPPED, ev.WEB_LISTENING})
ONE_PLACE_PER_QUARTER = CapacityConfig.model_validate(
    {
        "calls_per_assistant_per_hour": 4,
        "horizon_days": 0,
        "blocks": {"monday": [{"start": "10:00", "end": "11:00", "assistants": 1}]},
    }
)


def constants_used(paths: list[Path]) -> set[str]:
    """Names `X` used as `ev.X` in these files."""
    return {
        node.attr
        for path in paths
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "ev"
    }


def e2e_events() -> set[str]:
    """The event names (values) the end-to-end tests and their helpers wait on."""
    names = constants_used(sorted((REPO / "tests" / "e2e").glob("*.py")))
    return {getattr(ev, name) for name in names}


def test_the_e2e_tests_wait_on_constants_that_exist() -> None:
    """Every `ev.X` in tests/e2e is defined, and no e2e wait names an event by a string literal."""
    used = constants_used(sorted((REPO / "tests" / "e2e").glob("*.py")))
    assert len(used) >= 20
    assert sorted(name for name in used if not hasattr(ev, name)) == []
    literal_waits = [
        (path.name, node.lineno)
        for path in sorted((REPO / "tests" / "e2e").glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("wait_event", "events")
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ]
    assert literal_waits == []


def test_every_constant_in_log_events_is_logged_somewhere_in_ivr() -> None:
    """No dead names: each constant of ivr.log_events is used by the controller's code."""
    defined = {name for name, value in vars(ev).items() if name.isupper() and isinstance(value, str)}
    code = [path for path in (REPO / "ivr").rglob("*.py") if path.name != "log_events.py"]
    assert sorted(defined - constants_used(code)) == []
    assert len(set(vars(ev)[name] for name in defined)) == len(defined), "two constants, one event name"


# ---- the controller emits them ---------------------------------------------------------------------------


class Scenarios:
    """Practices on the fake ARI, each in its own folder, all under one capture_logs."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.practices: list[FakePractice] = []

    async def start(self, menu: dict[str, Any], *, migrate: bool = True, **kwargs: Any) -> FakePractice:
        folder = self.tmp_path / f"p{len(self.practices)}"
        folder.mkdir()
        practice = FakePractice(folder, menu, **kwargs)
        self.practices.append(practice)
        await practice.start(migrate=migrate)
        return practice

    async def close(self) -> None:
        for practice in self.practices:
            await practice.close()


@pytest.fixture
async def scenarios(tmp_path: Path) -> AsyncIterator[Scenarios]:
    s = Scenarios(tmp_path)
    yield s
    await s.close()


async def menu_and_spoed(s: Scenarios) -> None:
    """A wrong key, then spoed answered by an assistant, then the patient hangs up."""
    practice = await s.start(demo_menu())
    ari = practice.ari
    caller = practice.calls_in("0612000401")
    await practice.heard(caller, "welkom")
    ari.press(caller, "7")
    await practice.heard(caller, "ongeldige_keuze")
    ari.press(caller, "1")
    await ari.until(lambda: ari.ringing("assistent1"), 10, "spoed ringing")
    leg = ari.ringing("assistent1")[0]
    ari.pick_up(leg)
    await ari.until(lambda: any(set(m) == {caller, leg} for m in ari.bridges.values()), 10, "bridged")
    ari.hang_up(caller)
    await ari.until(lambda: not practice.controller.calls.all(), 10, "the call to end")


async def callback_offers(s: Scenarios) -> None:
    """Offers: a wrong key then a booking with a voice note, a lost race, spoed, and a typed number."""
    practice = await s.start(demo_menu(), capacity=ONE_PLACE_PER_QUARTER)
    ari = practice.ari

    async def at_offer(number: str) -> str:
        caller = practice.calls_in(number)
        await practice.heard(caller, "welkom")
        ari.press(caller, "4")
        await practice.heard_all(caller, "terugbel_keuze")
        return caller

    booker = await at_offer("0612000411")
    ari.press(booker, "9")
    await practice.heard(booker, "ongeldige_keuze")
    ari.press(booker, "2")
    await practice.heard_all(booker, "terugbel_vraag_inspreken")
    await ari.until(lambda: ari.recordings, 10, "the voice note to record")
    ari.finish_recording(next(iter(ari.recordings)))
    await practice.heard(booker, "terugbel_vraag_ontvangen")

    loser = await at_offer("0612000412")  # offered 10:15, which another caller takes meanwhile
    slot = START.replace(hour=10, minute=15)
    await practice.db.run(
        book_callback,
        practice_id=await practice.registry.id(),
        slot_start=slot,
        slot_end=slot + dt.timedelta(minutes=15),
        capacity=1,
        phone="0612000413",
        number_source="caller_id",
    )
    ari.press(loser, "2")
    await practice.heard(loser, "terugbel_tijd_vergeven")
    ari.press(loser, "1")  # spoed during the next offer
    await ari.until(lambda: ari.ringing("assistent1"), 10, "spoed ringing")

    typed = practice.calls_in("anonymous")
    await practice.heard(typed, "welkom")
    ari.press(typed, "4")
    await practice.heard_all(typed, "terugbel_nummer_intoetsen")
    ari.press(typed, "0900#")
    await ari.until(lambda: ended(ari, typed, "terugbel_nummer_intoetsen") == 2, 30, "asked again")
    ari.press(typed, "0612000414#")
    await practice.heard(typed, "terugbel_nummer_herhaling")


def ended(ari: Any, channel: str, prompt: str) -> int:
    """How many playbacks of `prompt` on the channel have ended."""
    ids = {
        r.params["playback_id"]
        for r in ari.of("play", channel_id=channel)
        if r.params["media"].endswith(prompt)
    }
    return sum(1 for e in ari.events if e["type"] == "PlaybackFinished" and e["playback"]["id"] in ids)


async def callbacks_refused(s: Scenarios) -> None:
    """No capacity at all turns the caller away; a database not ready makes the offer unavailable."""
    for practice in (
        await s.start(demo_menu(), capacity=CapacityConfig()),
        await s.start(demo_menu(), migrate=False),
    ):
        caller = practice.calls_in("0612000421")
        await practice.heard(caller, "welkom")
        practice.ari.press(caller, "4")
        await practice.ari.until(
            lambda p=practice, c=caller: {"terugbel_vol", "storing"} & set(p.ari.played(c)), 30, "refused"
        )


async def closed(s: Scenarios) -> None:
    """Outside opening hours."""
    menu = demo_menu()
    menu["opening_hours"] = {day: [] for day in menu["opening_hours"] if day != "public_holidays"}
    practice = await s.start(menu)
    caller = practice.calls_in("0612000431")
    await practice.heard(caller, "buiten_openingstijden")


async def queue_kept_and_resumed(s: Scenarios) -> None:
    """Two callers wait with every assistant busy: one keeps her place, the other is resumed by a restart."""
    menu = demo_menu()
    menu["menu"]["options"]["5"].update(prompt=None, keep_place_after_seconds=0)
    folder = s.tmp_path / "queue"
    folder.mkdir()
    practice = FakePractice(folder, menu)
    s.practices.append(practice)
    for headset in HEADSETS:
        practice.ari.busy(headset)
    await practice.start()
    ari = practice.ari
    keeper, waiter = practice.calls_in("0612000441"), practice.calls_in("0612000442")
    for caller in (keeper, waiter):
        await practice.heard(caller, "welkom")
        ari.press(caller, "5")
        await practice.heard(caller, "wacht_plek_bewaren")
    ari.press(keeper, "5")
    await practice.heard(keeper, "wacht_plek_bewaard")
    await practice.restart()
    await ari.until(lambda: practice.controller.calls.all(), 10, "the waiting caller taken over")


async def callback_made(s: Scenarios) -> None:
    """A booked callback: the assistant answers, the patient answers, then hangs up."""
    menu = demo_menu()
    menu["headsets"] = {"assistent1": {"name": "Assistente 1", "duties": ["live", "callbacks"]}}
    menu["spoed"]["headsets"] = ["assistent1"]
    folder = s.tmp_path / "dialout"
    folder.mkdir()
    practice = FakePractice(folder, menu)
    s.practices.append(practice)
    practice.ari.register("assistent1", answer_after=2)
    practice.ari.provider(answer_after=3)
    await practice.migrate()
    await practice.book_due("0612000451")
    await practice.start(migrate=False)
    ari = practice.ari
    await ari.until(lambda: any(b.endswith("-br-cb") and len(c) == 2 for b, c in ari.bridges.items()), 120)
    ari.hang_up(next(c.id for c in ari.channels.values() if c.endpoint == "provider"))
    await ari.until(lambda: not any(b.endswith("-br-cb") for b in ari.bridges), 30, "the callback to end")


async def standby(s: Scenarios) -> None:
    """A second controller of the same practice waits for the lease, and says so."""
    lock = s.tmp_path / "controller-x.lock"
    holder = FileLease(lock)
    assert await holder.acquire() is LeaseState.HELD
    waiting = asyncio.create_task(Supervisor(FileLease(lock), asyncio.Event().wait, poll_seconds=1).run())
    await asyncio.sleep(2)
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    await holder.release()


SCENARIOS: list[Callable[[Scenarios], Any]] = [
    standby,
    menu_and_spoed,
    callback_offers,
    callbacks_refused,
    closed,
    queue_kept_and_resumed,
    callback_made,
]


async def test_the_controller_emits_every_event_the_e2e_tests_wait_on(scenarios: Scenarios) -> None:
    """Calls on the fake ARI log each event name the end-to-end tests wait for (the stream's aside)."""
    expected = e2e_events() - STREAM_EVENTS - PROCESS_EVENTS
    with capture_logs() as logs:
        for scenario in SCENARIOS:
            await scenario(scenarios)
        await scenarios.close()
    emitted = {line["event"] for line in logs}
    assert sorted(expected - emitted) == []
