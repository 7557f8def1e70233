"""The call trace of callbacks on the fake ARI: the offer (confirmed, declined, turned away), a kept place
called back, and attempts that reach the patient or not, with the figures a report derives from them."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from capacity.config import CapacityConfig
from storage.call_events import EventKind as K
from tests.fakes.practice import START, FakePractice, demo_menu
from tests.fakes.trace import traces

TEN = START.replace(hour=10)
PATIENT = "0612000401"
TYPED = "0612000402"


def now() -> float:
    return asyncio.get_running_loop().time()


def monday_blocks(*blocks: tuple[str, str]) -> CapacityConfig:
    """Callbacks on Mondays only, one place per quarter, today only."""
    monday = [{"start": start, "end": end, "assistants": 1} for start, end in blocks]
    return CapacityConfig.model_validate(
        {"calls_per_assistant_per_hour": 4, "horizon_days": 0, "blocks": {"monday": monday}}
    )


async def offering(tmp_path: Path, capacity: CapacityConfig) -> FakePractice:
    menu = demo_menu()
    menu["menu"]["options"]["4"].update(voice_note=False)
    return await FakePractice(tmp_path, menu, capacity=capacity).start()


async def ended(practice: FakePractice) -> None:
    await practice.ari.until(lambda: not practice.controller.calls.all(), 60, "the call task to end")


async def test_a_confirmed_offer_leaves_the_offer_and_the_booking(tmp_path: Path) -> None:
    """4, the 10:00 offer, 2: callback_offered then callback_booked with that slot and the request."""
    practice = await offering(tmp_path, monday_blocks(("10:00", "10:30")))
    try:
        caller = practice.calls_in(PATIENT)
        await practice.heard(caller, "welkom")
        practice.ari.press(caller, "4")
        await practice.heard_all(caller, "terugbel_keuze")
        practice.ari.press(caller, "2")
        await ended(practice)
        [call] = await traces(practice, [PATIENT])
        assert call.kinds == [
            K.CALL_ARRIVED, K.MENU_CHOICE, K.CALLBACK_OFFERED, K.CALLBACK_BOOKED, K.CALL_ENDED,
        ]  # fmt: skip
        assert call.one(K.CALLBACK_OFFERED).detail == {"slot": TEN.isoformat()}
        assert call.one(K.CALLBACK_BOOKED).detail == {"request_id": 1, "slot": TEN.isoformat()}
        assert call.one(K.CALL_ENDED).detail["reason"] == "completed"
    finally:
        await practice.close()


async def test_a_declined_offer_keeps_the_time_that_was_offered(tmp_path: Path) -> None:
    """A later time (3), then silence twice: two offers (10:00, 10:15) and declined with 10:15."""
    practice = await offering(tmp_path, monday_blocks(("10:00", "10:30")))
    try:
        caller = practice.calls_in(PATIENT)
        await practice.heard(caller, "welkom")
        practice.ari.press(caller, "4")
        await practice.heard_all(caller, "terugbel_keuze")
        practice.ari.press(caller, "3")
        await ended(practice)
        [call] = await traces(practice, [PATIENT])
        later = TEN.replace(minute=15).isoformat()
        assert [e.detail["slot"] for e in call.all(K.CALLBACK_OFFERED)] == [TEN.isoformat(), later, later]
        assert call.one(K.CALLBACK_DECLINED).detail == {"slot": later}
        assert call.kinds[-2:] == [K.CALLBACK_DECLINED, K.CALL_ENDED]
    finally:
        await practice.close()


async def test_a_caller_turned_away_is_counted_with_the_reason_and_the_next_day(tmp_path: Path) -> None:
    """Today's only block is over: callback_turned_away, full_horizon, next Monday."""
    practice = await offering(tmp_path, monday_blocks(("08:00", "08:15")))
    try:
        caller = practice.calls_in(PATIENT)
        await practice.heard(caller, "welkom")
        practice.ari.press(caller, "4")
        await ended(practice)
        [call] = await traces(practice, [PATIENT])
        assert call.kinds == [K.CALL_ARRIVED, K.MENU_CHOICE, K.CALLBACK_TURNED_AWAY, K.CALL_ENDED]
        turned = call.one(K.CALLBACK_TURNED_AWAY).detail
        assert turned == {"reason": "full_horizon", "next_open_day": "2026-11-30"}
    finally:
        await practice.close()


async def test_a_typed_number_never_reaches_the_trace(tmp_path: Path) -> None:
    """A withheld caller types her number and books: the trace says withheld and holds no number."""
    practice = await offering(tmp_path, monday_blocks(("10:00", "10:30")))
    try:
        ari = practice.ari
        caller = practice.calls_in("anonymous")
        await practice.heard(caller, "welkom")
        ari.press(caller, "4")
        await practice.heard_all(caller, "terugbel_nummer_intoetsen")
        ari.press(caller, f"{TYPED}#")
        await practice.heard_all(caller, "terugbel_nummer_keuze")
        ari.press(caller, "2")
        await practice.heard_all(caller, "terugbel_keuze")
        ari.press(caller, "2")
        await ended(practice)
        [call] = await traces(practice, [TYPED])
        assert call.one(K.CALL_ARRIVED).detail == {"caller": "withheld"}
        assert K.CALLBACK_BOOKED in call.kinds
    finally:
        await practice.close()


# ---- callbacks made ---------------------------------------------------------------------------------------


def one_assistant() -> dict[str, Any]:
    menu = demo_menu()
    menu["headsets"] = {"assistent1": {"name": "Assistente 1", "duties": ["live", "callbacks"]}}
    menu["spoed"]["headsets"] = ["assistent1"]
    menu["menu"]["options"]["5"].update(prompt=None, keep_place_after_seconds=0)
    return menu


async def test_a_kept_place_is_traced_from_the_queue_to_the_callback(tmp_path: Path) -> None:
    """She keeps her place; when assistent1 comes free the attempt is filed under her call: started,
    dialled, answered after 3 s of ringing, ended reached after 10 s of talk; her wait is to the answer."""
    practice = FakePractice(tmp_path, one_assistant())
    ari = practice.ari
    busy = ari.busy("assistent1")
    ari.register("assistent1", answer_after=2)
    ari.provider(answer_after=3)
    await practice.start()
    try:
        caller = practice.calls_in(PATIENT)
        await practice.heard(caller, "welkom")
        ari.press(caller, "5")
        joined = now()
        await practice.heard(caller, "wacht_plek_bewaren")
        ari.press(caller, "5")
        await practice.heard(caller, "wacht_plek_bewaard")
        kept = now()
        await ended(practice)
        await asyncio.sleep(20)
        ari.hang_up(busy)
        await ari.until(lambda: any(b.endswith("-br-cb") for b in ari.bridges), 120, "assistant and patient")
        talking = now()
        headset = next(c.id for c in ari.channels.values() if c.endpoint == "assistent1")
        await asyncio.sleep(10)
        ari.press(headset, "1")
        await ari.until(lambda: not any(b.endswith("-br-cb") for b in ari.bridges), 10, "the end of the call")
        await ari.until(lambda: not practice.controller.calls.all(), 10, "the attempt to end")
        [call] = await traces(practice, [PATIENT])
    finally:
        await practice.close()
    left = call.one(K.QUEUE_LEFT).detail
    assert (left["outcome"], left["request_id"], left["number_source"]) == ("kept", 1, "caller_id")
    assert left["waited_seconds"] == pytest.approx(kept - joined, abs=0.01)
    attempt = [e for e in call.events if e.kind.startswith("attempt_")]
    assert [e.kind for e in attempt] == [
        K.ATTEMPT_STARTED,
        K.ATTEMPT_DIALLED,
        K.ATTEMPT_ANSWERED,
        K.ATTEMPT_ENDED,
    ]
    started = call.one(K.ATTEMPT_STARTED).detail
    assert (started["request_kind"], started["headset"], started["attempt_no"]) == (
        "kept_place",
        "assistent1",
        1,
    )
    assert started["slot_start"] is None
    assert call.one(K.ATTEMPT_ANSWERED).detail["ring_seconds"] == pytest.approx(3.0, abs=0.01)
    assert call.one(K.ATTEMPT_ANSWERED).t == pytest.approx(talking, abs=0.01)
    end = call.one(K.ATTEMPT_ENDED).detail
    assert (end["outcome"], end["headset"]) == ("reached", "assistent1")
    assert end["talk_seconds"] == pytest.approx(10.0, abs=0.01)
    assert call.seconds(K.QUEUE_JOINED, K.ATTEMPT_ANSWERED) == pytest.approx(talking - joined, abs=0.01)


@pytest.fixture
async def calling(tmp_path: Path):
    """One assistant who answers her headset after 2 s; callbacks only (the patient's side is per test)."""
    practice = FakePractice(tmp_path, one_assistant())
    practice.ari.register("assistent1", answer_after=2)
    await practice.migrate()
    yield practice
    await practice.close()


async def test_an_attempt_that_reaches_the_patient_gives_the_punctuality_and_the_talk(calling: Any) -> None:
    """Booked for now, dialled after the whisper, answered 3 s later; the assistant presses 1 after 20 s."""
    practice, ari = calling, calling.ari
    ari.provider(answer_after=3)
    request_id = await practice.book_due(PATIENT)
    due = now()
    await practice.start()
    await ari.until(lambda: ari.ringing("provider"), 120, "the patient to be dialled")
    dialled = now()
    await ari.until(lambda: any(b.endswith("-br-cb") for b in ari.bridges), 10, "assistant and patient")
    await asyncio.sleep(20)
    ari.press(next(c.id for c in ari.channels.values() if c.endpoint == "assistent1"), "1")
    # The request is closed (request_ended) after the legs are gone: wait for the dispatcher to let go.
    await ari.until(lambda: not practice.active.dispatcher.dialling(), 10, "the attempt to be stored")
    [attempt] = await traces(practice, [PATIENT])
    assert attempt.call_id == f"request-{request_id}", "booked outside a call: filed under the request"
    assert attempt.kinds == [
        K.ATTEMPT_STARTED,
        K.ATTEMPT_DIALLED,
        K.ATTEMPT_ANSWERED,
        K.ATTEMPT_ENDED,
        K.REQUEST_ENDED,
    ]
    closed = attempt.one(K.REQUEST_ENDED).detail
    assert (closed["request_id"], closed["status"], closed["attempts"]) == (request_id, "done", 1)
    started = attempt.one(K.ATTEMPT_STARTED).detail
    assert started["request_kind"] == "slot"
    promised = dt.datetime.fromisoformat(started["slot_start"])
    assert promised == START + dt.timedelta(seconds=due)
    # Punctuality as a report reads it: the patient was dialled this long after the promised time.
    late = (attempt.one(K.ATTEMPT_DIALLED).at - promised).total_seconds()
    assert late == pytest.approx(dialled - due, abs=0.01)
    end = attempt.one(K.ATTEMPT_ENDED).detail
    assert (end["outcome"], end["talk_seconds"]) == ("reached", pytest.approx(20.0, abs=0.01))
    assert end["seconds"] == pytest.approx(attempt.seconds(K.ATTEMPT_STARTED, K.ATTEMPT_ENDED), abs=0.01)


async def test_an_attempt_that_does_not_reach_the_patient_says_not_reached(calling: Any) -> None:
    """The patient's phone rings out: dialled, no answer, ended not_reached after the ring time."""
    practice, ari = calling, calling.ari
    ari.provider()  # rings until the ring time is over
    await practice.book_due(PATIENT)
    await practice.start()
    await ari.until(lambda: ari.ringing("provider"), 120, "the patient to be dialled")
    await ari.until(lambda: not ari.ringing("provider"), 60, "the patient's phone to ring out")
    await ari.until(lambda: not practice.controller.calls.all(), 60, "the attempt to end")
    [attempt] = await traces(practice, [PATIENT])
    # The first of two tries: the request stays open for the retry, so it has no request_ended yet.
    assert attempt.kinds == [K.ATTEMPT_STARTED, K.ATTEMPT_DIALLED, K.ATTEMPT_ENDED]
    end = attempt.one(K.ATTEMPT_ENDED).detail
    assert (end["outcome"], end["headset"]) == ("not_reached", "assistent1")
    assert "talk_seconds" not in end
    assert attempt.seconds(K.ATTEMPT_DIALLED, K.ATTEMPT_ENDED) >= 30, "the patient's phone rang its full time"


async def test_the_last_try_that_does_not_reach_the_patient_closes_the_request_as_not_reached(
    tmp_path: Path,
) -> None:
    """With max_attempts 1 the first unanswered call ends the request: request_ended not_reached, 1 try."""
    menu = one_assistant()
    menu["callbacks"] = {**menu.get("callbacks", {}), "max_attempts": 1}
    practice = FakePractice(tmp_path, menu)
    practice.ari.register("assistent1", answer_after=2)
    practice.ari.provider()  # rings until the ring time is over
    await practice.migrate()
    try:
        request_id = await practice.book_due(PATIENT)
        await practice.start()
        ari = practice.ari
        await ari.until(lambda: ari.ringing("provider"), 120, "the patient to be dialled")
        await ari.until(lambda: not ari.ringing("provider"), 60, "the patient's phone to ring out")
        await ari.until(lambda: not practice.active.dispatcher.dialling(), 60, "the attempt to be stored")
        [attempt] = await traces(practice, [PATIENT])
    finally:
        await practice.close()
    assert attempt.kinds[-2:] == [K.ATTEMPT_ENDED, K.REQUEST_ENDED]
    closed = attempt.one(K.REQUEST_ENDED).detail
    assert (closed["request_id"], closed["status"], closed["attempts"]) == (request_id, "not_reached", 1)
