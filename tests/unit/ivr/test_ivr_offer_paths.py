"""The callback offer's other paths on the fake ARI: full days, later, silence, races, hang-ups, notes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from capacity.config import CapacityConfig
from storage.bookings import book_callback
from storage.models import CallbackRequest, CallEvent
from tests.fakes.practice import HEADSETS, START, FakePractice, demo_menu

TEN = START.replace(hour=10)
QUARTER_PAST = START.replace(hour=10, minute=15)
SLOT_10 = ["terugbel_tijd", "dag_vandaag", "tijd_uur_10", "terugbel_keuze"]
SLOT_10_15 = ["terugbel_tijd", "dag_vandaag", "tijd_uur_10", "tijd_minuut_15", "terugbel_keuze"]


def one_place_per_quarter(monday: list[dict[str, Any]], **extra: Any) -> CapacityConfig:
    """Callbacks on Mondays only, one place per quarter (4 calls an hour), today only."""
    blocks = {"monday": monday}
    return CapacityConfig.model_validate(
        {"calls_per_assistant_per_hour": 4, "horizon_days": 0, "blocks": blocks} | extra
    )


TWO_SLOTS = one_place_per_quarter([{"start": "10:00", "end": "10:30", "assistants": 1}])


async def open_practice(tmp_path: Path, capacity: CapacityConfig | None = None, **offer: Any) -> FakePractice:
    menu = demo_menu()
    menu["menu"]["options"]["4"].update({"voice_note": False} | offer)
    practice = FakePractice(tmp_path, menu, capacity=capacity)
    return await practice.start()


@pytest.fixture
async def practice(tmp_path: Path):
    practice = await open_practice(tmp_path, TWO_SLOTS)
    yield practice
    await practice.close()


async def choose_callback(practice: FakePractice, number: str = "0612345678") -> str:
    caller = practice.calls_in(number)
    await practice.heard(caller, "welkom")
    practice.ari.press(caller, "4")
    return caller


async def take(practice: FakePractice, slot: dt.datetime, phone: str = "0611111111") -> None:
    """Another caller books the slot's one place, straight in the database."""
    request = await practice.db.run(
        book_callback,
        practice_id=await practice.registry.id(),
        slot_start=slot,
        slot_end=slot + dt.timedelta(minutes=15),
        capacity=1,
        phone=phone,
        number_source="caller_id",
    )
    assert request is not None


async def offers_heard(practice: FakePractice, caller: str, times: int) -> None:
    """Wait until the choice after an offered time has ended `times` times (played out or cut short)."""
    ari = practice.ari

    def ended() -> int:
        ids = {
            r.params["playback_id"]
            for r in ari.of("play", channel_id=caller)
            if "terugbel_keuze" in r.params["media"]
        }
        return sum(1 for e in ari.events if e["type"] == "PlaybackFinished" and e["playback"]["id"] in ids)

    await ari.until(lambda: ended() >= times, 60, f"offer {times}")


def after_offer(practice: FakePractice, caller: str) -> list[str]:
    played = practice.ari.played(caller)
    return played[played.index("terugbel_aanbod") + 1 :]


async def requests(practice: FakePractice) -> list[CallbackRequest]:
    async def query(session: Any) -> list[CallbackRequest]:
        return list(await session.scalars(select(CallbackRequest).order_by(CallbackRequest.id)))

    return await practice.sql(query)


async def events(practice: FakePractice, kind: str) -> list[dict[str, Any]]:
    async def query(session: Any) -> list[dict[str, Any]]:
        rows = await session.scalars(select(CallEvent).where(CallEvent.kind == kind).order_by(CallEvent.id))
        return [row.detail for row in rows]

    return await practice.sql(query)


async def hung_up(practice: FakePractice, caller: str) -> None:
    await practice.ari.until(lambda: practice.ari.of("hangup", channel_id=caller), 30, "hung up")


def local(moment: dt.datetime) -> str:
    return moment.astimezone(START.tzinfo).strftime("%H:%M")


async def test_a_full_horizon_turns_the_caller_away_before_asking_a_number(tmp_path: Path) -> None:
    """Today's only block is over: terugbel_vol, a turned-away event, and a withheld caller types nothing."""
    practice = await open_practice(
        tmp_path, one_place_per_quarter([{"start": "08:00", "end": "08:15", "assistants": 1}])
    )
    try:
        caller = await choose_callback(practice, "anonymous")
        await practice.heard_all(caller, "terugbel_vol")
        await hung_up(practice, caller)
        assert practice.ari.played(caller) == ["welkom", "terugbel_vol"]
        assert await events(practice, "callback_turned_away") == [
            {"reason": "full_horizon", "next_open_day": "2026-11-30"}
        ]
        assert await requests(practice) == []
    finally:
        await practice.close()


async def test_a_day_fully_booked_is_said_as_full_today(tmp_path: Path) -> None:
    """With say_full and today's one place taken, the caller hears terugbel_vol_vandaag."""
    capacity = one_place_per_quarter(
        [{"start": "10:00", "end": "10:15", "assistants": 1}], when_today_full="say_full"
    )
    practice = await open_practice(tmp_path, capacity)
    try:
        await take(practice, TEN)
        caller = await choose_callback(practice)
        await practice.heard_all(caller, "terugbel_vol_vandaag")
        [turned_away] = await events(practice, "callback_turned_away")
        assert turned_away["reason"] == "full_today"
        assert "terugbel_tijd" not in practice.ari.played(caller)
    finally:
        await practice.close()


async def test_the_spoed_key_during_the_turn_away_rings_spoed(tmp_path: Path) -> None:
    """The full message advises spoed callers to press 1, and 1 right after it rings every spoed headset."""
    practice = await open_practice(
        tmp_path, one_place_per_quarter([{"start": "08:00", "end": "08:15", "assistants": 1}])
    )
    try:
        ari = practice.ari
        caller = await choose_callback(practice)
        await practice.heard_all(caller, "terugbel_vol")
        ari.press(caller, "1")
        await ari.until(lambda: all(ari.ringing(h) for h in HEADSETS), 10, "spoed ringing")
        assert await events(practice, "callback_spoed") == [{"stage": "start"}]
    finally:
        await practice.close()


async def test_later_until_there_is_no_later_time(practice: FakePractice) -> None:
    """3 moves from 10:00 to 10:15; 3 again says there is no later time and offers 10:15 once more."""
    ari = practice.ari
    caller = await choose_callback(practice)
    await offers_heard(practice, caller, 1)
    ari.press(caller, "3")
    await offers_heard(practice, caller, 2)
    ari.press(caller, "3")
    await offers_heard(practice, caller, 3)
    ari.press(caller, "2")
    await practice.heard(caller, "terugbel_genoteerd")
    assert after_offer(practice, caller)[: 4 + 5 + 6] == [
        *SLOT_10,
        *SLOT_10_15,
        "terugbel_geen_later",
        *SLOT_10_15,
    ]
    [request] = await requests(practice)
    assert local(request.slot_start) == "10:15"


async def test_silence_once_repeats_the_offer_and_a_key_then_books(practice: FakePractice) -> None:
    """No key for the offer's timeout: geen_keuze and the same time again; 2 then books it."""
    ari = practice.ari
    caller = await choose_callback(practice)
    await offers_heard(practice, caller, 2)
    ari.press(caller, "2")
    await practice.heard(caller, "terugbel_genoteerd")
    assert after_offer(practice, caller)[:9] == [*SLOT_10, "geen_keuze", *SLOT_10]
    [request] = await requests(practice)
    assert local(request.slot_start) == "10:00"


async def test_silence_twice_ends_the_offer_politely(practice: FakePractice) -> None:
    """A second silence ends it: terugbel_geen_keuze_einde, a declined event with the slot, no booking."""
    caller = await choose_callback(practice)
    await practice.heard_all(caller, "terugbel_geen_keuze_einde", 60)
    await hung_up(practice, caller)
    assert practice.ari.played(caller).count("terugbel_tijd") == 2
    assert await events(practice, "callback_declined") == [{"slot": TEN.isoformat()}]
    assert await requests(practice) == []


async def test_wrong_keys_are_answered_and_the_third_ends_the_offer(practice: FakePractice) -> None:
    """7 and 8 are no choice (ongeldige_keuze, the time again); after a third wrong key nothing is booked."""
    ari = practice.ari
    caller = await choose_callback(practice)
    for times, key in enumerate("789", start=1):
        await offers_heard(practice, caller, times)
        ari.press(caller, key)
    await practice.heard_all(caller, "terugbel_geen_keuze_einde")
    assert after_offer(practice, caller) == [
        *SLOT_10,
        "ongeldige_keuze",
        *SLOT_10,
        "ongeldige_keuze",
        *SLOT_10,
        "terugbel_geen_keuze_einde",
    ]
    assert await requests(practice) == []


async def test_losing_the_race_for_the_last_place_offers_the_next_time(practice: FakePractice) -> None:
    """10:00 is taken while the caller listens: her 2 gets terugbel_tijd_vergeven and 10:15, then booked."""
    ari = practice.ari
    caller = await choose_callback(practice, "0612000061")
    await offers_heard(practice, caller, 1)
    await take(practice, TEN)
    ari.press(caller, "2")
    await offers_heard(practice, caller, 2)
    ari.press(caller, "2")
    await practice.heard(caller, "terugbel_genoteerd")
    assert after_offer(practice, caller)[:10] == [*SLOT_10, "terugbel_tijd_vergeven", *SLOT_10_15]
    assert await events(practice, "callback_slot_taken") == [{"slot": TEN.isoformat()}]
    booked = {r.phone: local(r.slot_start) for r in await requests(practice)}
    assert booked == {"0611111111": "10:00", "0612000061": "10:15"}


async def test_losing_the_race_for_the_very_last_place_turns_the_caller_away(practice: FakePractice) -> None:
    """Both places go while the caller listens: her 2 books nothing and she hears the day is full."""
    caller = await choose_callback(practice)
    await offers_heard(practice, caller, 1)
    await take(practice, TEN)
    await take(practice, QUARTER_PAST, "0622222222")
    practice.ari.press(caller, "2")
    await practice.heard_all(caller, "terugbel_vol")
    assert "terugbel_genoteerd" not in practice.ari.played(caller)
    assert [r.phone for r in await requests(practice)] == ["0611111111", "0622222222"]
    assert len(await events(practice, "callback_turned_away")) == 1


@pytest.mark.parametrize(
    ("number", "until", "detail"),
    [
        ("anonymous", "terugbel_nummer_intoetsen", {"stage": "number", "slot": None}),
        ("0612345678", "terugbel_keuze", {"stage": "offer", "slot": TEN.isoformat()}),
    ],
    ids=["typing-the-number", "at-the-offered-time"],
)
async def test_hanging_up_during_the_offer_is_stored_as_abandoned(
    practice: FakePractice, number: str, until: str, detail: dict[str, Any]
) -> None:
    """A caller who hangs up halfway is counted, with how far she got and the time she was offered."""
    caller = await choose_callback(practice, number)
    await practice.heard(caller, until)
    practice.ari.hang_up(caller)
    await practice.ari.until(lambda: not practice.controller.calls.all(), 10, "the call ended")
    assert await events(practice, "callback_abandoned") == [detail]
    assert await requests(practice) == []


async def test_hanging_up_during_the_intro_is_not_counted_as_an_offered_time(practice: FakePractice) -> None:
    """A caller gone during terugbel_aanbod heard no time: no offered event, no slot in the abandoned one."""
    caller = await choose_callback(practice)
    await practice.heard(caller, "terugbel_aanbod")
    practice.ari.hang_up(caller)
    await practice.ari.until(lambda: not practice.controller.calls.all(), 10, "the call ended")
    assert await events(practice, "callback_offered") == [], "no time was offered to this caller"
    [abandoned] = await events(practice, "callback_abandoned")
    assert abandoned["slot"] is None


async def test_the_voice_note_is_stored_with_the_booked_request(tmp_path: Path) -> None:
    """After genoteerd: instruction, beep, a recording of voice_note_seconds, linked to the request."""
    practice = await open_practice(tmp_path, voice_note=True, voice_note_seconds=20)
    try:
        ari = practice.ari
        caller = await choose_callback(practice)
        await offers_heard(practice, caller, 1)
        ari.press(caller, "2")
        await ari.until(lambda: ari.recordings, 30, "recording")
        [record] = ari.of("record", channel_id=caller)
        name = record.params["name"]
        assert name.startswith("terugbelverzoek/") and record.params["max_seconds"] == 20
        assert ari.played(caller)[-2:] == ["terugbel_vraag_inspreken", "piep"]
        ari.finish_recording(name)
        await practice.heard_all(caller, "terugbel_vraag_ontvangen")
        [request] = await requests(practice)
        assert request.voice_note_ref == name
    finally:
        await practice.close()


@pytest.mark.parametrize(
    "recording_ends_first", [True, False], ids=["recording-ends-first", "channel-ends-first"]
)
async def test_hanging_up_during_the_voice_note_still_links_it(
    tmp_path: Path, recording_ends_first: bool
) -> None:
    """Hanging up instead of pressing # keeps the question, whichever event of the hang-up comes first."""
    practice = await open_practice(tmp_path, voice_note=True)
    try:
        ari = practice.ari
        caller = await choose_callback(practice)
        await offers_heard(practice, caller, 1)
        ari.press(caller, "2")
        await ari.until(lambda: ari.recordings, 30, "recording")
        [record] = ari.of("record", channel_id=caller)
        if not recording_ends_first:
            _, timer = ari.recordings.pop(
                record.params["name"]
            )  # its RecordingFinished comes after StasisEnd
            timer.cancel()
        ari.hang_up(caller)
        await ari.until(lambda: not practice.controller.calls.all(), 10, "the call ended")
        [request] = await requests(practice)
        assert request.voice_note_ref == record.params["name"]
        assert await events(practice, "callback_abandoned") == [], "a booked caller did not abandon"
    finally:
        await practice.close()


@pytest.mark.parametrize("number", ["+4915112345678", "0900123456", "0201234567;ext=2"])
async def test_a_caller_id_that_cannot_be_called_back_asks_for_a_number(
    practice: FakePractice, number: str
) -> None:
    """A foreign, premium-rate or extension caller id is not used: the caller types the number to call."""
    ari = practice.ari
    caller = await choose_callback(practice, number)
    await practice.heard_all(caller, "terugbel_nummer_intoetsen")
    ari.press(caller, "0612000062#")
    await practice.heard(caller, "terugbel_nummer_keuze")
    ari.press(caller, "2")
    await offers_heard(practice, caller, 1)
    ari.press(caller, "2")
    await practice.heard(caller, "terugbel_genoteerd")
    [request] = await requests(practice)
    assert (request.phone, request.number_source) == ("0612000062", "typed")
