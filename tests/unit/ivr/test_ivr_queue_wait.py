"""The live queue on the fake ARI: kept places, spoed while waiting, and headsets that do not answer."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.models import QueueEntry
from tests.fakes.practice import FakePractice, demo_menu


def queue_menu(**changes: object) -> dict:
    menu = demo_menu()
    menu["menu"]["options"]["5"].update(prompt=None, keep_place_after_seconds=0, announce_every=20, **changes)
    return menu


@pytest.fixture
async def practice(tmp_path: Path):
    practice = FakePractice(tmp_path, queue_menu())
    for headset in ("assistent1", "assistent2", "assistent3"):
        practice.ari.busy(headset)  # every assistant is on the phone: callers wait
    await practice.start()
    yield practice
    await practice.close()


async def entries(practice: FakePractice) -> list[QueueEntry]:
    async def query(session):
        return list(await session.scalars(select(QueueEntry).order_by(QueueEntry.id)))

    return await practice.sql(query)


async def test_spoed_during_the_kept_place_read_back_rings_spoed(practice: FakePractice) -> None:
    """A withheld caller keeping the place who presses spoed during the number read-back gets spoed."""
    ari = practice.ari
    caller = practice.calls_in("anonymous")
    await practice.heard(caller, "welkom")
    ari.press(caller, "5")
    await practice.heard(caller, "wacht_plek_bewaren")
    ari.press(caller, "5")
    await practice.heard_all(caller, "terugbel_nummer_intoetsen")
    ari.press(caller, "0612000031#")
    await practice.heard(caller, "terugbel_nummer_herhaling")
    ari.press(caller, "1")
    await ari.until(
        lambda: all(ari.ringing(h) for h in ("assistent1", "assistent2", "assistent3")), 10, "spoed"
    )
    assert ari.of("originate", endpoint="PJSIP/assistent1")
    [entry] = await entries(practice)
    assert entry.status == "abandoned"


async def test_caller_who_keeps_the_place_leaves_the_line_with_a_kept_entry(practice: FakePractice) -> None:
    """Pressing the keep key with a usable caller id keeps the place and ends the call politely."""
    ari = practice.ari
    caller = practice.calls_in("0612000040")
    await practice.heard(caller, "welkom")
    ari.press(caller, "5")
    await practice.heard(caller, "wacht_plek_bewaren")
    ari.press(caller, "5")
    await practice.heard(caller, "wacht_plek_bewaard")
    await ari.until(lambda: caller not in ari.channels, 30, "the call to end")
    [entry] = await entries(practice)
    assert entry.status == "kept" and entry.callback_request_id is not None


async def test_a_waiting_caller_hears_asterisks_own_hold_music_and_keeps_a_deadline(
    practice: FakePractice,
) -> None:
    """Hold music is Asterisk's music on hold (it plays without the controller) and the deadline is pushed."""
    ari = practice.ari
    caller = practice.calls_in("0612000041")
    await practice.heard(caller, "welkom")
    ari.press(caller, "5")
    await practice.heard(caller, "wacht_positie")
    assert ari.channels[caller].moh == "terugbel"
    assert ari.channels[caller].variables["TIMEOUT(absolute)"] == "120"
    pushes = len(ari.of("set_variable", channel_id=caller))
    await asyncio.sleep(100)
    assert len(ari.of("set_variable", channel_id=caller)) >= pushes + 2, "refreshed while the caller waits"
    assert "wachtmuziek" not in ari.played(caller), "no hold music played by the controller itself"


async def test_a_caller_connected_to_an_assistant_has_no_deadline_and_no_music(tmp_path: Path) -> None:
    """Before the headset rings the music stops; before the conversation the deadline is cleared."""
    practice = FakePractice(tmp_path, queue_menu())
    await practice.start()
    ari = practice.ari
    caller = practice.calls_in("0612000042")
    await practice.heard(caller, "welkom")
    ari.press(caller, "5")
    await ari.until(lambda: ari.ringing("assistent1") or ari.ringing("assistent2"), 10, "a headset to ring")
    assert ari.channels[caller].moh is None
    ari.pick_up((ari.ringing("assistent1") or ari.ringing("assistent2"))[0])
    await ari.until(lambda: any(caller in m and len(m) == 2 for m in ari.bridges.values()), 5, "bridged")
    assert ari.channels[caller].variables["TIMEOUT(absolute)"] == "0"
    await practice.close()


async def test_a_waiting_caller_taken_by_the_dialplans_deadline_leaves_an_abandoned_entry(
    practice: FakePractice,
) -> None:
    """The caller leaving the app without hanging up (the deadline fired) closes the entry as abandoned."""
    ari = practice.ari
    caller = practice.calls_in("0612000043")
    await practice.heard(caller, "welkom")
    ari.press(caller, "5")
    await practice.heard(caller, "wacht_positie")
    ari.deadline_fires(caller)
    await ari.until(lambda: not practice.controller.calls.all(), 10, "the call task to end")
    [entry] = await entries(practice)
    assert entry.status == "abandoned"
