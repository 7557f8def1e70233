"""A scriptable ARI for the fast tests: it records every request and plays Asterisk's part in events.

It implements ivr.ari.port.Ari with a small model of what Asterisk does: channels in and out of the app,
originated legs that ring, are answered or time out, playbacks that finish after the prompt's length,
recordings, bridges and endpoints. Tests script the world around it (a patient calls, presses keys, hangs
up; an assistant answers) and inject the failures Asterisk cannot be made to produce on demand (a
refused originate, a 404 while the channel is still listed, a websocket outage that loses events).
Events reach the controller asynchronously (`call_soon`), as they would over the websocket.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ivr.ari import AriError, AriNotFound, AriUnavailable

PROVIDER = "provider"


@dataclass
class Request:
    method: str
    params: dict[str, Any]


@dataclass
class FakeChannel:
    id: str
    caller: str = ""
    context: str = "from-patients"
    endpoint: str = ""
    args: list[str] = field(default_factory=list)
    answered: bool = False
    in_app: bool = False
    bridge: str | None = None
    variables: dict[str, str] = field(default_factory=dict)
    ring_timer: asyncio.TimerHandle | None = None
    moh: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "caller": {"number": self.caller},
            "dialplan": {"context": self.context},
            "state": "Up" if self.answered else "Ringing",
        }


@dataclass
class Endpoint:
    online: bool = True
    answer_after: float | None = None  # answers every call after this long; None: rings until answered
    refuse: bool = False  # originate refused at once (unregistered, wrong template)


@dataclass
class _Failure:
    method: str
    error: Callable[[], BaseException]
    times: int
    match: Callable[[dict[str, Any]], bool]


def not_found(what: str = "Channel") -> AriNotFound:
    return AriNotFound("X", "/fake", 404, json.dumps({"message": f"{what} not found"}))


class FakeAri:
    """Implements ivr.ari.port.Ari against an in-memory Asterisk."""

    base_url = "http://fake-asterisk/ari"

    def __init__(self, app: str = "terugbel") -> None:
        self.app = app
        self.requests: list[Request] = []
        self.channels: dict[str, FakeChannel] = {}
        self.bridges: dict[str, list[str]] = {}
        self.bridge_moh: dict[str, str] = {}
        self.playbacks: dict[str, tuple[str, str, asyncio.TimerHandle]] = {}
        self.recordings: dict[str, tuple[str, asyncio.TimerHandle]] = {}
        self.endpoints: dict[str, Endpoint] = {}
        self.prompt_seconds: dict[str, float] = {}
        self.default_prompt_seconds = 2.0
        self.deaf = False  # True: events are lost (the websocket is down)
        self.originate_seconds = 0.0  # how long Asterisk takes to answer an originate
        self.lost: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self._sink: Callable[[dict[str, Any]], None] | None = None
        self._failures: list[_Failure] = []
        self._ids = itertools.count(1)
        self._changed = asyncio.Event()

    # ---- wiring and scripting --------------------------------------------------------------------------

    def connect(self, sink: Callable[[dict[str, Any]], None]) -> None:
        """Where events go (the controller's Router.route)."""
        self._sink = sink

    def register(self, *names: str, online: bool = True, answer_after: float | None = None) -> None:
        """Headsets (PJSIP endpoints) and how they behave when rung."""
        for name in names:
            self.endpoints[name] = Endpoint(online=online, answer_after=answer_after)

    def busy(self, name: str) -> str:
        """The headset is in a call of its own (not one of ours): the dispatcher must skip it."""
        channel = FakeChannel(
            f"busy-{name}-{next(self._ids)}", context="from-headsets", endpoint=name, answered=True
        )
        self.channels[channel.id] = channel
        return channel.id

    def provider(self, *, answer_after: float | None = None, refuse: bool = False) -> None:
        """The outside world behind `PJSIP/<number>@provider`."""
        self.endpoints[PROVIDER] = Endpoint(answer_after=answer_after, refuse=refuse)

    def fail(
        self,
        method: str,
        error: Callable[[], BaseException],
        *,
        times: int = 1,
        match: Callable[[dict[str, Any]], bool] = lambda _: True,
    ) -> None:
        """The next `times` requests of `method` (matching `match`) raise `error()` instead."""
        self._failures.append(_Failure(method, error, times, match))

    def patient_calls(self, number: str = "0612345678", channel_id: str | None = None) -> str:
        """A patient's call arrives at the practice number: the channel enters the app."""
        channel = FakeChannel(channel_id or f"1700000000.{next(self._ids)}", caller=number, answered=False)
        channel.in_app = True
        self.channels[channel.id] = channel
        self._emit({"type": "StasisStart", "channel": channel.as_json(), "args": ["inbound"]})
        return channel.id

    def press(self, channel_id: str, digits: str) -> None:
        for digit in digits:
            self._emit({"type": "ChannelDtmfReceived", "channel": {"id": channel_id}, "digit": digit})

    def hang_up(self, channel_id: str, cause: int = 16) -> None:
        """The far end hangs up (a patient, an assistant, the provider)."""
        self._destroy(channel_id, cause)

    def pick_up(self, channel_id: str) -> None:
        """A ringing leg is answered (by an assistant, a patient): it enters the app."""
        channel = self.channels[channel_id]
        if channel.ring_timer:
            channel.ring_timer.cancel()
        channel.answered = True
        channel.in_app = True
        self._emit({"type": "StasisStart", "channel": channel.as_json(), "args": channel.args})

    def deadline_fires(self, channel_id: str) -> None:
        """The channel's TIMEOUT(absolute) passed: Asterisk takes it out of the app into the dialplan (T)."""
        channel = self._in_app_now(channel_id)
        self._leave_bridge(channel)
        channel.in_app = False
        self._emit({"type": "StasisEnd", "channel": channel.as_json()})

    def _in_app_now(self, channel_id: str) -> FakeChannel:
        channel = self.channels[channel_id]
        assert channel.in_app, f"{channel_id} is not in the app"
        return channel

    def finish_recording(self, name: str) -> None:
        channel_id, timer = self.recordings.pop(name)
        timer.cancel()
        self._emit({"type": "RecordingFinished", "recording": _rec(name, channel_id)})

    def ringing(self, endpoint: str) -> list[str]:
        """Legs ringing on `endpoint` (a headset name, or `provider`) and not answered yet."""
        return [c.id for c in self.channels.values() if c.endpoint == endpoint and not c.answered]

    def legs(self, endpoint: str) -> list[str]:
        return [c.id for c in self.channels.values() if c.endpoint == endpoint]

    def played(self, channel_id: str) -> list[str]:
        """Prompt names played to a channel, in order."""
        return [
            r.params["media"].rsplit("/", 1)[-1]
            for r in self.requests
            if r.method == "play" and r.params["channel_id"] == channel_id
        ]

    def finished(self, channel_id: str, prompt: str) -> bool:
        """Whether a playback of `prompt` on the channel has finished (or was stopped)."""
        ids = {
            r.params["playback_id"]
            for r in self.of("play", channel_id=channel_id)
            if r.params["media"].rsplit("/", 1)[-1] == prompt
        }
        return any(e["type"] == "PlaybackFinished" and e["playback"]["id"] in ids for e in self.events)

    def of(self, method: str, **match: Any) -> list[Request]:
        return [
            r
            for r in self.requests
            if r.method == method and all(r.params.get(k) == v for k, v in match.items())
        ]

    async def until(self, condition: Callable[[], object], seconds: float = 30.0, what: str = "") -> None:
        """Wait (on the loop's clock) until `condition()` is true; AssertionError at the deadline."""
        try:
            async with asyncio.timeout(seconds):
                while not condition():
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            raise AssertionError(f"not within {seconds} s: {what or condition}") from None

    async def settle(self) -> None:
        """Let everything already scheduled run (no virtual time passes)."""
        for _ in range(50):
            await asyncio.sleep(0)

    # ---- ARI: the Protocol ------------------------------------------------------------------------------

    async def ping(self) -> Any:
        await self._log("ping")
        return {"ping": "pong"}

    async def application(self, app: str) -> dict[str, Any]:
        await self._log("application", app=app)
        return {
            "name": app,
            "channel_ids": [c.id for c in self.channels.values() if c.in_app],
            "bridge_ids": list(self.bridges),
        }

    async def channel(self, channel_id: str) -> dict[str, Any]:
        await self._log("channel", channel_id=channel_id)
        return self._channel(channel_id).as_json()

    async def answer(self, channel_id: str) -> None:
        await self._log("answer", channel_id=channel_id)
        self._in_app(channel_id).answered = True

    async def hangup(self, channel_id: str, reason: str = "normal") -> None:
        await self._log("hangup", channel_id=channel_id, reason=reason)
        self._channel(channel_id)
        self._destroy(channel_id, 16)

    async def ring(self, channel_id: str) -> None:
        await self._log("ring", channel_id=channel_id)
        self._in_app(channel_id)

    async def ring_stop(self, channel_id: str) -> None:
        await self._log("ring_stop", channel_id=channel_id)
        self._in_app(channel_id)

    async def play(self, channel_id: str, media: str, playback_id: str) -> None:
        await self._log("play", channel_id=channel_id, media=media, playback_id=playback_id)
        self._in_app(channel_id)
        name = media.rsplit("/", 1)[-1]
        seconds = self.prompt_seconds.get(name, self.default_prompt_seconds)
        loop = asyncio.get_running_loop()
        timer = loop.call_later(seconds, self._playback_done, playback_id)
        self.playbacks[playback_id] = (channel_id, name, timer)
        self._emit({"type": "PlaybackStarted", "playback": _pb(playback_id, channel_id)})

    async def stop_playback(self, playback_id: str) -> None:
        await self._log("stop_playback", playback_id=playback_id)
        if playback_id not in self.playbacks:
            raise not_found("Playback")
        self._playback_done(playback_id)

    async def playback(self, playback_id: str) -> dict[str, Any]:
        await self._log("playback", playback_id=playback_id)
        if playback_id not in self.playbacks:
            raise not_found("Playback")
        return {"id": playback_id, "state": "playing"}

    async def record(
        self, channel_id: str, name: str, *, max_seconds: int, beep: bool = True, terminate_on: str = "#"
    ) -> None:
        await self._log("record", channel_id=channel_id, name=name, max_seconds=max_seconds)
        self._in_app(channel_id)
        timer = asyncio.get_running_loop().call_later(max_seconds, self._recording_done, name)
        self.recordings[name] = (channel_id, timer)
        self._emit({"type": "RecordingStarted", "recording": _rec(name, channel_id)})

    async def live_recording(self, name: str) -> dict[str, Any]:
        await self._log("live_recording", name=name)
        if name not in self.recordings:
            raise not_found("Recording")
        return {"name": name, "state": "recording"}

    async def originate(
        self,
        *,
        endpoint: str,
        channel_id: str,
        app: str,
        app_args: list[str],
        caller_id: str,
        ring_seconds: int,
    ) -> dict[str, Any]:
        await self._log(
            "originate",
            endpoint=endpoint,
            channel_id=channel_id,
            app_args=list(app_args),
            caller_id=caller_id,
            ring_seconds=ring_seconds,
        )
        # Asterisk carries out a request it received even if the client stops waiting for the answer: the
        # originate runs on "Asterisk's side" and a cancelled caller does not cancel it.
        return await asyncio.shield(self._originate(endpoint, channel_id, app_args, caller_id, ring_seconds))

    async def _originate(
        self, endpoint: str, channel_id: str, app_args: list[str], caller_id: str, ring_seconds: int
    ) -> dict[str, Any]:
        if self.originate_seconds:
            await asyncio.sleep(self.originate_seconds)
        name = PROVIDER if endpoint.endswith(f"@{PROVIDER}") else endpoint.removeprefix("PJSIP/")
        target = self.endpoints.get(name)
        if target is None or not target.online or target.refuse:
            raise AriError("POST", "/channels", 500, json.dumps({"message": "Allocation failed"}))
        channel = FakeChannel(
            channel_id, caller=caller_id, context="default", endpoint=name, args=list(app_args)
        )
        loop = asyncio.get_running_loop()
        channel.ring_timer = loop.call_later(ring_seconds, self._destroy, channel_id, 19)
        self.channels[channel_id] = channel
        self._changed.set()
        if target.answer_after is not None:
            loop.call_later(target.answer_after, self._answer_if_ringing, channel_id)
        return channel.as_json()

    async def continue_in_dialplan(self, channel_id: str, context: str, extension: str = "s") -> None:
        await self._log("continue_in_dialplan", channel_id=channel_id, context=context)
        channel = self._in_app(channel_id)
        self._leave_bridge(channel)
        channel.in_app = False
        channel.context = context
        self._emit({"type": "StasisEnd", "channel": channel.as_json()})

    async def set_variable(self, channel_id: str, variable: str, value: str) -> None:
        await self._log("set_variable", channel_id=channel_id, variable=variable, value=value)
        self._in_app(channel_id).variables[variable] = value

    async def start_moh(self, channel_id: str, moh_class: str) -> None:
        await self._log("start_moh", channel_id=channel_id, moh_class=moh_class)
        self._in_app(channel_id).moh = moh_class

    async def stop_moh(self, channel_id: str) -> None:
        await self._log("stop_moh", channel_id=channel_id)
        self._in_app(channel_id).moh = None

    async def create_bridge(self, bridge_id: str, kind: str = "mixing") -> None:
        await self._log("create_bridge", bridge_id=bridge_id, kind=kind)
        self.bridges.setdefault(bridge_id, [])

    async def bridge(self, bridge_id: str) -> dict[str, Any]:
        await self._log("bridge", bridge_id=bridge_id)
        if bridge_id not in self.bridges:
            raise not_found("Bridge")
        return {"id": bridge_id, "channels": list(self.bridges[bridge_id])}

    async def add_to_bridge(self, bridge_id: str, channel_ids: list[str]) -> None:
        await self._log("add_to_bridge", bridge_id=bridge_id, channel_ids=list(channel_ids))
        if bridge_id not in self.bridges:
            raise not_found("Bridge")
        for channel_id in channel_ids:
            channel = self.channels.get(channel_id)
            if channel is None or not channel.in_app:
                raise AriError(
                    "POST", "/bridges", 422, json.dumps({"message": "Channel not in Stasis application"})
                )
        for channel_id in channel_ids:
            channel = self.channels[channel_id]
            self._leave_bridge(channel)
            channel.bridge = bridge_id
            self.bridges[bridge_id].append(channel_id)

    async def remove_from_bridge(self, bridge_id: str, channel_id: str) -> None:
        await self._log("remove_from_bridge", bridge_id=bridge_id, channel_id=channel_id)
        channel = self.channels.get(channel_id)
        if bridge_id not in self.bridges or channel is None or channel.bridge != bridge_id:
            raise AriError("POST", "/bridges", 422, json.dumps({"message": "Channel not in this bridge"}))
        self._leave_bridge(channel)

    async def destroy_bridge(self, bridge_id: str) -> None:
        await self._log("destroy_bridge", bridge_id=bridge_id)
        if bridge_id not in self.bridges:
            raise not_found("Bridge")
        for channel_id in self.bridges.pop(bridge_id):
            if channel_id in self.channels:
                self.channels[channel_id].bridge = None

    async def endpoint(self, technology: str, resource: str) -> dict[str, Any]:
        await self._log("endpoint", resource=resource)
        target = self.endpoints.get(resource)
        if target is None:
            raise not_found("Endpoint")
        busy = [c.id for c in self.channels.values() if c.endpoint == resource]
        return {"resource": resource, "state": "online" if target.online else "offline", "channel_ids": busy}

    # ---- Asterisk's side ---------------------------------------------------------------------------------

    async def _log(self, method: str, **params: Any) -> None:
        # A real request always suspends the caller at least once; so does this one.
        await asyncio.sleep(0)
        self.requests.append(Request(method, params))
        self._changed.set()
        for failure in self._failures:
            if failure.method == method and failure.times > 0 and failure.match(params):
                failure.times -= 1
                raise failure.error()

    def _channel(self, channel_id: str) -> FakeChannel:
        channel = self.channels.get(channel_id)
        if channel is None:
            raise not_found("Channel")
        return channel

    def _in_app(self, channel_id: str) -> FakeChannel:
        channel = self._channel(channel_id)
        if not channel.in_app:
            raise AriError(
                "X", "/channels", 409, json.dumps({"message": "Channel not in Stasis application"})
            )
        return channel

    def _emit(self, event: dict[str, Any]) -> None:
        self.events.append(event)
        self._changed.set()
        if self.deaf:
            self.lost.append(event)
            return
        if self._sink is not None:
            asyncio.get_running_loop().call_soon(self._sink, event)

    def _answer_if_ringing(self, channel_id: str) -> None:
        channel = self.channels.get(channel_id)
        if channel is not None and not channel.answered:
            self.pick_up(channel_id)

    def _playback_done(self, playback_id: str) -> None:
        entry = self.playbacks.pop(playback_id, None)
        if entry is None:
            return
        channel_id, _, timer = entry
        timer.cancel()
        self._emit({"type": "PlaybackFinished", "playback": _pb(playback_id, channel_id)})

    def _recording_done(self, name: str) -> None:
        if name in self.recordings:
            self.finish_recording(name)

    def _leave_bridge(self, channel: FakeChannel) -> None:
        if channel.bridge is not None and channel.bridge in self.bridges:
            self.bridges[channel.bridge] = [c for c in self.bridges[channel.bridge] if c != channel.id]
        channel.bridge = None

    def _destroy(self, channel_id: str, cause: int) -> None:
        channel = self.channels.pop(channel_id, None)
        if channel is None:
            return
        if channel.ring_timer:
            channel.ring_timer.cancel()
        for playback_id, (target, _, _) in list(self.playbacks.items()):
            if target == channel_id:
                self._playback_done(playback_id)
        for name, (target, timer) in list(self.recordings.items()):
            if target == channel_id:
                timer.cancel()
                self.recordings.pop(name)
                self._emit({"type": "RecordingFinished", "recording": _rec(name, channel_id)})
        self._leave_bridge(channel)
        if channel.in_app:
            self._emit({"type": "StasisEnd", "channel": channel.as_json()})
        self._emit({"type": "ChannelDestroyed", "channel": channel.as_json(), "cause": cause})


def _pb(playback_id: str, channel_id: str) -> dict[str, Any]:
    return {"id": playback_id, "target_uri": f"channel:{channel_id}"}


def _rec(name: str, channel_id: str) -> dict[str, Any]:
    return {"name": name, "target_uri": f"channel:{channel_id}"}


def unavailable() -> AriUnavailable:
    return AriUnavailable("fake: Asterisk cannot be reached")


def names(items: Iterable[Request], key: str) -> list[Any]:
    return [r.params[key] for r in items]
