"""The call trace of a patient's call on the fake ARI: menu, spoed and the queue leave the events a report
needs, and the figures read from them are what the call really did."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from reports.figures import compute_figures
from reports.records import build_stories
from storage.call_events import EventKind as K
from tests.fakes.practice import FakePractice, demo_menu
from tests.fakes.trace import traces

PATIENT = "0612000301"
HEADSETS = ("assistent1", "assistent2", "assistent3")


def now() -> float:
    return asyncio.get_running_loop().time()


@pytest.fixture
async def practice(tmp_path: Path):
    practice = FakePractice(tmp_path, demo_menu())
    await practice.start()
    yield practice
    await practice.close()


async def test_a_menu_walk_leaves_each_choice_with_its_path_and_the_end(practice: FakePractice) -> None:
    """3 then 2 (the portal information): two choices with their menu path, then a completed end."""
    ari = practice.ari
    caller = practice.calls_in(PATIENT)
    arrived = now()
    await practice.heard(caller, "welkom")
    ari.press(caller, "3")
    await practice.heard(caller, "herhaalrecepten_menu")
    ari.press(caller, "2")
    await ari.until(lambda: ari.of("hangup", channel_id=caller), 30, "the call to end")
    ended = now()
    [call] = await traces(practice, [PATIENT])
    assert call.kinds == [K.CALL_ARRIVED, K.MENU_CHOICE, K.MENU_CHOICE, K.CALL_ENDED]
    assert call.one(K.CALL_ARRIVED).detail == {"caller": "number"}
    choices = [e.detail for e in call.all(K.MENU_CHOICE)]
    assert choices == [
        {"path": "", "key": "3", "option": "submenu", "group": None},
        {"path": "3", "key": "2", "option": "play", "group": None},
    ]
    end = call.one(K.CALL_ENDED)
    assert end.detail["reason"] == "completed"
    assert end.detail["seconds"] == pytest.approx(ended - arrived, abs=0.01)
    assert call.seconds(K.CALL_ARRIVED, K.CALL_ENDED) == pytest.approx(ended - arrived, abs=0.01)


async def test_a_withheld_caller_who_hangs_up_in_the_welcome_leaves_arrival_and_end(
    practice: FakePractice,
) -> None:
    """No choice: the trace says withheld, hung up, and for how long the caller was on the line."""
    caller = practice.calls_in("anonymous")
    await practice.heard(caller, "welkom")
    await asyncio.sleep(1.5)
    practice.ari.hang_up(caller)
    await practice.ari.until(lambda: not practice.controller.calls.all(), 10, "the call task to end")
    [call] = await traces(practice)
    assert call.kinds == [K.CALL_ARRIVED, K.CALL_ENDED]
    assert call.one(K.CALL_ARRIVED).detail == {"caller": "withheld"}
    assert call.one(K.CALL_ENDED).detail == {"reason": "patient_hung_up", "seconds": pytest.approx(1.5)}


async def test_spoed_answered_gives_the_headset_and_the_time_to_a_person(practice: FakePractice) -> None:
    """1, then assistent2 answers 7 s later: spoed_answered by her after 7 s, without overflow."""
    ari = practice.ari
    caller = practice.calls_in(PATIENT)
    await practice.heard(caller, "welkom")
    ari.press(caller, "1")
    pressed = now()
    await ari.until(lambda: all(ari.ringing(h) for h in HEADSETS), 5, "headsets ringing")
    await asyncio.sleep(7)
    ari.pick_up(ari.ringing("assistent2")[0])
    answered = now()
    await ari.until(lambda: any(caller in b for b in ari.bridges.values()), 5, "bridged")
    ari.hang_up(caller)
    await ari.until(lambda: not practice.controller.calls.all(), 10, "the call task to end")
    [call] = await traces(practice, [PATIENT])
    assert call.kinds == [K.CALL_ARRIVED, K.MENU_CHOICE, K.SPOED_STARTED, K.SPOED_ANSWERED, K.CALL_ENDED]
    assert call.one(K.MENU_CHOICE).detail["option"] == "spoed"
    assert call.one(K.SPOED_STARTED).detail == {"route": "practice", "headsets": 3}
    spoed = call.one(K.SPOED_ANSWERED)
    assert spoed.detail == {"by": "assistent2", "seconds": pytest.approx(answered - pressed, abs=0.01),
                            "overflowed": False}  # fmt: skip
    assert call.seconds(K.SPOED_STARTED, K.SPOED_ANSWERED) == pytest.approx(7.0, abs=0.01)
    assert call.one(K.CALL_ENDED).detail["reason"] == "patient_hung_up"


async def test_spoed_overflowed_is_answered_by_the_overflow_number(practice: FakePractice) -> None:
    """Nobody at the practice within 25 s: overflowed after 25 s, the huisartsenpost answers 5 s later."""
    ari = practice.ari
    caller = practice.calls_in(PATIENT)
    await practice.heard(caller, "welkom")
    ari.press(caller, "1")
    pressed = now()
    await ari.until(lambda: ari.ringing("provider"), 40, "the overflow number to ring")
    overflowed = now()
    await asyncio.sleep(5)
    ari.pick_up(ari.ringing("provider")[0])
    answered = now()
    await ari.until(lambda: any(caller in b for b in ari.bridges.values()), 5, "bridged")
    ari.hang_up(next(c for c in ari.bridges.values() if caller in c)[1])  # the huisartsenpost hangs up
    await ari.until(lambda: not practice.controller.calls.all(), 10, "the call task to end")
    [call] = await traces(practice, [PATIENT])
    assert call.kinds[2:] == [K.SPOED_STARTED, K.SPOED_OVERFLOWED, K.SPOED_ANSWERED, K.CALL_ENDED]
    assert overflowed - pressed == pytest.approx(25.0, abs=0.01)
    assert call.one(K.SPOED_OVERFLOWED).detail == {"round": 1, "seconds": pytest.approx(25.0, abs=0.01)}
    spoed = call.one(K.SPOED_ANSWERED).detail
    assert (spoed["by"], spoed["overflowed"]) == ("spoed_overflow", True)
    assert spoed["seconds"] == pytest.approx(answered - pressed, abs=0.01)
    assert call.seconds(K.SPOED_STARTED, K.SPOED_ANSWERED) == pytest.approx(30.0, abs=0.01)
    assert call.one(K.CALL_ENDED).detail["reason"] == "completed"


async def test_spoed_given_up_by_the_patient_says_hung_up_and_when(practice: FakePractice) -> None:
    """The patient hangs up after 12 s of ringing: spoed_given_up, hung_up, 12 s; nothing answered."""
    ari = practice.ari
    caller = practice.calls_in(PATIENT)
    await practice.heard(caller, "welkom")
    ari.press(caller, "1")
    await ari.until(lambda: all(ari.ringing(h) for h in HEADSETS), 5, "headsets ringing")
    await asyncio.sleep(12)
    ari.hang_up(caller)
    await ari.until(lambda: not practice.controller.calls.all(), 10, "the call task to end")
    [call] = await traces(practice, [PATIENT])
    assert call.kinds[2:] == [K.SPOED_STARTED, K.SPOED_GIVEN_UP, K.CALL_ENDED]
    assert call.one(K.SPOED_GIVEN_UP).detail == {
        "reason": "hung_up",
        "seconds": pytest.approx(12.0, abs=0.01),
    }


async def test_spoed_that_nobody_answers_is_given_up_after_the_last_round(practice: FakePractice) -> None:
    """Headsets and overflow ring out until the give-up time: one overflow per round, then nobody_answered."""
    ari = practice.ari
    caller = practice.calls_in(PATIENT)
    await practice.heard(caller, "welkom")
    ari.press(caller, "1")
    await practice.heard(caller, "niemand_bereikbaar", seconds=600)
    [call] = await traces(practice, [PATIENT])
    rounds = [e.detail["round"] for e in call.all(K.SPOED_OVERFLOWED)]
    assert rounds == [1, 2, 3, 4, 5]  # 70 s rounds (25 s headsets, 45 s overflow) until 300 s have passed
    given_up = call.one(K.SPOED_GIVEN_UP)
    assert given_up.detail == {"reason": "nobody_answered", "seconds": pytest.approx(350.0, abs=0.1)}
    assert call.seconds(K.SPOED_STARTED, K.SPOED_GIVEN_UP) == given_up.detail["seconds"]


async def test_spoed_outside_hours_is_traced_as_the_huisartsenpost_route(tmp_path: Path) -> None:
    """Closed: outside_hours, then 1: spoed to the huisartsenpost, answered there after 6 s."""
    menu = demo_menu()
    menu["opening_hours"] = {"monday": ["10:00-17:00"], "public_holidays": False}  # START is 09:00
    practice = await FakePractice(tmp_path, menu).start()
    try:
        ari = practice.ari
        caller = practice.calls_in(PATIENT)
        await practice.heard(caller, "buiten_openingstijden")
        ari.press(caller, "1")
        await ari.until(lambda: ari.ringing("provider"), 5, "the huisartsenpost to ring")
        await asyncio.sleep(6)
        ari.pick_up(ari.ringing("provider")[0])
        await ari.until(lambda: any(caller in b for b in ari.bridges.values()), 5, "bridged")
        ari.hang_up(caller)
        await ari.until(lambda: not practice.controller.calls.all(), 10, "the call task to end")
        [call] = await traces(practice, [PATIENT])
    finally:
        await practice.close()
    assert call.kinds == [K.CALL_ARRIVED, K.OUTSIDE_HOURS, K.SPOED_STARTED, K.SPOED_ANSWERED, K.CALL_ENDED]
    assert call.one(K.SPOED_STARTED).detail == {"route": "huisartsenpost", "headsets": 0}
    answered = call.one(K.SPOED_ANSWERED).detail
    assert answered == {"by": "huisartsenpost", "seconds": pytest.approx(6.0, abs=0.01), "overflowed": False}


# ---- the queue ------------------------------------------------------------------------------------------


@pytest.fixture
async def busy(tmp_path: Path):
    """Every assistant on the phone; the queue option says its position at once and every 20 s."""
    menu = demo_menu()
    menu["menu"]["options"]["5"].update(prompt=None, keep_place_after_seconds=0, announce_every=20)
    practice = FakePractice(tmp_path, menu)
    practice.busy = {h: practice.ari.busy(h) for h in HEADSETS}  # type: ignore[attr-defined]
    await practice.start()
    yield practice
    await practice.close()


async def waiting(practice: FakePractice, number: str) -> tuple[str, float]:
    caller = practice.calls_in(number)
    await practice.heard(caller, "welkom")
    practice.ari.press(caller, "5")
    joined = now()
    await practice.heard(caller, "wacht_positie")
    return caller, joined


async def test_a_queue_caller_answered_leaves_the_wait_the_announcement_and_the_headset(busy: Any) -> None:
    """She waits 60 s until assistent2 comes free and answers 3 s after ringing: waited 63 s, by her."""
    ari = busy.ari
    caller, joined = await waiting(busy, PATIENT)
    await asyncio.sleep(60 - (now() - joined))
    ari.hang_up(busy.busy["assistent2"])
    await ari.until(lambda: ari.ringing("assistent2"), 5, "her headset to ring")
    await asyncio.sleep(3)
    ari.pick_up(ari.ringing("assistent2")[0])
    answered = now()
    await ari.until(lambda: any(caller in b for b in ari.bridges.values()), 5, "bridged")
    ari.hang_up(caller)
    await ari.until(lambda: not busy.controller.calls.all(), 10, "the call task to end")
    [call] = await traces(busy, [PATIENT])
    assert call.kinds[:4] == [K.CALL_ARRIVED, K.MENU_CHOICE, K.QUEUE_JOINED, K.QUEUE_ANNOUNCED]
    assert call.kinds[-2:] == [K.QUEUE_LEFT, K.CALL_ENDED]
    assert call.one(K.MENU_CHOICE).detail == {"path": "", "key": "5", "option": "queue", "group": "overige"}
    joined_event = call.one(K.QUEUE_JOINED)
    assert joined_event.detail == {"entry_id": 1, "group": "overige", "rank": 1}
    first = call.all(K.QUEUE_ANNOUNCED)[0].detail
    assert first == {"entry_id": 1, "position": 1, "expected_seconds": 60, "keep_offered": True}
    left = call.one(K.QUEUE_LEFT).detail
    assert (left["outcome"], left["headset"]) == ("answered", "assistent2")
    assert left["waited_seconds"] == pytest.approx(answered - joined, abs=0.01)
    assert call.seconds(K.QUEUE_JOINED, K.QUEUE_LEFT) == pytest.approx(left["waited_seconds"], abs=0.01)
    assert call.one(K.CALL_ENDED).detail["reason"] == "patient_hung_up"


async def test_a_queue_caller_who_hangs_up_is_abandoned_after_her_wait(busy: Any) -> None:
    """Hanging up after 45 s in line: queue_left abandoned, waited 45 s (a lost call)."""
    caller, joined = await waiting(busy, PATIENT)
    await asyncio.sleep(45 - (now() - joined))
    busy.ari.hang_up(caller)
    await busy.ari.until(lambda: not busy.controller.calls.all(), 10, "the call task to end")
    [call] = await traces(busy, [PATIENT])
    assert call.kinds[-2:] == [K.QUEUE_LEFT, K.CALL_ENDED]
    left = call.one(K.QUEUE_LEFT).detail
    assert left == {"entry_id": 1, "outcome": "abandoned", "waited_seconds": pytest.approx(45.0, abs=0.01)}
    # Announced at 0 s and every 20 s, said once: only a change is recorded again.
    assert [e.detail["position"] for e in call.all(K.QUEUE_ANNOUNCED)] == [1]


async def test_a_caller_taken_over_after_a_restart_keeps_her_wait_from_the_first_arrival(busy: Any) -> None:
    """A restart at 30 s: the new call is call_resumed from the first, and her wait counts from 0 s."""
    ari = busy.ari
    caller, joined = await waiting(busy, PATIENT)
    await asyncio.sleep(30 - (now() - joined))
    said = ari.played(caller).count("wacht_positie")
    await busy.restart()
    await ari.until(lambda: ari.played(caller).count("wacht_positie") > said, 10, "the wait resumed")
    await asyncio.sleep(10)
    ari.hang_up(busy.busy["assistent1"])
    await ari.until(lambda: ari.ringing("assistent1"), 5, "her headset to ring")
    ari.pick_up(ari.ringing("assistent1")[0])
    answered = now()
    await ari.until(lambda: any(caller in b for b in ari.bridges.values()), 5, "bridged")
    [first, resumed] = await traces(busy, [PATIENT])
    assert (
        first.kinds[-1] == K.CALL_ENDED and first.one(K.CALL_ENDED).detail["reason"] == "controller_stopped"
    )
    # She did not leave the line: the stopping controller handed her over, 30 s into her wait.
    handed = first.one(K.QUEUE_LEFT).detail
    assert (handed["outcome"], handed["waited_seconds"]) == ("handed_over", pytest.approx(30.0, abs=0.01))
    assert resumed.one(K.CALL_RESUMED).detail == {"resumed_from": first.call_id, "entry_id": 1}
    left = resumed.one(K.QUEUE_LEFT).detail
    assert (left["outcome"], left["headset"]) == ("answered", "assistent1")
    assert left["waited_seconds"] == pytest.approx(answered - joined, abs=0.01)
    # The report sees one caller, answered after her whole wait.
    [story] = build_stories([*first.stored, *resumed.stored])
    regular = compute_figures([story], dt.UTC).regular
    assert (regular.calls, regular.answered) == (1, 1)
    assert regular.wait.p50 == pytest.approx(answered - joined, abs=0.01)


async def test_a_stop_during_the_queues_prompt_hands_the_caller_over(tmp_path: Path) -> None:
    """The controller stops while she hears the queue's first prompt: queue_left handed_over, not lost."""
    practice = FakePractice(tmp_path, demo_menu())
    await practice.start()
    try:
        caller = practice.calls_in(PATIENT)
        await practice.heard(caller, "welkom")
        practice.ari.press(caller, "5")
        prompt = demo_menu()["menu"]["options"]["5"]["prompt"]
        await practice.heard(caller, prompt)
        await practice.stop()
        [call] = await traces(practice, [PATIENT])
    finally:
        await practice.close()
    left = call.one(K.QUEUE_LEFT).detail
    assert left["outcome"] == "handed_over"
    assert call.kinds[-1] == K.CALL_ENDED and call.one(K.CALL_ENDED).detail["reason"] == "controller_stopped"
