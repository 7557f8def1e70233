"""The event router: each ARI event goes to the call that owns its channel, new calls to the controller."""

from __future__ import annotations

from typing import Any

from ivr.core.router import Router, event_channel_id


class Owner:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def deliver(self, event: dict[str, Any]) -> None:
        self.events.append(event)


class Setup:
    def __init__(self) -> None:
        self.new: list[dict[str, Any]] = []
        self.router = Router(self.new.append)


def stasis_start(channel: str) -> dict[str, Any]:
    return {"type": "StasisStart", "channel": {"id": channel}, "args": ["inbound"]}


def test_events_about_a_channel_reach_its_owner_only() -> None:
    """Two calls: each gets the events of its own channel and nothing of the other's."""
    s = Setup()
    patient, assistant = Owner(), Owner()
    s.router.claim("c1", patient)
    s.router.claim("leg1", assistant)
    s.router.route({"type": "ChannelDtmfReceived", "channel": {"id": "c1"}, "digit": "4"})
    s.router.route(stasis_start("leg1"))
    s.router.route({"type": "ChannelDestroyed", "channel": {"id": "c1"}, "cause": 16})
    assert [e["type"] for e in patient.events] == ["ChannelDtmfReceived", "ChannelDestroyed"]
    assert [e["type"] for e in assistant.events] == ["StasisStart"]
    assert s.new == [], "a StasisStart of an owned leg is not a new call"


def test_playback_and_recording_events_reach_the_owner_of_their_target_channel() -> None:
    """PlaybackFinished and RecordingFinished carry no channel, only `target_uri`; that routes them."""
    s = Setup()
    call = Owner()
    s.router.claim("c1", call)
    s.router.route({"type": "PlaybackFinished", "playback": {"id": "p1", "target_uri": "channel:c1"}})
    s.router.route({"type": "RecordingFinished", "recording": {"name": "r", "target_uri": "channel:c1"}})
    s.router.route({"type": "PlaybackFinished", "playback": {"id": "p2", "target_uri": "bridge:b1"}})
    assert [e["type"] for e in call.events] == ["PlaybackFinished", "RecordingFinished"]
    assert event_channel_id({"type": "PlaybackFinished", "playback": {"target_uri": "bridge:b1"}}) is None


def test_an_unowned_stasis_start_is_a_new_call_and_other_unowned_events_are_dropped() -> None:
    """A patient's channel entering the app starts a call; stray events of unknown channels do nothing."""
    s = Setup()
    s.router.route(stasis_start("c7"))
    s.router.route({"type": "ChannelDtmfReceived", "channel": {"id": "c8"}, "digit": "1"})
    s.router.route({"type": "StasisEnd", "channel": {"id": "c8"}})
    s.router.route({"type": "PlaybackFinished", "playback": {"id": "p", "target_uri": "channel:c8"}})
    s.router.route({"type": "DeviceStateChanged", "device_state": {"name": "PJSIP/assistent1"}})
    assert [e["channel"]["id"] for e in s.new] == ["c7"]


def test_a_released_channel_is_no_longer_delivered_to_its_old_owner() -> None:
    """After release the old owner gets nothing more, and the channel entering the app again is new."""
    s = Setup()
    call = Owner()
    s.router.claim("c1", call)
    s.router.claim("c2", call)
    s.router.release("c1")
    s.router.release("not-claimed")  # harmless
    s.router.route({"type": "ChannelDtmfReceived", "channel": {"id": "c1"}, "digit": "2"})
    s.router.route(stasis_start("c1"))
    assert call.events == []
    assert [e["channel"]["id"] for e in s.new] == ["c1"]
    assert s.router.owned_channels() == {"c2"} and s.router.owner("c2") is call


def test_a_new_claim_takes_a_channel_over() -> None:
    """A channel claimed again (a conversation adopted after a restart) goes to its newest owner."""
    s = Setup()
    old, new = Owner(), Owner()
    s.router.claim("c1", old)
    s.router.claim("c1", new)
    s.router.route({"type": "StasisEnd", "channel": {"id": "c1"}})
    assert (old.events, len(new.events)) == ([], 1)
