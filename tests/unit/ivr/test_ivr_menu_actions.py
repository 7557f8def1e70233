"""The menu's options on the fake ARI: information, the inspreeklijn, dialling out, headsets, hanging up."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.ari import FakeAri
from tests.fakes.practice import FakePractice, demo_menu

RING_ALL = {
    "action": "headsets",
    "group": "balie",
    "prompt": "doorverbinden_assistente",
    "timeout": 20,
    "no_answer_prompt": "niemand_bereikbaar",
}
RING_ORDERED = RING_ALL | {
    "headsets": ["assistent3", "assistent1"],
    "strategy": "ordered",
    "ring_seconds": 10,
    "timeout": 30,
}
OPTIONS: dict[str, Any] = {
    "2": {"action": "play", "prompts": ["openingstijden"], "then": "menu"},
    "5": {"action": "dial", "number": "0301234567", "prompt": "doorverbinden_apotheek"},
    "6": RING_ALL,
    "7": RING_ORDERED,
    "8": {"action": "hangup", "prompt": "tot_ziens"},
    "9": {"action": "hangup"},
}


@pytest.fixture
async def practice(tmp_path: Path):
    menu = demo_menu()
    menu["menu"]["options"].update(OPTIONS)
    practice = FakePractice(tmp_path, menu)
    yield practice
    await practice.close()


async def choose(practice: FakePractice, key: str, number: str = "0612345678") -> str:
    """A patient calls and presses `key` during the welcome; returns the patient's channel."""
    await practice.start()
    caller = practice.calls_in(number)
    await practice.heard(caller, "welkom")
    practice.ari.press(caller, key)
    return caller


def bridged_with(ari: FakeAri, caller: str) -> list[str]:
    """The other channels in the caller's bridge (empty when the caller is in none)."""
    for members in ari.bridges.values():
        if caller in members:
            return [c for c in members if c != caller]
    return []


async def hung_up(ari: FakeAri, caller: str) -> None:
    await ari.until(lambda: ari.of("hangup", channel_id=caller), 60, "the call hung up")


def endpoints(ari: FakeAri) -> list[str]:
    return [r.params["endpoint"] for r in ari.of("originate")]


async def test_play_then_menu_returns_to_the_menu(practice: FakePractice) -> None:
    """Information with `then: menu` is played to its end and the same menu is offered again."""
    caller = await choose(practice, "2")
    await practice.heard_all(caller, "openingstijden")
    await practice.ari.until(lambda: practice.ari.played(caller).count("welkom") == 2, 5, "menu again")
    assert practice.ari.played(caller) == ["welkom", "openingstijden", "welkom"]
    assert not practice.ari.of("hangup", channel_id=caller)


async def test_play_then_hangup_ends_the_call_after_the_last_prompt(practice: FakePractice) -> None:
    """Information with `then: hangup` plays every prompt in order, then the call is ended."""
    caller = await choose(practice, "3")
    await practice.heard(caller, "herhaalrecepten_menu")
    practice.ari.press(caller, "2")
    await hung_up(practice.ari, caller)
    assert practice.ari.played(caller)[-2:] == ["herhaalrecepten_portaal", "tot_ziens"]
    assert practice.ari.finished(caller, "tot_ziens")


async def test_the_inspreeklijn_beeps_records_under_its_own_name_and_thanks(practice: FakePractice) -> None:
    """The instruction, our beep, a recording in inspreeklijn/ named for this call, then the done prompt."""
    ari = practice.ari
    caller = await choose(practice, "3")
    await practice.heard(caller, "herhaalrecepten_menu")
    ari.press(caller, "3")
    await ari.until(lambda: ari.recordings, 10, "recording")
    [record] = ari.of("record", channel_id=caller)
    name = record.params["name"]
    assert re.fullmatch(r"inspreeklijn/\d{8}T\d{6}Z-c[0-9a-f]{11}", name)
    assert record.params["max_seconds"] == 120
    assert ari.played(caller)[-2:] == ["inspreken_na_piep", "piep"]
    assert ari.finished(caller, "piep"), "the recording starts after the beep, not over it"
    ari.finish_recording(name)
    await practice.heard_all(caller, "bericht_ontvangen")
    await hung_up(ari, caller)


async def test_the_inspreeklijn_stops_at_its_maximum_length(practice: FakePractice) -> None:
    """A caller who never presses # is thanked once max_seconds have passed."""
    caller = await choose(practice, "3")
    await practice.heard(caller, "herhaalrecepten_menu")
    practice.ari.press(caller, "3")
    await practice.heard(caller, "bericht_ontvangen", 130)


async def test_hanging_up_while_recording_ends_the_call_cleanly(practice: FakePractice) -> None:
    """Hanging up is how most callers finish a message: the recording stands and the call ends quietly."""
    ari = practice.ari
    caller = await choose(practice, "3")
    await practice.heard(caller, "herhaalrecepten_menu")
    ari.press(caller, "3")
    await ari.until(lambda: ari.recordings, 10, "recording")
    ari.hang_up(caller)
    await ari.until(lambda: not practice.controller.calls.all(), 10, "the call ended")
    [record] = ari.of("record", channel_id=caller)
    assert record.params["name"].startswith("inspreeklijn/")
    assert not ari.of("continue_in_dialplan"), "a hang-up is no failure: the fallback is not asked for"


@pytest.mark.parametrize(
    ("number", "shown"),
    [("0612345678", '"0612345678" <0612345678>'), ("anonymous", '"Anoniem" <anonymous>')],
)
async def test_dial_rings_the_outside_number_through_the_provider(
    practice: FakePractice, number: str, shown: str
) -> None:
    """Dial uses the outbound template, shows the checked caller id, and bridges once answered."""
    ari = practice.ari
    ari.provider(answer_after=4)
    caller = await choose(practice, "5", number)
    await ari.until(lambda: bridged_with(ari, caller), 10, "bridged")
    [leg] = ari.of("originate")
    assert leg.params["endpoint"] == "PJSIP/0301234567@provider"
    assert leg.params["caller_id"] == shown
    assert "doorverbinden_apotheek" in ari.played(caller)
    assert bridged_with(ari, caller) == [leg.params["channel_id"]]
    ari.hang_up(leg.params["channel_id"])
    await hung_up(ari, caller)


async def test_strategy_all_rings_every_headset_at_once_and_bridges_the_first(
    practice: FakePractice,
) -> None:
    """All three headsets ring together; the one that answers is bridged and the others stop ringing."""
    ari = practice.ari
    caller = await choose(practice, "6")
    await ari.until(lambda: all(ari.ringing(h) for h in ("assistent1", "assistent2", "assistent3")), 5)
    assert {r.params["ring_seconds"] for r in ari.of("originate")} == {20}
    [leg] = ari.ringing("assistent2")
    ari.pick_up(leg)
    await ari.until(lambda: bridged_with(ari, caller) == [leg], 5, "bridged with assistent2")
    assert not ari.ringing("assistent1") and not ari.ringing("assistent3")
    assert "niemand_bereikbaar" not in ari.played(caller)


async def test_strategy_ordered_rings_one_headset_at_a_time_in_the_listed_order(
    practice: FakePractice,
) -> None:
    """Ordered: assistent3 for ring_seconds, then assistent1, again until the timeout; never two at once."""
    ari = practice.ari
    most_at_once = 0

    def note() -> bool:
        nonlocal most_at_once
        most_at_once = max(most_at_once, len(ari.ringing("assistent1")) + len(ari.ringing("assistent3")))
        return "niemand_bereikbaar" in ari.played(caller)

    caller = await choose(practice, "7")
    await ari.until(note, 60, "no answer")
    assert endpoints(ari) == ["PJSIP/assistent3", "PJSIP/assistent1", "PJSIP/assistent3"]
    assert [r.params["ring_seconds"] for r in ari.of("originate")] == [10, 10, 10]
    assert most_at_once == 1
    assert not ari.ringing("assistent2")
    await hung_up(ari, caller)


async def test_strategy_ordered_stops_at_the_headset_that_answers(practice: FakePractice) -> None:
    """The second headset in the list answers after 3 s of its turn: nobody else is rung."""
    ari = practice.ari
    ari.register("assistent1", answer_after=3)
    caller = await choose(practice, "7")
    await ari.until(lambda: bridged_with(ari, caller), 30, "bridged")
    assert endpoints(ari) == ["PJSIP/assistent3", "PJSIP/assistent1"]
    assert bridged_with(ari, caller) == [ari.of("originate")[1].params["channel_id"]]


async def test_nobody_answering_plays_the_no_answer_prompt_after_the_timeout(practice: FakePractice) -> None:
    """Twenty seconds of ringing without an answer: the ringing stops and niemand_bereikbaar plays."""
    ari = practice.ari
    caller = await choose(practice, "6")
    await practice.heard(caller, "niemand_bereikbaar", 30)
    assert not any(ari.ringing(h) for h in ("assistent1", "assistent2", "assistent3"))
    await practice.heard_all(caller, "niemand_bereikbaar")
    await hung_up(ari, caller)


async def test_every_headset_refused_plays_the_no_answer_prompt_at_once(practice: FakePractice) -> None:
    """No headset registered: the caller is not left listening to a ring tone, she hears it straight away."""
    ari = practice.ari
    ari.register("assistent1", "assistent2", "assistent3", online=False)
    caller = await choose(practice, "6")
    await practice.heard(caller, "niemand_bereikbaar", 5)
    assert "doorverbinden_assistente" not in ari.played(caller)
    assert len(ari.of("originate")) == 3
    await hung_up(ari, caller)


async def test_hangup_with_a_prompt_plays_it_to_the_end_first(practice: FakePractice) -> None:
    """The goodbye cannot be cut short by a key, and the call ends after it."""
    ari = practice.ari
    caller = await choose(practice, "8")
    await practice.heard(caller, "tot_ziens")
    ari.press(caller, "4")
    await hung_up(ari, caller)
    [goodbye] = ari.of("play", channel_id=caller)[-1:]
    assert not ari.of("stop_playback", playback_id=goodbye.params["playback_id"])
    assert ari.played(caller) == ["welkom", "tot_ziens"]


async def test_hangup_without_a_prompt_ends_the_call_at_once(practice: FakePractice) -> None:
    """No prompt: the call is hung up right after the key, nothing else plays."""
    ari = practice.ari
    caller = await choose(practice, "9")
    await hung_up(ari, caller)
    assert ari.played(caller) == ["welkom"]
    assert caller not in ari.channels
