"""What a caller waiting on the line hears: position, expected wait, the keep-place offer, and giving up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from storage.models import QueueEntry
from tests.fakes.practice import HEADSETS, FakePractice, demo_menu

Open = Callable[..., Awaitable[FakePractice]]


@pytest.fixture
async def open_practice(tmp_path: Path) -> AsyncIterator[Open]:
    """A practice whose assistants are all on the phone, its queue option 5 changed as asked."""
    practices: list[FakePractice] = []

    async def start(**changes: Any) -> FakePractice:
        menu = demo_menu()
        menu["menu"]["options"]["5"].update(changes)
        practice = FakePractice(tmp_path, menu)
        for headset in HEADSETS:
            practice.ari.busy(headset)
        practices.append(practice)
        return await practice.start()

    yield start
    for practice in practices:
        await practice.close()


async def queue_up(practice: FakePractice, number: str, key: str = "5") -> str:
    """A caller chooses a queue option and has heard the start of her first announcement."""
    caller = practice.calls_in(number)
    await practice.heard(caller, "welkom")
    practice.ari.press(caller, key)
    await practice.heard(caller, "wacht_positie")
    return caller


def announcements(practice: FakePractice, caller: str) -> list[list[str]]:
    """Every announcement the caller heard, each from `wacht_positie` up to the next one."""
    played = practice.ari.played(caller)
    starts = [i for i, name in enumerate(played) if name == "wacht_positie"]
    return [played[i:j] for i, j in zip(starts, [*starts[1:], len(played)], strict=True)]


async def first_announcement(practice: FakePractice, caller: str) -> list[str]:
    """The caller's first announcement, played to its end (six prompts of the fake's 2 s at most)."""
    await asyncio.sleep(15)
    return announcements(practice, caller)[0]


async def next_announcement(practice: FakePractice, caller: str, seconds: float = 60) -> list[str]:
    """Wait for the caller's next announcement to be played to its end; return it."""
    heard = len(announcements(practice, caller))
    await practice.ari.until(lambda: len(announcements(practice, caller)) > heard, seconds, "an announcement")
    await asyncio.sleep(15)  # well before the next announcement
    return announcements(practice, caller)[heard]


def minutes_said(announcement: list[str]) -> int:
    """The wait a caller was told, in minutes ("binnen een minuut" counts as one)."""
    if "wacht_minder_dan_minuut" in announcement:
        return 1
    return int(announcement[announcement.index("wacht_tijd") + 1].removeprefix("getal_"))


async def entry_statuses(practice: FakePractice) -> list[str]:
    async def query(session: Any) -> list[str]:
        return list(await session.scalars(select(QueueEntry.status).order_by(QueueEntry.id)))

    return await practice.sql(query)


async def test_the_first_caller_hears_she_is_number_one_and_helped_within_a_minute(
    open_practice: Open,
) -> None:
    """Position one: "U bent nummer een in de wachtrij. U bent binnen een minuut aan de beurt."."""
    practice = await open_practice()
    caller = await queue_up(practice, "0612000101")
    assert await first_announcement(practice, caller) == [
        "wacht_positie",
        "getal_1",
        "wacht_minder_dan_minuut",
    ]


async def test_a_caller_further_back_hears_her_position_and_the_minutes_to_wait(open_practice: Open) -> None:
    """Third in line with two live headsets at 4 minutes a caller: number three, about six minutes."""
    practice = await open_practice()
    await queue_up(practice, "0612000101")
    await queue_up(practice, "0612000102")
    third = await queue_up(practice, "0612000103")
    first = await first_announcement(practice, third)
    assert first[:5] == ["wacht_positie", "getal_3", "wacht_tijd", "getal_6", "wacht_minuten"]


async def test_the_announcement_repeats_and_follows_callers_ahead_leaving(open_practice: Open) -> None:
    """Every `announce_every` seconds the position is said again, one lower once a caller ahead left."""
    practice = await open_practice(announce_every=20)
    ahead = await queue_up(practice, "0612000101")
    caller = await queue_up(practice, "0612000102")
    first_said = asyncio.get_running_loop().time()
    practice.ari.hang_up(ahead)
    await practice.ari.until(lambda: len(announcements(practice, caller)) == 2, 30, "the second announcement")
    assert asyncio.get_running_loop().time() - first_said == pytest.approx(20, abs=0.5)
    await asyncio.sleep(10)
    first, again = announcements(practice, caller)
    assert first[1] == "getal_2"
    assert again == ["wacht_positie", "getal_1", "wacht_minder_dan_minuut"]


async def test_a_wait_once_said_is_not_raised_when_colleagues_go_ahead(open_practice: Open) -> None:
    """Third in line told six minutes stays at six minutes when three intercollegiaal callers go first."""
    practice = await open_practice(announce_every=20)
    await queue_up(practice, "0612000101")
    await queue_up(practice, "0612000102")
    caller = await queue_up(practice, "0612000103")
    for n in range(3):
        await queue_up(practice, f"020123450{n}", key="2")
    later = await next_announcement(practice, caller, 30)
    assert later[1] == "getal_6", "her position is said as it is now"
    assert minutes_said(later) == minutes_said(announcements(practice, caller)[0]) == 6


async def test_within_a_minute_is_not_raised_when_a_colleague_goes_ahead(open_practice: Open) -> None:
    """A first caller told "binnen een minuut" is not told a longer wait once a colleague goes first."""
    practice = await open_practice(announce_every=20)
    caller = await queue_up(practice, "0612000101")
    await queue_up(practice, "0201234500", key="2")
    later = await next_announcement(practice, caller, 30)
    assert later[1] == "getal_2"
    assert minutes_said(announcements(practice, caller)[0]) == 1
    assert minutes_said(later) <= 1, f"told within a minute, then {later}"


@pytest.mark.parametrize(
    ("changes", "offered"),
    [
        ({}, False),  # none ahead: "binnen een minuut", 60 s stored, no offer
        ({"keep_place_after_seconds": 50}, True),  # the minute said is above 50 s
        ({"keep_place_after_seconds": 60}, False),  # only above, not at
        ({"keep_place_when_ahead": 0}, False),  # nobody is ahead of the first caller
    ],
)
async def test_the_first_caller_is_offered_to_keep_her_place_only_above_the_threshold(
    open_practice: Open, changes: dict[str, int], offered: bool
) -> None:
    """The keep-place offer plays only when the expected wait is above keep_place_after_seconds."""
    practice = await open_practice(**changes)
    caller = await queue_up(practice, "0612000101")
    assert ("wacht_plek_bewaren" in await first_announcement(practice, caller)) is offered


@pytest.mark.parametrize(("when_ahead", "offered"), [(0, True), (1, False)])
async def test_a_caller_is_offered_to_keep_her_place_when_more_are_ahead_than_set(
    open_practice: Open, when_ahead: int, offered: bool
) -> None:
    """With a short wait, the offer depends on the callers ahead being more than keep_place_when_ahead."""
    practice = await open_practice(minutes_per_call=1, keep_place_when_ahead=when_ahead)
    await queue_up(practice, "0612000101")
    second = await queue_up(practice, "0612000102")
    said = await first_announcement(practice, second)
    assert said[:4] == ["wacht_positie", "getal_2", "wacht_tijd", "getal_1"]
    assert ("wacht_plek_bewaren" in said) is offered


async def test_the_keep_key_does_nothing_while_the_place_is_not_offered(open_practice: Open) -> None:
    """A caller who was not offered to keep her place and presses 5 just waits on."""
    practice = await open_practice()
    caller = await queue_up(practice, "0612000101")
    practice.ari.press(caller, "5")
    await asyncio.sleep(10)
    assert "wacht_plek_bewaard" not in practice.ari.played(caller)
    assert await entry_statuses(practice) == ["waiting"]


async def test_the_echo_of_the_menu_key_does_not_keep_the_place(open_practice: Open) -> None:
    """A 5 within 1.5 s of joining (the echo of the menu key) is ignored; a 5 after that keeps the place."""
    practice = await open_practice(prompt=None, keep_place_after_seconds=0)
    ari = practice.ari
    caller = practice.calls_in("0612000101")
    await practice.heard(caller, "welkom")
    ari.press(caller, "5")
    await asyncio.sleep(1.0)
    ari.press(caller, "5")
    await asyncio.sleep(5)
    assert "wacht_plek_bewaard" not in ari.played(caller)
    assert await entry_statuses(practice) == ["waiting"]
    ari.press(caller, "5")
    await practice.heard(caller, "wacht_plek_bewaard", 10)
    assert await entry_statuses(practice) == ["kept"]


async def test_a_caller_who_waited_max_wait_seconds_hears_the_no_answer_prompt(open_practice: Open) -> None:
    """After max_wait_seconds the wait ends with the option's no_answer_prompt and the call ends."""
    practice = await open_practice(max_wait_seconds=60, announce_every=25)
    caller = await queue_up(practice, "0612000101")
    joined = asyncio.get_running_loop().time()
    await practice.heard(caller, "niemand_bereikbaar", 90)
    waited = asyncio.get_running_loop().time() - joined
    assert 58 <= waited <= 62
    await practice.ari.until(lambda: caller not in practice.ari.channels, 30, "the call to end")
    assert await entry_statuses(practice) == ["abandoned"]


@pytest.mark.parametrize(("key", "intro"), [("5", "wachtrij_welkom"), ("2", "doorverbinden_assistente")])
async def test_the_options_own_intro_plays_once_before_the_first_announcement(
    open_practice: Open, key: str, intro: str
) -> None:
    """The queue option's prompt plays once on joining, before the position is said."""
    practice = await open_practice()
    caller = await queue_up(practice, "0612000101", key=key)
    await first_announcement(practice, caller)
    played = practice.ari.played(caller)
    assert played.count(intro) == 1
    assert played.index(intro) < played.index("wacht_positie")


async def test_spoed_during_the_queue_intro_rings_spoed_and_leaves_the_queue(open_practice: Open) -> None:
    """The spoed key breaks through the queue's intro prompt; the entry is closed as abandoned."""
    practice = await open_practice()
    ari = practice.ari
    caller = practice.calls_in("0612000101")
    await practice.heard(caller, "welkom")
    ari.press(caller, "5")
    await practice.heard(caller, "wachtrij_welkom")
    ari.press(caller, "1")
    await ari.until(lambda: ari.of("originate", endpoint="PJSIP/assistent1"), 10, "spoed to ring")
    assert "wacht_positie" not in ari.played(caller)
    assert await entry_statuses(practice) == ["abandoned"]
