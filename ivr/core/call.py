"""One patient's call as the flows see it: play, collect keys, hang up, and its events in order."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

import structlog

from common.phone import caller_display, dutch_national
from common.privacy import mask_number
from ivr import log_events as ev
from ivr.ari import AriError, AriNotFound, AriUnavailable
from ivr.ari.port import Ari
from ivr.core.inbox import Inbox
from ivr.core.media import Media
from ivr.core.router import Router
from ivr.live.notifier import no_notice
from ivr.timing import deadline as deadline_in

log = structlog.get_logger(__name__)

GONE_EVENTS = frozenset({"StasisEnd", "ChannelDestroyed"})
# A PlaybackFinished lost while the websocket was down must not hold the caller: each prompt is waited for
# at most its own length plus this margin (reconcile usually repairs it sooner).
PLAYBACK_MARGIN_SECONDS = 3.0


class CallGone(Exception):
    """The patient's channel left (hung up, moved out of the app, or Asterisk is shutting down)."""

    def __init__(self, reason: str = "patient_hung_up") -> None:
        super().__init__(reason)
        self.reason = reason


def new_call_id() -> str:
    # A letter first: an id is never mistaken for (and masked as) a phone number in a log line.
    return f"c{uuid.uuid4().hex[:11]}"


class Call:
    """The patient's channel plus every leg this call dials. Events arrive through `deliver`."""

    def __init__(
        self,
        ari: Ari,
        router: Router,
        channel: dict[str, Any],
        *,
        app: str,
        media: Media,
        entered: bool = True,
        patient: bool = True,
        notify: Callable[[str], None] = no_notice,
    ) -> None:
        self.ari = ari
        self.router = router
        self.app = app
        self.media = media
        self.channel_id: str = channel["id"]
        self.caller_number: str = (channel.get("caller") or {}).get("number", "") or ""
        self.call_id = new_call_id()
        self.patient = patient  # a patient's own call (the dialplan's deadline applies), not a callback leg
        self.digits: deque[str] = deque()
        self.gone = False
        # Set by the controller when it stops: conversations in progress are left to the next controller.
        self.detached = False
        self._inbox = Inbox()
        self._legs: set[str] = set()
        # Channels whose StasisStart this call has seen (reconcile replays one that was lost).
        self.entered: set[str] = {self.channel_id} if entered else set()
        self.playback: str | None = None  # the prompt playing now, for reconcile
        self.recording: str | None = None  # the recording running now, for reconcile
        self.conversation: tuple[str, str] | None = None  # (bridge, leg) while the patient is bridged
        self.spoed_since: dt.datetime | None = None  # while spoed rings for this caller (the screen's top)
        self._notify = notify
        router.claim(self.channel_id, self)

    @property
    def masked_caller(self) -> str:
        return mask_number(self.caller_number)

    @property
    def caller_id(self) -> str:
        """The caller id an assistant's headset shows: a checked number, never the raw SIP text."""
        number = dutch_national(self.caller_number)
        return f'"{caller_display(self.caller_number)}" <{number or "anonymous"}>'

    def talking(self, bridge_id: str, leg: str) -> None:
        """The caller is bridged with `leg`: a conversation (kept up across a controller restart)."""
        self.conversation = (bridge_id, leg)
        if self.spoed_since is not None:
            self._notify("spoed")  # answered: no longer ringing

    def spoed(self, since: dt.datetime | None) -> None:
        """Spoed rings for this caller from `since` (None: no longer): the screen puts it at the top."""
        self.spoed_since = since
        self._notify("spoed")

    def deliver(self, event: dict[str, Any]) -> None:
        if event.get("type") == "StasisStart":
            channel = (event.get("channel") or {}).get("id")
            if channel in self.entered and event.get("replayed"):
                return  # reconcile's replay of a StasisStart this call already had
            self.entered.add(channel)
        self._inbox.put(event)

    # ---- legs -------------------------------------------------------------------------------------------

    def new_leg_id(self) -> str:
        """A channel id for a leg this call is about to dial, routed to this call from the first event."""
        leg = f"{self.call_id}-{uuid.uuid4().hex[:8]}"
        self._legs.add(leg)
        self.router.claim(leg, self)
        return leg

    def forget_leg(self, leg: str) -> None:
        self._legs.discard(leg)
        self.entered.discard(leg)
        self.router.release(leg)

    @property
    def legs(self) -> set[str]:
        return set(self._legs)

    # ---- events -----------------------------------------------------------------------------------------

    async def next_event(
        self, deadline: float | None, *, until: asyncio.Future[Any] | None = None
    ) -> dict[str, Any] | None:
        """The next event of this call; None at the deadline (loop time) or once `until` is done.

        Raises CallGone when the patient's channel ends. Keys the patient presses are also kept in
        `digits`, so a key pressed between two waits is never lost.
        """
        if self.gone:
            raise CallGone
        event = await self._inbox.take(deadline, until=until)
        if event is None:
            return None
        channel = (event.get("channel") or {}).get("id")
        if channel == self.channel_id:
            if event["type"] in GONE_EVENTS:
                self.gone = True
                raise CallGone
            if event["type"] == "ChannelDtmfReceived":
                self.digits.append(str(event.get("digit", "")))
        return event

    def hangup_pending(self) -> bool:
        """Whether the patient's hang-up is already waiting behind the events read so far."""
        return self.gone or self._inbox.any(self._is_own_end)

    def _is_own_end(self, event: dict[str, Any]) -> bool:
        return event.get("type") in GONE_EVENTS and (event.get("channel") or {}).get("id") == self.channel_id

    def _is_own_key(self, event: dict[str, Any]) -> bool:
        channel = (event.get("channel") or {}).get("id")
        return event.get("type") == "ChannelDtmfReceived" and channel == self.channel_id

    # ---- actions on the patient's channel ---------------------------------------------------------------

    async def answer(self) -> None:
        await self.own(self.ari.answer(self.channel_id))

    async def own(self, coro: Any) -> Any:
        """Run an ARI request on the patient's own channel; the channel having left raises CallGone.

        Only when the error is about the channel: a 404 can also name another resource (a bridge that does
        not exist yet), and that must not end the call.
        """
        try:
            return await coro
        except AriError as exc:
            if exc.shutting_down:
                self.gone = True
                raise CallGone("asterisk_shutting_down") from None
            if exc.channel_gone:
                # The hang-up event may still be queued: this request simply got there first.
                self.gone = True
                raise CallGone from None
            if isinstance(exc, AriNotFound) and not await self._exists():
                self.gone = True
                raise CallGone from None
            raise

    async def _exists(self) -> bool:
        try:
            await self.ari.channel(self.channel_id)
        except AriNotFound:
            return False
        except (AriError, AriUnavailable):
            return True
        return True

    async def hangup(self) -> None:
        await quietly(self.ari.hangup(self.channel_id))

    async def start_playback(self, name: str) -> str:
        playback_id = f"{self.call_id}-pb-{uuid.uuid4().hex[:8]}"
        self.playback = playback_id
        await self.own(self.ari.play(self.channel_id, self.media.uri(name), playback_id))
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
            until = deadline_in(self.media.seconds(name) + PLAYBACK_MARGIN_SECONDS)
            try:
                while True:
                    event = await self.next_event(until)
                    if event is None:
                        log.warning(ev.PLAYBACK_OVERDUE, prompt=name)
                        break
                    kind = event["type"]
                    if kind == "PlaybackFinished" and event["playback"]["id"] == playback_id:
                        break
                    if kind == "ChannelDtmfReceived" and (key := self._take_digit(allowed)) is not None:
                        await quietly(self.ari.stop_playback(playback_id))
                        return key
            finally:
                self.playback = None
        if self.hangup_pending():
            # The caller hung up during the last prompt (Asterisk sends PlaybackFinished first): nothing
            # that follows may be taken for heard.
            self.gone = True
            raise CallGone
        return None

    async def wait_digit(self, seconds: float, *, allowed: Iterable[str] | None = None) -> str | None:
        """The next key the patient presses within `seconds`, or None."""
        keys = None if allowed is None else set(allowed)
        until = deadline_in(seconds)
        while True:
            key = self._take_digit(keys)
            if key is not None:
                return key
            event = await self.next_event(until)
            if event is None:
                return None

    def flush_digits(self) -> None:
        """Forget keys pressed so far: what comes next must be heard before it can be answered.

        Also the key events not read yet: the second press of a double key arrives just after the first.
        """
        self.digits.clear()
        self._inbox.drop(self._is_own_key)

    def _take_digit(self, allowed: set[str] | None) -> str | None:
        while self.digits:
            key = self.digits.popleft()
            if allowed is None or key in allowed:
                return key
        return None

    # ---- cleanup ----------------------------------------------------------------------------------------

    async def release_all(self) -> None:
        """Hang up every leg still up and stop routing this call's channels.

        A detached call (the controller is stopping) keeps its conversation: the bridged leg and the
        patient stay up for the next controller to take over.
        """
        kept = self.conversation[1] if (self.detached and self.conversation) else None
        for leg in self.legs:
            if leg != kept:
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
