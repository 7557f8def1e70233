"""Outside opening hours on the fake ARI: the closed message, spoed to the huisartsenpost, and closed days."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.ari import FakeAri
from tests.fakes.loop import current
from tests.fakes.practice import HEADSETS, START, FakePractice, demo_menu

HAP = "PJSIP/0307654321@provider"  # the huisartsenpost, through the provider's outbound template
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def menu_with_hours(opening_hours: dict[str, Any]) -> dict[str, Any]:
    menu = demo_menu()
    menu["opening_hours"] = opening_hours
    menu["outside_hours"]["huisartsenpost"] = "0307654321"  # not the spoed overflow number
    return menu


# START is Monday 09:00: a practice that opens at 10:00 is closed then.
LATER_TODAY = menu_with_hours({"monday": ["10:00-17:00"], "public_holidays": False})


@pytest.fixture
async def practice(tmp_path: Path):
    practice = FakePractice(tmp_path, LATER_TODAY)
    await practice.start()
    yield practice
    await practice.close()


async def hung_up(ari: FakeAri, caller: str, seconds: float = 30) -> None:
    await ari.until(lambda: ari.of("hangup", channel_id=caller), seconds, "the call hung up")


async def test_outside_hours_the_caller_hears_the_closed_message_not_the_menu(practice: FakePractice) -> None:
    """The call is answered, buiten_openingstijden plays, and without a key the call ends after 5 s."""
    ari = practice.ari
    caller = practice.calls_in()
    await practice.heard_all(caller, "buiten_openingstijden")
    await hung_up(ari, caller)
    assert ari.of("answer", channel_id=caller)
    assert ari.played(caller) == ["buiten_openingstijden"]
    assert not ari.of("originate"), "nobody is rung for a caller who did not ask for spoed"


async def test_the_spoed_key_during_the_message_rings_the_huisartsenpost(practice: FakePractice) -> None:
    """1 stops the message and rings the huisartsenpost through the provider, never the headsets."""
    ari = practice.ari
    ari.provider(answer_after=5)
    caller = practice.calls_in("0612345678")
    await practice.heard(caller, "buiten_openingstijden")
    ari.press(caller, "1")
    await ari.until(lambda: ari.of("originate"), 5, "ringing")
    [leg] = ari.of("originate")
    assert leg.params["endpoint"] == HAP
    assert leg.params["caller_id"] == '"0612345678" <0612345678>'
    await practice.heard(caller, "doorverbinden_huisartsenpost")
    await ari.until(lambda: any(caller in members for members in ari.bridges.values()), 10, "bridged")
    assert not any(ari.legs(h) for h in HEADSETS)


async def test_the_spoed_key_just_after_the_message_still_counts(practice: FakePractice) -> None:
    """A caller who presses 1 within a few seconds after the message ends is connected too."""
    ari = practice.ari
    caller = practice.calls_in()
    await practice.heard_all(caller, "buiten_openingstijden")
    ari.press(caller, "1")
    await ari.until(lambda: ari.ringing("provider"), 5, "ringing")
    assert [r.params["endpoint"] for r in ari.of("originate")] == [HAP]


async def test_other_keys_neither_cut_the_message_nor_connect(practice: FakePractice) -> None:
    """Only the spoed key means something outside hours: 4 is ignored and the call ends after the message."""
    ari = practice.ari
    caller = practice.calls_in()
    await practice.heard(caller, "buiten_openingstijden")
    ari.press(caller, "4")
    await hung_up(ari, caller)
    assert not ari.of("stop_playback")
    assert not ari.of("originate")
    assert "welkom" not in ari.played(caller)


async def test_an_unanswered_huisartsenpost_is_rung_again_without_repeating_the_prompt(
    practice: FakePractice,
) -> None:
    """The huisartsenpost rings 45 s; nobody answers, so it is rung again while the caller hears ringing."""
    ari = practice.ari
    caller = practice.calls_in()
    await practice.heard(caller, "buiten_openingstijden")
    ari.press(caller, "1")
    await ari.until(lambda: len(ari.of("originate")) == 2, 60, "a second round")
    assert [r.params["endpoint"] for r in ari.of("originate")] == [HAP, HAP]
    assert ari.played(caller).count("doorverbinden_huisartsenpost") == 1
    assert ari.of("ring", channel_id=caller)


async def test_a_stop_just_as_the_huisartsenpost_is_dialled_ends_at_once(practice: FakePractice) -> None:
    """A graceful stop (SIGTERM) as the huisartsenpost starts ringing finishes and leaves nothing ringing."""
    ari = practice.ari
    caller = practice.calls_in()
    await practice.heard(caller, "buiten_openingstijden")
    ari.press(caller, "1")
    await ari.until(lambda: ari.of("originate"), 5, "ringing")
    try:
        async with asyncio.timeout(10):
            await practice.stop()
    except TimeoutError:
        raise AssertionError("the controller did not stop: a call task swallowed its cancellation") from None
    assert not ari.ringing("provider")


@pytest.mark.parametrize(
    ("hours", "is_open"),
    [
        ({"monday": ["09:00-10:00"]}, True),  # opens at this very minute
        ({"monday": ["08:00-09:00"]}, False),  # the end time itself is already closed
        ({day: ["00:00-24:00"] for day in DAYS} | {"closed_dates": ["2026-11-23"]}, False),
        ({"tuesday": ["00:00-24:00"]}, False),  # Monday not listed: closed all day
    ],
    ids=["opens-now", "closed-at-the-end-time", "closed-date", "day-not-listed"],
)
async def test_what_counts_as_open(tmp_path: Path, hours: dict[str, Any], is_open: bool) -> None:
    """At Monday 09:00 the menu or the closed message plays as the opening hours say."""
    practice = FakePractice(tmp_path, menu_with_hours(hours | {"public_holidays": False}))
    await practice.start()
    try:
        caller = practice.calls_in()
        await practice.ari.until(lambda: practice.ari.played(caller), 5, "a first prompt")
        assert practice.ari.played(caller) == ["welkom" if is_open else "buiten_openingstijden"]
    finally:
        await practice.close()


@pytest.mark.parametrize("public_holidays", [True, False])
async def test_public_holidays_close_the_practice_only_when_asked(
    tmp_path: Path, public_holidays: bool
) -> None:
    """On Eerste Kerstdag (a Friday) a practice open every day hears the closed message if holidays count."""
    christmas = START.replace(month=12, day=25)
    current().advance((christmas - START).total_seconds())  # the practice's clock follows the loop's
    every_day = {day: ["00:00-24:00"] for day in DAYS}
    practice = FakePractice(tmp_path, menu_with_hours(every_day | {"public_holidays": public_holidays}))
    await practice.start()
    try:
        assert practice.now() == christmas
        caller = practice.calls_in()
        await practice.ari.until(lambda: practice.ari.played(caller), 5, "a first prompt")
        assert practice.ari.played(caller) == ["buiten_openingstijden" if public_holidays else "welkom"]
    finally:
        await practice.close()
