"""Callbacks made headset first, on the fake ARI: every way an attempt can end is stored truthfully."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from ivr.ari import AriError
from storage import attempts as attempts_module
from storage.models import CallbackAttempt, CallbackRequest
from tests.fakes.practice import FakePractice, demo_menu

PATIENT = "0612000070"


def one_callback_assistant() -> dict:
    menu = demo_menu()
    menu["headsets"] = {"assistent1": {"name": "Assistente 1", "duties": ["live", "callbacks"]}}
    menu["spoed"]["headsets"] = ["assistent1"]
    return menu


@pytest.fixture
async def practice(tmp_path: Path):
    practice = FakePractice(tmp_path, one_callback_assistant())
    practice.ari.register("assistent1", answer_after=2)  # she answers her headset after two rings
    practice.ari.provider(answer_after=3)  # the patient picks up
    await practice.migrate()
    yield practice
    await practice.close()


async def request_and_attempts(practice: FakePractice, request_id: int):
    async def query(session):
        request = await session.get(CallbackRequest, request_id)
        attempts = list(
            await session.scalars(select(CallbackAttempt).where(CallbackAttempt.request_id == request_id))
        )
        return request, attempts

    return await practice.sql(query)


def patient_legs(practice: FakePractice) -> list:
    return [r for r in practice.ari.of("originate") if PATIENT in r.params["endpoint"]]


async def talking(practice: FakePractice) -> str:
    """Wait until assistant and patient are in the callback's bridge; returns the bridge id."""
    ari = practice.ari
    await ari.until(lambda: any(b.endswith("-br-cb") and len(c) == 2 for b, c in ari.bridges.items()), 120)
    return next(b for b in ari.bridges if b.endswith("-br-cb"))


async def test_a_stop_during_the_conversation_never_calls_the_patient_again(practice: FakePractice) -> None:
    """SIGTERM while assistant and patient talk ends the attempt as reached; no new controller redials."""
    request_id = await practice.book_due(PATIENT)
    await practice.start()
    bridge = await talking(practice)
    await practice.restart()
    request, attempts = await request_and_attempts(practice, request_id)
    assert request.status == "done"
    assert [a.outcome for a in attempts] == ["reached"]
    await practice.ari.settle()
    assert bridge in practice.ari.bridges, "the conversation is left standing for the next controller"
    loop_wait = 900  # well past retry_after_seconds (300) and every dispatcher round
    with pytest.raises(AssertionError):
        await practice.ari.until(lambda: len(patient_legs(practice)) > 1, loop_wait, "a second call")
    assert len(patient_legs(practice)) == 1


async def test_a_reconnect_leaves_a_callback_conversation_with_its_own_call(practice: FakePractice) -> None:
    """After a reconnect the callback's bridge stands and is still its call's: her key marks the outcome."""
    request_id = await practice.book_due(PATIENT)
    await practice.start()
    bridge = await talking(practice)
    await practice.reconnect()
    await practice.ari.settle()
    assert bridge in practice.ari.bridges
    assert not practice.ari.of("destroy_bridge", bridge_id=bridge)
    headset_leg = next(c for c in practice.ari.bridges[bridge] if c.startswith("cb"))
    practice.ari.press(headset_leg, "2")  # voicemail: the attempt counts as not reached

    async def outcome(session):
        return (await session.scalars(select(CallbackAttempt.outcome))).one()

    await practice.ari.until(lambda: bridge not in practice.ari.bridges, 10, "the conversation to end")
    for _ in range(20):
        if await practice.sql(outcome) is not None:
            break
        await asyncio.sleep(1)
    assert await practice.sql(outcome) == "voicemail"
    request, _ = await request_and_attempts(practice, request_id)
    assert request.status == "booked", "retried after the pause, as the attempts protocol says"


async def test_an_attempt_that_keeps_failing_is_left_to_the_assistants_after_three_tries(
    practice: FakePractice,
) -> None:
    """An unexpected error in every attempt (a whisper that cannot play) is counted and capped at three."""
    practice.ari.fail(
        "play",
        lambda: AriError("POST", "/play", 500, json.dumps({"message": "Internal error"})),
        times=100,
        match=lambda params: params["channel_id"].startswith("cb"),
    )
    request_id = await practice.book_due(PATIENT)
    await practice.start()
    ari = practice.ari

    async def status(session):
        return (await session.get(CallbackRequest, request_id)).status

    async def ended() -> bool:
        return await practice.sql(status) == "not_reached"

    for _ in range(200):
        if await ended():
            break
        await asyncio.sleep(5)
    request, attempts = await request_and_attempts(practice, request_id)
    assert request.status == "not_reached" and "technische storing" in (request.outcome_note or "")
    assert [a.outcome for a in attempts] == ["failed", "failed", "failed"]
    rung = len(ari.of("originate", endpoint="PJSIP/assistent1"))
    await asyncio.sleep(900)
    assert len(ari.of("originate", endpoint="PJSIP/assistent1")) == rung, "the headset is not rung for ever"


async def test_an_attempt_whose_end_could_not_be_stored_is_swept_and_the_number_freed(
    practice: FakePractice,
) -> None:
    """The database fails when the attempt ends: retried, then swept, so the request is not stuck."""
    request_id = await practice.book_due(PATIENT)
    await practice.start()
    await talking(practice)
    practice.db.hang(attempts_module.finish_attempt)
    practice.ari.hang_up(_patient_leg(practice))  # the conversation ends
    await asyncio.sleep(60)
    request, attempts = await request_and_attempts(practice, request_id)
    assert request.status == "in_progress" and attempts[0].ended_at is None, "still open while retrying"
    practice.db.unhang(attempts_module.finish_attempt)
    for _ in range(100):
        request, attempts = await request_and_attempts(practice, request_id)
        if request.status != "in_progress":
            break
        await asyncio.sleep(10)
    assert request.status == "done" and attempts[0].outcome == "reached"


def _patient_leg(practice: FakePractice) -> str:
    return next(c.id for c in practice.ari.channels.values() if c.endpoint == "provider")


async def test_a_late_recovery_never_closes_an_attempt_this_controller_started(tmp_path: Path) -> None:
    """The start-up recovery waits for the database; no callback is made before it ran, so it never
    closes an attempt of this controller's own (it once closed a call in progress as interrupted)."""
    practice = FakePractice(tmp_path, one_callback_assistant())
    practice.ari.register("assistent1", answer_after=2)
    practice.ari.provider(answer_after=3)
    await practice.start(migrate=False)  # the schema is not ready: the recovery is postponed
    await practice.migrate()
    request_id = await practice.book_due(PATIENT)
    await talking(practice)
    await asyncio.sleep(30)  # long past the recovery's retry
    request, attempts = await request_and_attempts(practice, request_id)
    assert request.status == "in_progress" and attempts[0].ended_at is None, "the running call's attempt"
    await practice.close()
