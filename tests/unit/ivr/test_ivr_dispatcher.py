"""The dispatcher on the fake ARI: live callers never wait on a callback query, order is kept."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from storage import attempts
from tests.fakes.practice import FakePractice, demo_menu


def one_assistant() -> dict:
    menu = demo_menu()
    menu["headsets"] = {"assistent1": {"name": "Assistente 1", "duties": ["live", "callbacks"]}}
    menu["spoed"]["headsets"] = ["assistent1"]
    menu["menu"]["options"]["5"].update(prompt=None)
    return menu


@pytest.fixture
async def practice(tmp_path: Path):
    practice = FakePractice(tmp_path, one_assistant())
    yield practice
    await practice.close()


async def test_a_hung_callback_query_never_delays_a_live_caller(practice: FakePractice) -> None:
    """With the due-callbacks query hanging, a waiting caller still gets the free headset at once."""
    practice.db.hang(attempts.due_callbacks)
    await practice.start()
    ari = practice.ari
    caller = practice.calls_in("0612000090")
    await practice.heard(caller, "welkom")
    ari.press(caller, "5")
    # Well under the door's 3 s deadline: the round must not wait on the callback query at all.
    await ari.until(lambda: ari.ringing("assistent1"), 1, "the headset to ring for the caller")


async def test_due_callbacks_are_made_again_once_the_query_answers(practice: FakePractice) -> None:
    """A callback query that hung delays callbacks only until the database answers again."""
    await practice.migrate()
    await practice.book_due("0612000091")
    practice.db.hang(attempts.due_callbacks)
    await practice.start(migrate=False)
    ari = practice.ari
    with pytest.raises(AssertionError):
        await ari.until(lambda: ari.of("originate"), 20, "no callback while the query hangs")
    practice.db.unhang(attempts.due_callbacks)
    await ari.until(lambda: ari.of("originate", endpoint="PJSIP/assistent1"), 10, "the callback to start")


async def test_a_headset_that_lets_a_caller_ring_out_pauses_and_the_caller_keeps_her_place(
    practice: FakePractice,
) -> None:
    """No answer from the assigned headset: the caller waits on in her place; the headset rests 30 s."""
    await practice.start()
    ari = practice.ari
    caller = practice.calls_in("0612000092")
    await practice.heard(caller, "welkom")
    ari.press(caller, "5")
    await ari.until(lambda: ari.ringing("assistent1"), 5, "the headset to ring")
    await ari.until(lambda: not ari.ringing("assistent1"), 30, "the ring to time out")
    rang_out = asyncio.get_running_loop().time()
    first = len(ari.of("originate"))
    await ari.until(lambda: len(ari.of("originate")) > first, 60, "her to be rung again after the pause")
    assert asyncio.get_running_loop().time() - rang_out >= 30
    assert caller in ari.channels
