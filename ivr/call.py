"""One patient's call as the menu code sees it: play, collect keys, hang up, and its events in order."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

import structlog

from common.privacy import mask_number
from ivr.ari import AriClient, AriError, AriNotFound, AriUnavailable
from ivr.router import Router

log = structlog.get_logger(__name__)

# A playback whose PlaybackFinished never comes (events are lost while the websocket is down) must not
# hold the caller forever.
PLAYBACK_SAFETY_SECONDS = 600.0
GONE_EVENTS = frozenset({"StasisEnd", "ChannelDestroyed"})


class CallGone(Exception):
    """The patient's channel left (hung up, or was moved out of the app)."""


class Call:
    """The patient's channel plus every leg this call dials. Events arrive through `deliver`."""

    def __init__(
        self,
        ari: AriClient,
        router: Router,
        channel: dict[str, Any],
        *,
        app: str,
        media: Callable[[str], str],
    ) -> None:
        self.ari = ari
        self.router = router
        self.app = app
        self.channel_id: str = channel["id"]
        self.caller_number: str = (channel.get("caller") or {}).get("number", "") or ""
        self.call_id = uuid.uuid4().hex[:12]
        self.media = media
        self.digits: deque[str] = deque()
        self.gone = False
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._legs: set[str] = set()
        router.claim(self.channel_id, self)

    @property
    def masked_caller(self) -> str:
        return mask_number(self.caller_number)

    @property
    def caller_id(self) -> str:
        """The patient's number as the caller id an assistant's headset shows."""
        if not self.caller_number:
            return '"Anoniem" <anonymous>'
        return f'"{self.caller_number}" <{self.caller_number}>'

    def deliver(self, event: dict[str, Any]) -> None:
        self._queue.put_nowait(event)

    # ---- legs -------------------------------------------------------------------------------------------

    def new_leg_id(self) -> str:
        """A channel id for a leg this call is about to dial, routed to this call from the first event."""
        leg = f"{self.call_id}-{uuid.uuid4().hex[:8]}"
        self._legs.add(leg)
        self.router.claim(leg, self)
        return leg

    def forget_leg(self, leg: str) -> None:
        self._legs.discard(leg)
        self.router.release(leg)

    @property
    def legs(self) -> set[str]:
        return set(self._legs)

    # ---- events -----------------------------------------------------------------------------------------

    async def next_event(self, deadline: float | None) -> dict[str, Any] | None:
        """The next event of this call, or None at the deadline (time.monotonic()).

        Raises CallGone when the patient's channel ends. Keys the patient presses are also kept in
        `digits`, so a key pressed between two waits is never lost.
        """
        if self.gone:
            raise CallGone
        timeout = None if deadline is None else max(deadline - time.monotonic(), 0)
        try:
            event = await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return None
        channel = (event.get("channel") or {}).get("id")
        if channel == self.channel_id:
            if event["type"] in GONE_EVENTS:
                self.gone = True
                raise CallGone
            if event["type"] == "ChannelDtmfReceived":
                self.digits.append(str(event.get("digit", "")))
        return event

    # ---- actions on the patient's channel ---------------------------------------------------------------

    async def answer(self) -> None:
        await self.own(self.ari.answer(self.channel_id))

    async def own(self, coro: Any) -> Any:
        """Run an ARI request on the patient's own channel; a 404 because it hung up raises CallGone.

        Only when the channel itself is gone: a 404 can also name another resource (a bridge that does
        not exist yet), and that must not end the call.
        """
        try:
            return await coro
        except AriNotFound:
            try:
                await self.ari.channel(self.channel_id)
            except AriNotFound:
                # The hang-up event may still be queued: this request simply got there first.
                self.gone = True
                raise CallGone from None
            raise

    async def hangup(self) -> None:
        await quietly(self.ari.hangup(self.channel_id))

    async def start_playback(self, name: str) -> str:
        playback_id = f"{self.call_id}-pb-{uuid.uuid4().hex[:8]}"
        # A stored recording (a caller's voice note) is played as it is; every other name is a prompt.
        media = name if name.startswith("recording:") else self.media(name)
        await self.own(self.ari.play(self.channel_id, media, playback_id))
        return playback_id

    async def play(self, names: Iterable[str], *, interrupt: Iterable[str] | None = None) -> str | None:
        """Play prompts in order. A key in `interrupt` (all keys when None) stops them and is returned.

        A key pressed before a prompt starts interrupts it too (the patient who knows the menu is never
        made to listen to it again).
        """
        allowed = None if interrupt is None else set(interrupt)
        for name in names:
            key = self._take_digit(allowed)
            if key is not None:
                return key
            playback_id = await self.start_playback(name)
            deadline = time.monotonic() + PLAYBACK_SAFETY_SECONDS
            while True:
                event = await self.next_event(deadline)
                if event is None:
                    break
                kind = event["type"]
                if kind == "PlaybackFinished" and event["playback"]["id"] == playback_id:
                    break
                if kind == "ChannelDtmfReceived" and (key := self._take_digit(allowed)) is not None:
                    await quietly(self.ari.stop_playback(playback_id))
                    return key
        return None

    async def wait_digit(self, seconds: float, *, allowed: Iterable[str] | None = None) -> str | None:
        """The next key the patient presses within `seconds`, or None."""
        keys = None if allowed is None else set(allowed)
        deadline = time.monotonic() + seconds
        while True:
            key = self._take_digit(keys)
            if key is not None:
                return key
            event = await self.next_event(deadline)
            if event is None:
                return None

    def _take_digit(self, allowed: set[str] | None) -> str | None:
        while self.digits:
            key = self.digits.popleft()
            if allowed is None or key in allowed:
                return key
        return None

    # ---- cleanup ----------------------------------------------------------------------------------------

    async def release_all(self) -> None:
        """Hang up every leg still up and stop routing this call's channels."""
        for leg in self.legs:
            await quietly(self.ari.hangup(leg))
            self.forget_leg(leg)
        self.router.release(self.channel_id)


async def quietly(coro: Any) -> None:
    """Await an ARI call whose failure means the thing is already gone (404 on cleanup is normal)."""
    try:
        await coro
    except AriNotFound:
        pass
    except (AriError, AriUnavailable) as exc:
        log.debug("ari_cleanup_failed", error=str(exc))
