"""A caller who keeps her place: stored with her number, called back headset first in her own turn."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from storage.models import CallbackRequest, QueueEntry
from tests.fakes.practice import FakePractice, demo_menu

Open = Callable[..., Awaitable[FakePractice]]
KEPT = "0612000201"


@pytest.fixture
async def open_practice(tmp_path: Path) -> AsyncIterator[Open]:
    """One assistant (live and callbacks), on the phone; the place may be kept at once."""
    practices: list[FakePractice] = []

    async def start(**changes: Any) -> FakePractice:
        menu = demo_menu()
        menu["headsets"] = {"assistent1": {"name": "Assistente 1", "duties": ["live", "callbacks"]}}
        menu["spoed"]["headsets"] = ["assistent1"]
        menu["menu"]["options"]["5"].update(prompt=None, keep_place_after_seconds=0, **changes)
        practice = FakePractice(tmp_path, menu)
        practice.busy = practice.ari.busy("assistent1")  # type: ignore[attr-defined]
        practices.append(practice)
        return await practice.start()

    yield start
    for practice in practices:
        await practice.close()


async def waiting(practice: FakePractice, number: str) -> str:
    """A caller chose option 5 and has heard the offer to keep her place."""
    caller = practice.calls_in(number)
    await practice.heard(caller, "welkom")
    practice.ari.press(caller, "5")
    await practice.heard(caller, "wacht_plek_bewaren")
    return caller


async def keeps_place(practice: FakePractice, number: str) -> str:
    caller = await waiting(practice, number)
    practice.ari.press(caller, "5")
    await practice.heard(caller, "wacht_plek_bewaard")
    await practice.ari.until(lambda: caller not in practice.ari.channels, 30, "the kept caller to hang up")
    return caller


async def requests(practice: FakePractice) -> list[CallbackRequest]:
    async def query(session: Any) -> list[CallbackRequest]:
        return list(await session.scalars(select(CallbackRequest).order_by(CallbackRequest.id)))

    return await practice.sql(query)


async def entries(practice: FakePractice) -> list[QueueEntry]:
    async def query(session: Any) -> list[QueueEntry]:
        return list(await session.scalars(select(QueueEntry).order_by(QueueEntry.id)))

    return await practice.sql(query)


def finished(practice: FakePractice, channel: str, prompt: str) -> int:
    """How many playbacks of `prompt` on the channel have ended."""
    ari = practice.ari
    ids = {
        r.params["playback_id"]
        for r in ari.of("play", channel_id=channel)
        if r.params["media"].endswith(prompt)
    }
    return sum(1 for e in ari.events if e["type"] == "PlaybackFinished" and e["playback"]["id"] in ids)


def headset_legs(practice: FakePractice) -> list[Any]:
    return practice.ari.of("originate", endpoint="PJSIP/assistent1")


async def test_a_kept_place_is_called_back_headset_first_before_a_later_caller(open_practice: Open) -> None:
    """The assistant who comes free rings for the kept place (it came first), hears it, then the patient."""
    practice = await open_practice()
    ari = practice.ari
    await keeps_place(practice, KEPT)
    [kept] = await requests(practice)
    [entry] = await entries(practice)
    assert (kept.kind, kept.phone, kept.number_source) == ("kept_place", KEPT, "caller_id")
    assert kept.due_at == entry.arrived_at, "the place keeps the caller's arrival as its order"
    later = await waiting(practice, "0612000202")
    later_said = ari.played(later)
    assert later_said[later_said.index("wacht_positie") + 1] == "getal_2", "the kept place is ahead of her"

    ari.hang_up(practice.busy)  # type: ignore[attr-defined]
    await ari.until(lambda: headset_legs(practice), 10, "the headset to ring")
    [first] = headset_legs(practice)
    assert first.params["app_args"] == ["dialout", str(kept.id)]
    assert first.params["caller_id"] == f'"Terugbellen" <{KEPT}>'
    await asyncio.sleep(5)
    assert not ari.ringing("provider"), "the patient is not dialled before an assistant is on the line"

    ari.pick_up(first.params["channel_id"])
    await ari.until(lambda: ari.ringing("provider"), 60, "the patient to be dialled")
    whisper = ari.played(first.params["channel_id"])
    assert whisper[0] == "fluister_terugbelverzoek"
    assert whisper[1:11] == [f"cijfer_{d}" for d in KEPT]
    assert whisper[11:] == ["fluister_wachtrij", "fluister_bellen"]
    assert later in ari.channels and len(headset_legs(practice)) == 1, "the later caller still waits"


async def test_a_withheld_caller_types_her_number_with_the_queues_own_keys(open_practice: Open) -> None:
    """A withheld caller types a number; the option's "again" key retypes, its "confirm" key keeps it."""
    practice = await open_practice(number_confirm_key="7", number_again_key="8")
    ari = practice.ari
    caller = await waiting(practice, "anonymous")
    ari.press(caller, "5")
    await practice.heard_all(caller, "terugbel_nummer_intoetsen")
    ari.press(caller, "0612000203#")
    await practice.heard(caller, "terugbel_nummer_keuze")
    ari.press(caller, "8")
    await ari.until(lambda: finished(practice, caller, "terugbel_nummer_intoetsen") == 2, 10, "type again")
    ari.press(caller, "0612000204#")
    await ari.until(lambda: ari.played(caller).count("terugbel_nummer_keuze") == 2, 60, "read back again")
    ari.press(caller, "7")
    await practice.heard(caller, "wacht_plek_bewaard")
    [kept] = await requests(practice)
    assert (kept.phone, kept.number_source, kept.kind) == ("0612000204", "typed", "kept_place")


async def test_the_menus_confirm_key_is_not_the_queues(open_practice: Open) -> None:
    """With the queue's own confirm key 7, the read-back's 2 does not keep the place."""
    practice = await open_practice(number_confirm_key="7", number_again_key="8")
    ari = practice.ari
    caller = await waiting(practice, "anonymous")
    ari.press(caller, "5")
    await practice.heard_all(caller, "terugbel_nummer_intoetsen")
    ari.press(caller, "0612000203#")
    await practice.heard(caller, "terugbel_nummer_keuze")
    ari.press(caller, "2")
    await asyncio.sleep(15)
    assert "wacht_plek_bewaard" not in ari.played(caller)
    assert await requests(practice) == []


async def test_a_withheld_caller_without_a_valid_number_waits_on_in_her_place(open_practice: Open) -> None:
    """Two invalid numbers: nothing is kept, the caller is back in line and hears her position again."""
    practice = await open_practice()
    ari = practice.ari
    caller = await waiting(practice, "anonymous")
    ari.press(caller, "5")
    await practice.heard_all(caller, "terugbel_nummer_intoetsen")
    ari.press(caller, "12#")
    await ari.until(lambda: finished(practice, caller, "terugbel_nummer_intoetsen") == 2, 30, "asked again")
    assert "terugbel_nummer_ongeldig" in ari.played(caller)
    ari.press(caller, "34#")
    positions = ari.played(caller).count("wacht_positie")
    await ari.until(lambda: ari.played(caller).count("wacht_positie") > positions, 60, "back in line")
    assert await requests(practice) == []
    assert [e.status for e in await entries(practice)] == ["waiting"]


async def test_a_keep_the_database_refuses_is_never_announced_as_kept(open_practice: Open) -> None:
    """When the entry is no longer waiting (an assistant is being connected) the place is not kept."""
    practice = await open_practice()
    ari = practice.ari
    caller = await waiting(practice, KEPT)

    async def connecting(session: Any) -> None:
        await session.execute(update(QueueEntry).values(status="connecting"))
        await session.commit()

    await practice.sql(connecting)
    ari.press(caller, "5")
    positions = ari.played(caller).count("wacht_positie")
    await ari.until(
        lambda: ari.played(caller).count("wacht_positie") > positions, 60, "the next announcement"
    )
    assert "wacht_plek_bewaard" not in ari.played(caller)
    assert await requests(practice) == []


async def test_a_caller_assigned_as_she_presses_the_keep_key_is_connected_instead(
    open_practice: Open, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The keep key arriving with the headset's assignment: the pause is refused and she is put through."""
    practice = await open_practice()
    ari = practice.ari
    dispatcher = practice.active.dispatcher  # type: ignore[union-attr]
    paused: list[bool] = []
    pause = dispatcher.pause
    monkeypatch.setattr(dispatcher, "pause", lambda ticket: paused.append(pause(ticket)) or paused[-1])
    caller = await waiting(practice, KEPT)
    armed = True

    def press_as_the_dispatcher_looks(params: dict[str, Any]) -> bool:
        nonlocal armed
        if (
            armed
            and params["resource"] == "assistent1"
            and not any(c.endpoint == "assistent1" for c in ari.channels.values())
        ):
            armed = False
            ari.press(caller, "5")
        return False  # never an error: the hook only times the key press

    ari.fail("endpoint", RuntimeError, match=press_as_the_dispatcher_looks)
    ari.hang_up(practice.busy)  # type: ignore[attr-defined]
    await ari.until(lambda: headset_legs(practice), 10, "her headset to ring")
    assert not armed, "the key was pressed during the dispatcher's round"
    assert headset_legs(practice)[0].params["app_args"][0] == "leg", "the caller, not a callback"
    assert paused == [False]
    assert "wacht_plek_bewaard" not in ari.played(caller)
    assert await requests(practice) == []
    assert [e.status for e in await entries(practice)] == ["connecting"]
