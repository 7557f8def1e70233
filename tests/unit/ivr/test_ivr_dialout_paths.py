"""Every way a callback attempt can go, headset first, on the fake ARI: what rings, is heard, counts."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from storage.models import CallbackAttempt, CallbackRequest
from tests.fakes.practice import FakePractice, demo_menu

PATIENT = "0612000301"
HEADSET = "PJSIP/assistent1"
RETRY_AFTER = 60  # the practice's own pause between tries (the packaged menu says 300)


@pytest.fixture
async def practice(tmp_path: Path) -> AsyncIterator[FakePractice]:
    """One assistant for live callers and callbacks, who answers her headset after two seconds."""
    menu = demo_menu()
    menu["callbacks"]["retry_after_seconds"] = RETRY_AFTER
    menu["headsets"] = {"assistent1": {"name": "Assistente 1", "duties": ["live", "callbacks"]}}
    menu["spoed"]["headsets"] = ["assistent1"]
    practice = FakePractice(tmp_path, menu)
    practice.ari.register("assistent1", answer_after=2)
    await practice.migrate()
    yield practice
    await practice.close()


async def state(practice: FakePractice, request_id: int) -> tuple[CallbackRequest, list[CallbackAttempt]]:
    async def query(session: Any) -> tuple[CallbackRequest, list[CallbackAttempt]]:
        request = await session.get(CallbackRequest, request_id)
        attempts = await session.scalars(
            select(CallbackAttempt)
            .where(CallbackAttempt.request_id == request_id)
            .order_by(CallbackAttempt.id)
        )
        return request, list(attempts)

    return await practice.sql(query)


async def attempts_ended(practice: FakePractice, request_id: int, count: int, seconds: float = 600) -> None:
    """Wait until `count` attempts of the request are stored as ended."""
    until = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < until:
        _, attempts = await state(practice, request_id)
        if sum(a.ended_at is not None for a in attempts) >= count:
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"{count} attempts not ended within {seconds} s")


def headset_rings(practice: FakePractice) -> list[Any]:
    return practice.ari.of("originate", endpoint=HEADSET)


def patient_dials(practice: FakePractice) -> list[Any]:
    return [r for r in practice.ari.of("originate") if r.params["endpoint"].endswith("@provider")]


def headset_leg(practice: FakePractice, n: int = -1) -> str:
    return headset_rings(practice)[n].params["channel_id"]


def patient_leg(practice: FakePractice) -> str:
    return next(c.id for c in practice.ari.channels.values() if c.endpoint == "provider")


async def patient_rings(practice: FakePractice, count: int = 1, seconds: float = 60) -> str:
    ari = practice.ari
    await ari.until(lambda: len(patient_dials(practice)) >= count and ari.ringing("provider"), seconds)
    return patient_leg(practice)


async def talking(practice: FakePractice) -> str:
    ari = practice.ari
    await ari.until(lambda: any(b.endswith("-br-cb") and len(m) == 2 for b, m in ari.bridges.items()), 60)
    return next(b for b in ari.bridges if b.endswith("-br-cb"))


@pytest.mark.parametrize("headset", ["refuses", "rings_out"])
async def test_a_headset_that_does_not_answer_is_no_try_and_the_request_keeps_its_place(
    practice: FakePractice, headset: str
) -> None:
    """Refused or not answered: the patient is never dialled, no try counts, the headset rests 30 s."""
    ari = practice.ari
    if headset == "refuses":
        ari.endpoints["assistent1"].refuse = True
    else:
        ari.register("assistent1", answer_after=None)
    request_id = await practice.book_due(PATIENT)
    before, _ = await state(practice, request_id)
    await practice.start()
    await attempts_ended(practice, request_id, 1, 60)
    first_ended = asyncio.get_running_loop().time()
    request, attempts = await state(practice, request_id)
    assert [a.outcome for a in attempts] == ["assistant_no_answer"]
    assert (request.status, request.attempts, request.due_at) == ("booked", 0, before.due_at)
    await ari.until(lambda: len(headset_rings(practice)) == 2, 60, "the headset to be rung again")
    assert asyncio.get_running_loop().time() - first_ended >= 29
    assert patient_dials(practice) == []


async def test_the_whisper_says_number_time_and_question_before_the_patient_is_dialled(
    practice: FakePractice,
) -> None:
    """The assistant hears the number, digit by digit, the slot time and the question; then the dial."""
    await asyncio.sleep(15 * 60)  # 09:15: the slot of the booking below
    request_id = await practice.book_due(PATIENT)
    await practice.callbacks.attach_voice_note(request_id, "vraag-301")
    await practice.start()
    ari = practice.ari
    await patient_rings(practice)
    leg = headset_leg(practice)
    assert ari.finished(leg, "fluister_bellen"), "the whisper was heard to its end before the dial"
    assert ari.played(leg) == [
        "fluister_terugbelverzoek",
        *[f"cijfer_{d}" for d in PATIENT],
        "fluister_gepland",
        "dag_vandaag",
        "tijd_uur_9",
        "tijd_minuut_15",
        "fluister_vraag",
        "recording:vraag-301",
        "fluister_bellen",
    ]
    plays = [i for i, r in enumerate(ari.requests) if r.method == "play" and r.params["channel_id"] == leg]
    dial = next(
        i for i, r in enumerate(ari.requests) if r.method == "originate" and r.params["app_args"][0] == "leg"
    )
    assert max(plays) < dial


async def test_the_headset_shows_the_patient_and_the_patient_sees_the_practice(
    practice: FakePractice,
) -> None:
    """The headset's display says Terugbellen and the number; the patient's phone the practice's number."""
    await practice.book_due(PATIENT)
    await practice.start()
    await patient_rings(practice)
    [ring] = headset_rings(practice)
    [dial] = patient_dials(practice)
    assert ring.params["caller_id"] == f'"Terugbellen" <{PATIENT}>'
    assert dial.params["endpoint"] == f"PJSIP/{PATIENT}@provider"
    assert dial.params["caller_id"] == '"Huisartsenpraktijk De Linde" <0201234567>'
    assert dial.params["ring_seconds"] == 30


async def test_a_busy_patient_is_a_try_and_is_called_again_after_the_retry_pause(
    practice: FakePractice,
) -> None:
    """Busy (cause 17) counts as try 1, due again retry_after_seconds later; answered, done with key 1."""
    ari = practice.ari
    request_id = await practice.book_due(PATIENT)
    await practice.start()
    ari.hang_up(await patient_rings(practice), cause=17)
    await practice.heard(headset_leg(practice), "fluister_niet_bereikt", 10)
    await attempts_ended(practice, request_id, 1)
    request, [first] = await state(practice, request_id)
    assert (first.outcome, request.status, request.attempts) == ("busy", "booked", 1)
    assert request.due_at - first.ended_at == dt.timedelta(seconds=RETRY_AFTER)

    await ari.until(lambda: len(headset_rings(practice)) == 2, RETRY_AFTER + 30, "the second try")
    assert practice.now() >= request.due_at, "not called again before the retry time"
    ari.pick_up(await patient_rings(practice, 2))
    bridge = await talking(practice)
    ari.press(headset_leg(practice), "1")
    await ari.until(lambda: bridge not in ari.bridges, 10, "the conversation to end")
    await attempts_ended(practice, request_id, 2)
    request, attempts = await state(practice, request_id)
    assert [a.outcome for a in attempts] == ["busy", "reached"]
    assert (request.status, request.attempts) == ("done", 2)
    assert not ari.legs("provider"), "the patient's leg is hung up with the done key"


async def test_two_tries_without_reaching_the_patient_end_the_request_with_a_note(
    practice: FakePractice,
) -> None:
    """No answer, then voicemail (her key 2): "2x geprobeerd, pt niet bereikbaar", and no third try."""
    ari = practice.ari
    request_id = await practice.book_due(PATIENT)
    await practice.start()
    await patient_rings(practice)
    await attempts_ended(practice, request_id, 1, 60)  # 30 s of ringing, nobody answers
    ari.pick_up(await patient_rings(practice, 2, RETRY_AFTER + 60))
    await talking(practice)
    ari.press(headset_leg(practice), "2")
    await attempts_ended(practice, request_id, 2)
    request, attempts = await state(practice, request_id)
    assert [a.outcome for a in attempts] == ["not_reached", "voicemail"]
    assert (request.status, request.outcome_note) == ("not_reached", "2x geprobeerd, pt niet bereikbaar")
    await asyncio.sleep(3 * RETRY_AFTER)
    assert len(headset_rings(practice)) == 2


@pytest.mark.parametrize("who", ["patient", "assistant"])
async def test_a_hang_up_during_the_conversation_ends_it_as_reached(practice: FakePractice, who: str) -> None:
    """Whoever hangs up after the patient answered, the callback is done and both legs are gone."""
    ari = practice.ari
    request_id = await practice.book_due(PATIENT)
    await practice.start()
    ari.pick_up(await patient_rings(practice))
    bridge = await talking(practice)
    ari.hang_up(patient_leg(practice) if who == "patient" else headset_leg(practice))
    await ari.until(lambda: bridge not in ari.bridges, 10, "the bridge to go")
    await attempts_ended(practice, request_id, 1)
    request, [attempt] = await state(practice, request_id)
    assert (attempt.outcome, request.status) == ("reached", "done")
    assert attempt.patient_answered_at is not None
    assert not ari.legs("provider") and not ari.legs("assistent1")


async def test_the_assistant_hanging_up_during_the_whisper_is_no_try(practice: FakePractice) -> None:
    """She hangs up before the patient is dialled: nothing counts, the request stays in its place."""
    ari = practice.ari
    request_id = await practice.book_due(PATIENT)
    before, _ = await state(practice, request_id)
    await practice.start()
    leg: Callable[[], str] = lambda: headset_leg(practice, 0)  # noqa: E731
    await ari.until(lambda: headset_rings(practice) and "fluister_terugbelverzoek" in ari.played(leg()), 30)
    ari.hang_up(leg())
    await attempts_ended(practice, request_id, 1, 30)
    request, [attempt] = await state(practice, request_id)
    assert attempt.outcome == "interrupted"
    assert (request.status, request.attempts, request.due_at) == ("booked", 0, before.due_at)
    assert patient_dials(practice) == []
