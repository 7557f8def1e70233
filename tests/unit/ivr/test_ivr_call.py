"""A call's own requests: a channel that is leaving is a hang-up, not a handler error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from ivr import log_events as ev
from ivr.ari import AriError, AriNotFound
from ivr.core.call import CallGone
from tests.fakes.practice import FakePractice, demo_menu


@pytest.fixture
async def practice(tmp_path: Path):
    practice = FakePractice(tmp_path, demo_menu())
    await practice.start()
    yield practice
    await practice.close()


def ari_error(status: int, message: str) -> AriError:
    cls = AriNotFound if status == 404 else AriError
    return cls("POST", "/channels/x/play", status, json.dumps({"message": message}))


@pytest.mark.parametrize(
    ("status", "message", "reason"),
    [
        (404, "Channel not found", "patient_hung_up"),
        (409, "Channel not in Stasis application", "patient_hung_up"),
        (503, "Shutdown in progress", "asterisk_shutting_down"),
    ],
)
async def test_a_refused_prompt_on_a_leaving_channel_ends_the_call_quietly(
    practice: FakePractice, status: int, message: str, reason: str
) -> None:
    """Playing to a channel Asterisk says is leaving (while still listed) ends the call without a fallback."""
    practice.ari.fail("play", lambda: ari_error(status, message))
    with capture_logs() as logs:
        caller = practice.calls_in()
        await practice.ari.until(lambda: any(e["event"] == ev.CALL_END for e in logs), 10, "call end")
    [end] = [e for e in logs if e["event"] == ev.CALL_END]
    assert end["reason"] == reason
    assert not practice.ari.of("continue_in_dialplan", channel_id=caller)
    assert not [e for e in logs if e["event"] == ev.CALL_FAILED]


async def test_a_404_about_another_resource_is_a_handler_error_sent_to_the_fallback(
    practice: FakePractice,
) -> None:
    """A 404 that names something else than the channel is a real failure: the caller goes to the fallback."""
    practice.ari.fail("play", lambda: ari_error(404, "Playback not found"))
    caller = practice.calls_in()
    await practice.ari.until(
        lambda: practice.ari.of("continue_in_dialplan", channel_id=caller), 10, "fallback"
    )


async def test_a_caller_is_hung_up_when_even_the_fallback_fails(practice: FakePractice) -> None:
    """If Asterisk cannot take the call back into the dialplan either, the caller is hung up, not left."""
    practice.ari.fail("play", lambda: ari_error(500, "Internal error"))
    practice.ari.fail("continue_in_dialplan", lambda: ari_error(500, "Internal error"))
    caller = practice.calls_in()
    await practice.ari.until(lambda: caller not in practice.ari.channels, 10, "the caller to be hung up")


async def test_a_404_about_another_resource_leaves_the_call_alone(practice: FakePractice) -> None:
    """A missing holding bridge (first caller after an Asterisk start) is not taken for a hang-up."""
    call = practice.controller.new_call({"id": practice.calls_in(), "caller": {"number": "0612345678"}})

    async def bridge_missing() -> None:
        raise AriNotFound("POST", "/bridges/x/addChannel", 404, json.dumps({"message": "Bridge not found"}))

    with pytest.raises(AriNotFound):
        await call.own(bridge_missing())
    assert not call.gone


async def test_a_404_when_the_channel_is_really_gone_is_a_hang_up(practice: FakePractice) -> None:
    """When the channel itself no longer exists, any 404 of its request ends the call as CallGone."""
    channel = practice.calls_in()
    call = practice.controller.new_call({"id": channel, "caller": {"number": "0612345678"}})
    practice.ari.channels.pop(channel)

    async def bridge_missing() -> None:
        raise AriNotFound("POST", "/bridges/x/addChannel", 404, json.dumps({"message": "Bridge not found"}))

    with pytest.raises(CallGone):
        await call.own(bridge_missing())
    assert call.gone
