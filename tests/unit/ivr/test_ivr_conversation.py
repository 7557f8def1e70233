"""A conversation taken over after a restart, on the fake ARI: it ends when a side leaves, and only then."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ivr.core.conversation import Conversation
from ivr.core.router import Router
from tests.fakes.ari import FakeAri

BRIDGE = "1700000000.1-br"


class Standing:
    """A patient and an assistant talking in a bridge a previous controller left up."""

    def __init__(self) -> None:
        self.new_calls: list[dict[str, Any]] = []
        self.router = Router(self.new_calls.append)
        self.ari = FakeAri()
        self.ari.connect(self.router.route)
        self.patient = self.ari.patient_calls("0612000090")
        self.assistant = self.ari.patient_calls("assistent1")

    async def bridged(self) -> Standing:
        await self.ari.create_bridge(BRIDGE)
        await self.ari.add_to_bridge(BRIDGE, [self.patient, self.assistant])
        await self.ari.settle()
        self.new_calls.clear()  # the two StasisStarts above stand for the previous controller's calls
        return self

    def adopt(self) -> tuple[Conversation, asyncio.Task[None]]:
        conversation = Conversation(self.ari, self.router, BRIDGE, [self.patient, self.assistant])
        return conversation, asyncio.create_task(conversation.watch())

    def claimed(self) -> set[str]:
        return self.router.owned_channels()


@pytest.fixture
async def standing() -> Standing:
    return await Standing().bridged()


async def test_a_bridge_whose_other_side_is_already_gone_is_ended_at_once(standing: Standing) -> None:
    """The assistant hung up while no controller ran: the patient is not left alone in the bridge."""
    ari = standing.ari
    ari.hang_up(standing.assistant)
    await ari.settle()
    _, task = standing.adopt()
    await asyncio.wait_for(task, 5)
    assert standing.patient not in ari.channels
    assert BRIDGE not in ari.bridges
    assert standing.claimed() == set()


@pytest.mark.parametrize("leaves", ["patient", "assistant"])
async def test_either_side_hanging_up_ends_the_other_and_the_bridge(standing: Standing, leaves: str) -> None:
    """Whoever hangs up first, the other side is hung up and the bridge destroyed."""
    ari = standing.ari
    sides = (standing.patient, standing.assistant)
    gone, other = sides if leaves == "patient" else sides[::-1]
    _, task = standing.adopt()
    await ari.settle()
    assert not task.done(), "a conversation with both sides up goes on"
    assert standing.claimed() == {standing.patient, standing.assistant}
    ari.hang_up(gone)
    await asyncio.wait_for(task, 5)
    assert [r.params["channel_id"] for r in ari.of("hangup")] == [other]
    assert other not in ari.channels and BRIDGE not in ari.bridges
    assert standing.claimed() == set()
    assert standing.new_calls == [], "no event of the conversation was taken for a new call"


async def test_other_events_do_not_end_the_conversation(standing: Standing) -> None:
    """Keys pressed and playbacks of the two channels leave the conversation standing."""
    ari = standing.ari
    _, task = standing.adopt()
    ari.press(standing.patient, "12")
    ari.press(standing.assistant, "#")
    await asyncio.sleep(600)
    assert not task.done()
    assert standing.patient in ari.channels and standing.assistant in ari.channels
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_a_stopping_controller_leaves_both_sides_up_and_lets_go_of_the_channels(
    standing: Standing,
) -> None:
    """Cancelling the watch (a graceful stop) hangs up nobody and releases both channels for the next one."""
    ari = standing.ari
    _, task = standing.adopt()
    await ari.settle()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert task.cancelled()
    assert standing.patient in ari.channels and standing.assistant in ari.channels
    assert set(ari.bridges[BRIDGE]) == {standing.patient, standing.assistant}
    assert not ari.of("hangup") and not ari.of("destroy_bridge")
    assert standing.claimed() == set()


async def test_releasing_leaves_channels_claimed_by_others_alone(standing: Standing) -> None:
    """A conversation that ends releases only its own claims, not a channel a call has claimed since."""
    ari = standing.ari
    conversation, task = standing.adopt()
    await ari.settle()

    class NewOwner:
        def deliver(self, event: dict[str, Any]) -> None:
            pass

    newer = NewOwner()
    standing.router.claim(standing.patient, newer)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert standing.router.owner(standing.patient) is newer
    assert standing.router.owner(standing.assistant) is None
    assert conversation.bridge_id == BRIDGE
