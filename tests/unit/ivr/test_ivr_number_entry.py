"""Typing a callback number on the keypad (withheld caller id) on the fake ARI: entry, read-back, mistakes."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from storage.models import CallbackRequest, CallEvent
from tests.fakes.practice import HEADSETS, FakePractice, demo_menu


@pytest.fixture
async def practice(tmp_path: Path):
    menu = demo_menu()
    menu["menu"]["options"]["4"]["voice_note"] = False
    practice = FakePractice(tmp_path, menu)
    await practice.start()
    yield practice
    await practice.close()


async def at_number_entry(practice: FakePractice) -> str:
    """A caller with a withheld number chooses the callback and has heard the typing instruction."""
    caller = practice.calls_in("anonymous")
    await practice.heard(caller, "welkom")
    practice.ari.press(caller, "4")
    await practice.heard_all(caller, "terugbel_nummer_intoetsen")
    return caller


async def heard_all_times(practice: FakePractice, caller: str, prompt: str, times: int) -> None:
    """Wait until `prompt` has ended (played out or stopped) `times` times on the channel."""
    ari = practice.ari

    def ended() -> int:
        ids = {
            r.params["playback_id"]
            for r in ari.of("play", channel_id=caller)
            if r.params["media"].endswith(f"/{prompt}")
        }
        return sum(1 for e in ari.events if e["type"] == "PlaybackFinished" and e["playback"]["id"] in ids)

    await ari.until(lambda: ended() >= times, 60, f"{prompt} ended {times}x")


async def heard_times(practice: FakePractice, caller: str, prompt: str, times: int) -> None:
    """Wait until `prompt` has started `times` times on the channel."""
    ari = practice.ari
    await ari.until(lambda: ari.played(caller).count(prompt) >= times, 60, f"{prompt} started {times}x")


def read_back(practice: FakePractice, caller: str, which: int = -1) -> list[str]:
    """The digits of a read-back ("cijfer_0" ... as "0" ...); the last one unless `which` says otherwise."""
    played = practice.ari.played(caller)
    starts = [i for i, name in enumerate(played) if name == "terugbel_nummer_herhaling"]
    start = starts[which] + 1
    end = played.index("terugbel_nummer_keuze", start)
    return [name.removeprefix("cijfer_") for name in played[start:end]]


async def requests(practice: FakePractice) -> list[CallbackRequest]:
    async def query(session: Any) -> list[CallbackRequest]:
        return list(await session.scalars(select(CallbackRequest).order_by(CallbackRequest.id)))

    return await practice.sql(query)


async def events(practice: FakePractice) -> list[CallEvent]:
    async def query(session: Any) -> list[CallEvent]:
        return list(await session.scalars(select(CallEvent).order_by(CallEvent.id)))

    return await practice.sql(query)


async def confirm_and_book(practice: FakePractice, caller: str, read_backs: int = 1) -> CallbackRequest:
    """Confirm the `read_backs`-th read-back, then the offered time; returns the stored request."""
    ari = practice.ari
    await heard_times(practice, caller, "terugbel_nummer_keuze", read_backs)
    ari.press(caller, "2")
    await practice.heard_all(caller, "terugbel_keuze")
    ari.press(caller, "2")
    await practice.heard(caller, "terugbel_genoteerd")
    [request] = await requests(practice)
    return request


async def test_a_number_ended_with_hash_is_read_back_digit_by_digit_and_booked(
    practice: FakePractice,
) -> None:
    """0612000041# is read back as ten digits, confirmed, and stored as a typed number; its 1 is no spoed."""
    caller = await at_number_entry(practice)
    practice.ari.press(caller, "0612000041#")
    request = await confirm_and_book(practice, caller)
    assert read_back(practice, caller) == list("0612000041")
    assert (request.phone, request.number_source) == ("0612000041", "typed")
    assert not practice.ari.of("originate"), "a 1 inside a typed number never rings spoed"


async def test_a_pause_after_the_last_digit_ends_the_number(practice: FakePractice) -> None:
    """Without #, the read-back starts five seconds after the last key."""
    caller = await at_number_entry(practice)
    practice.ari.press(caller, "0612000042")
    pressed_at = asyncio.get_running_loop().time()
    await practice.heard(caller, "terugbel_nummer_herhaling")
    assert asyncio.get_running_loop().time() - pressed_at == pytest.approx(5.0, abs=0.01)
    await practice.heard(caller, "terugbel_nummer_keuze")
    assert read_back(practice, caller) == list("0612000042")


async def test_star_starts_the_number_over(practice: FakePractice) -> None:
    """Digits before * are forgotten: only what follows it is read back and booked."""
    caller = await at_number_entry(practice)
    practice.ari.press(caller, "0655*0612000043#")
    request = await confirm_and_book(practice, caller)
    assert read_back(practice, caller) == list("0612000043")
    assert request.phone == "0612000043"


async def test_keys_pressed_during_the_instruction_are_not_part_of_the_number(practice: FakePractice) -> None:
    """A 9 pressed while "toets uw nummer in" plays is dropped; the number starts after it."""
    caller = practice.calls_in("anonymous")
    await practice.heard(caller, "welkom")
    practice.ari.press(caller, "4")
    await practice.heard(caller, "terugbel_nummer_intoetsen")
    practice.ari.press(caller, "9")
    await practice.heard_all(caller, "terugbel_nummer_intoetsen")
    practice.ari.press(caller, "0612000044#")
    await practice.heard(caller, "terugbel_nummer_keuze")
    assert read_back(practice, caller) == list("0612000044")


@pytest.mark.parametrize(
    "typed",
    ["0900123456#", "06123#", "0049301234567#", ""],
    ids=["premium-rate", "too-short", "foreign", "nothing"],
)
async def test_two_invalid_numbers_end_the_offer_with_nothing_stored(
    practice: FakePractice, typed: str
) -> None:
    """An unusable number is refused twice: terugbel_nummer_mislukt, a number_failed event, no request."""
    ari = practice.ari
    caller = await at_number_entry(practice)
    ari.press(caller, typed)
    await practice.heard(caller, "terugbel_nummer_ongeldig", 20)
    await heard_all_times(practice, caller, "terugbel_nummer_intoetsen", 2)
    ari.press(caller, typed)
    await practice.heard_all(caller, "terugbel_nummer_mislukt", 20)
    await ari.until(lambda: ari.of("hangup", channel_id=caller), 5, "hung up")
    assert "terugbel_nummer_herhaling" not in ari.played(caller), "an invalid number is never read back"
    assert await requests(practice) == []
    assert "callback_number_failed" in [e.kind for e in await events(practice)]


async def test_one_invalid_number_then_a_good_one_is_booked(practice: FakePractice) -> None:
    """The first attempt is a 0900 number; the second, valid one is read back and booked."""
    ari = practice.ari
    caller = await at_number_entry(practice)
    ari.press(caller, "0900123456#")
    await heard_all_times(practice, caller, "terugbel_nummer_intoetsen", 2)
    ari.press(caller, "0201234567#")
    request = await confirm_and_book(practice, caller)
    assert request.phone == "0201234567"
    assert "terugbel_nummer_mislukt" not in ari.played(caller)


async def test_the_again_key_lets_the_caller_type_the_number_anew(practice: FakePractice) -> None:
    """3 at the read-back asks for the number again (not counted as invalid); the second one is booked."""
    ari = practice.ari
    caller = await at_number_entry(practice)
    ari.press(caller, "0612000045#")
    await practice.heard(caller, "terugbel_nummer_keuze")
    ari.press(caller, "3")
    await heard_all_times(practice, caller, "terugbel_nummer_intoetsen", 2)
    ari.press(caller, "0612000046#")
    request = await confirm_and_book(practice, caller, read_backs=2)
    assert read_back(practice, caller, 0) == list("0612000045")
    assert read_back(practice, caller, 1) == list("0612000046")
    assert request.phone == "0612000046"
    assert "terugbel_nummer_ongeldig" not in ari.played(caller)


async def test_a_number_never_confirmed_does_not_keep_the_caller_in_a_loop(practice: FakePractice) -> None:
    """Silence at every read-back: after a few valid, unconfirmed numbers the offer ends, nothing stored."""
    ari = practice.ari
    caller = await at_number_entry(practice)
    for attempt in range(1, 5):
        await heard_all_times(practice, caller, "terugbel_nummer_intoetsen", attempt)
        ari.press(caller, f"061200005{attempt}#")
        await heard_times(practice, caller, "terugbel_nummer_keuze", attempt)
    await practice.heard_all(caller, "terugbel_nummer_mislukt", 30)
    assert await requests(practice) == []


async def test_spoed_during_the_read_back_rings_spoed_and_books_nothing(practice: FakePractice) -> None:
    """1 while the digits are read back breaks through: every spoed headset rings, no request is stored."""
    ari = practice.ari
    caller = await at_number_entry(practice)
    ari.press(caller, "0612000047#")
    await ari.until(lambda: "cijfer_6" in ari.played(caller), 10, "the read-back")
    ari.press(caller, "1")
    await ari.until(lambda: all(ari.ringing(h) for h in HEADSETS), 10, "spoed ringing")
    assert "terugbel_nummer_keuze" not in ari.played(caller), "the read-back was cut short"
    assert await requests(practice) == []
    [spoed] = [e for e in await events(practice) if e.kind == "callback_spoed"]
    assert spoed.detail == {"stage": "number"}
