"""Callbacks made headset first, on the fake ARI: every way an attempt can end is stored truthfully."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

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


async def test_a_reconnect_leaves_a_callback_conversation_standing(practice: FakePractice) -> None:
    """Reconcile after a websocket reconnect never destroys the bridge of a callback in progress."""
    await practice.book_due(PATIENT)
    await practice.start()
    bridge = await talking(practice)
    await practice.reconnect()
    await practice.ari.settle()
    assert bridge in practice.ari.bridges
    assert not practice.ari.of("destroy_bridge", bridge_id=bridge)
