"""Ringing headsets or an outside number for a caller, and bridging whoever answers first."""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog

from ivr import log_events as ev
from ivr.ari import AriError, AriUnavailable
from ivr.connect.bridge import bridge
from ivr.connect.originate import originate_leg
from ivr.core.call import Call, quietly
from ivr.timing import deadline as deadline_in
from ivr.timing import now

log = structlog.get_logger(__name__)


class RingResult(enum.Enum):
    BRIDGED = "bridged"  # somebody answered and the conversation has ended
    NO_ANSWER = "no_answer"
    REFUSED = "refused"  # nothing could be rung at all: every originate was refused
    INTERRUPTED = "interrupted"  # the patient pressed a key that asks for something else (spoed)


@dataclass(frozen=True)
class Target:
    """Something to ring: a headset (`PJSIP/assistent1`) or an outside number through the provider."""

    endpoint: str
    label: str


@dataclass(frozen=True)
class RingPlan:
    targets: Sequence[Target]
    ordered: bool = False  # ring one after the other (ring_seconds each) instead of all together
    ring_seconds: int = 15
    total_seconds: float = 60.0
    prompt: str | None = None  # played once while ringing, then the patient hears the ring tone
    interrupt_keys: frozenset[str] = frozenset()
    # Told the label of the target that answered, once the patient is bridged with it (the call trace).
    on_answer: Callable[[str], None] | None = None


class _Ringing:
    """The legs of one ring plan that are ringing now."""

    def __init__(self, call: Call, plan: RingPlan) -> None:
        self.call = call
        self.plan = plan
        self.legs: dict[str, Target] = {}
        self.started = now()
        self.until = deadline_in(plan.total_seconds)
        self.next_index = 0
        self.dialled_any = False

    async def dial(self, target: Target, seconds: float) -> None:
        call = self.call
        leg = call.new_leg_id()
        try:
            await originate_leg(
                call.ari,
                endpoint=target.endpoint,
                channel_id=leg,
                app=call.app,
                app_args=["leg", call.call_id],
                caller_id=call.caller_id,
                ring_seconds=max(int(seconds), 1),
            )
        except (AriError, AriUnavailable) as exc:
            # An unregistered headset is refused at once; the others still ring.
            log.info(ev.RING_REFUSED, target=target.label, error=str(exc))
            call.forget_leg(leg)
            return
        self.legs[leg] = target
        self.dialled_any = True
        log.info(ev.RINGING, target=target.label, after_ms=round((now() - self.started) * 1000))

    async def dial_next(self) -> None:
        # Ordered ringing goes round the list until one answers or the total time is up.
        order = self.plan.targets
        for _ in range(len(order)):
            target = order[self.next_index % len(order)]
            self.next_index += 1
            await self.dial(target, min(self.plan.ring_seconds, max(self.until - now(), 1)))
            if self.legs:
                return

    async def hang_up(self, keep: str | None = None) -> None:
        for leg in list(self.legs):
            if leg != keep:
                await quietly(self.call.ari.hangup(leg))
                self.legs.pop(leg, None)
                self.call.forget_leg(leg)


async def ring_and_bridge(call: Call, plan: RingPlan) -> RingResult:
    """Ring the plan's targets; bridge the patient to whoever answers first and stay until either hangs up.

    The targets are dialled before the prompt starts, so the prompt never delays the headset ringing.
    """
    ringing = _Ringing(call, plan)
    playback: str | None = None
    try:
        if plan.ordered:
            await ringing.dial_next()
        else:
            for target in plan.targets:
                await ringing.dial(target, plan.total_seconds)
        if not ringing.dialled_any:
            log.warning(ev.ALL_REFUSED, targets=[t.label for t in plan.targets])
            return RingResult.REFUSED
        if plan.prompt:
            playback = await call.start_playback(plan.prompt)
        else:
            await quietly(call.ari.ring(call.channel_id))
        while True:
            if not ringing.legs:
                if plan.ordered and now() < ringing.until:
                    await ringing.dial_next()
                if not ringing.legs:
                    return RingResult.NO_ANSWER
            event = await call.next_event(ringing.until)
            if event is None:
                log.info("ring_timeout", seconds=plan.total_seconds)
                return RingResult.NO_ANSWER
            kind = event["type"]
            channel = (event.get("channel") or {}).get("id")
            if kind == "StasisStart" and channel in ringing.legs:
                answered = ringing.legs[channel]
                log.info(ev.ANSWERED, target=answered.label, after_ms=round((now() - ringing.started) * 1000))
                await ringing.hang_up(keep=channel)
                ringing.legs.clear()
                if playback:
                    await quietly(call.ari.stop_playback(playback))
                    playback = None
                await quietly(call.ari.ring_stop(call.channel_id))
                report = plan.on_answer
                on_joined = None if report is None else functools.partial(report, answered.label)
                if await bridge(call, channel, on_joined):
                    return RingResult.BRIDGED
                # Answered and gone again before the bridge: nobody is on the line for the patient.
                return RingResult.NO_ANSWER
            if kind in ("ChannelDestroyed", "StasisEnd") and channel in ringing.legs:
                ringing.legs.pop(channel)
                call.forget_leg(channel)
            elif kind == "PlaybackFinished" and playback and event["playback"]["id"] == playback:
                playback = None
                call.playback = None
                await quietly(call.ari.ring(call.channel_id))
            elif kind == "ChannelDtmfReceived" and channel == call.channel_id:
                key = str(event.get("digit", ""))
                if key in plan.interrupt_keys:
                    # The key is handled by whoever asked for the interrupt; nothing pressed stays queued.
                    call.flush_digits()
                    return RingResult.INTERRUPTED
    finally:
        # Also when the patient hangs up or the controller stops: no headset is left ringing.
        await ringing.hang_up()
        if playback:
            call.playback = None
            await quietly(call.ari.stop_playback(playback))
