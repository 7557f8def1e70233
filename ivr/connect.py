"""Putting a person on the line: ring headsets or an outside number, then bridge the first answer."""

from __future__ import annotations

import enum
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import structlog

from ivr.ari import AriError, AriNotFound, AriUnavailable
from ivr.call import Call, CallGone, quietly

log = structlog.get_logger(__name__)


class RingResult(enum.Enum):
    BRIDGED = "bridged"  # somebody answered and the conversation has ended
    NO_ANSWER = "no_answer"
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


async def ring_and_bridge(call: Call, plan: RingPlan) -> RingResult:
    """Ring the plan's targets; bridge the patient to whoever answers first and stay until either hangs up.

    The targets are dialled before the prompt starts, so the prompt never delays the headset ringing.
    """
    started = time.monotonic()
    deadline = started + plan.total_seconds
    ringing: dict[str, Target] = {}
    order = list(plan.targets)
    next_index = 0
    playback: str | None = None

    async def dial(target: Target, seconds: int) -> None:
        leg = call.new_leg_id()
        try:
            await call.ari.originate(
                endpoint=target.endpoint,
                channel_id=leg,
                app=call.app,
                app_args=["leg", call.call_id],
                caller_id=call.caller_id,
                ring_seconds=max(int(seconds), 1),
            )
        except (AriError, AriUnavailable) as exc:
            # An unregistered headset is refused at once; the others still ring.
            log.info("ring_target_failed", target=target.label, error=str(exc))
            call.forget_leg(leg)
            return
        ringing[leg] = target
        log.info("ringing", target=target.label, after_ms=round((time.monotonic() - started) * 1000))

    async def dial_next() -> None:
        nonlocal next_index
        # Ordered ringing goes round the list until one answers or the total time is up.
        for _ in range(len(order)):
            target = order[next_index % len(order)]
            next_index += 1
            seconds = min(plan.ring_seconds, max(deadline - time.monotonic(), 1))
            await dial(target, int(seconds))
            if ringing:
                return

    async def hang_up_ringing(keep: str | None = None) -> None:
        for leg in list(ringing):
            if leg != keep:
                await quietly(call.ari.hangup(leg))
                ringing.pop(leg, None)
                call.forget_leg(leg)

    if plan.ordered:
        await dial_next()
    else:
        for target in order:
            await dial(target, int(plan.total_seconds))
    if plan.prompt:
        playback = await call.start_playback(plan.prompt)
    else:
        await quietly(call.ari.ring(call.channel_id))

    try:
        while True:
            if not ringing:
                if plan.ordered and time.monotonic() < deadline and order:
                    await dial_next()
                if not ringing:
                    return RingResult.NO_ANSWER
            event = await call.next_event(deadline)
            if event is None:
                log.info("ring_timeout", seconds=plan.total_seconds)
                return RingResult.NO_ANSWER
            kind = event["type"]
            channel = (event.get("channel") or {}).get("id")
            if kind == "StasisStart" and channel in ringing:
                answered = ringing[channel]
                log.info(
                    "answered", target=answered.label, after_ms=round((time.monotonic() - started) * 1000)
                )
                await hang_up_ringing(keep=channel)
                ringing.clear()
                if playback:
                    await quietly(call.ari.stop_playback(playback))
                await quietly(call.ari.ring_stop(call.channel_id))
                if await bridge(call, channel):
                    return RingResult.BRIDGED
                # Answered and gone again before the bridge: nobody is on the line for the patient.
                return RingResult.NO_ANSWER
            if kind in ("ChannelDestroyed", "StasisEnd") and channel in ringing:
                ringing.pop(channel)
                call.forget_leg(channel)
            elif kind == "PlaybackFinished" and playback and event["playback"]["id"] == playback:
                playback = None
                await quietly(call.ari.ring(call.channel_id))
            elif kind == "ChannelDtmfReceived" and channel == call.channel_id:
                key = str(event.get("digit", ""))
                if key in plan.interrupt_keys:
                    # The key is handled by whoever asked for the interrupt; nothing pressed stays queued.
                    call.digits.clear()
                    return RingResult.INTERRUPTED
    finally:
        await hang_up_ringing()
        if playback:
            await quietly(call.ari.stop_playback(playback))


async def bridge(call: Call, leg: str) -> bool:
    """Join the patient and the answered leg until one of them hangs up; then end the other side too.

    Returns False when the leg was already gone before it could join (an assistant who answers and hangs
    up at once): the caller then decides who to ring next.
    """
    bridge_id = f"{call.call_id}-br-{uuid.uuid4().hex[:6]}"
    await call.ari.create_bridge(bridge_id)
    try:
        try:
            await call.ari.add_to_bridge(bridge_id, [call.channel_id, leg])
        except AriError as exc:
            if exc.status == 400 and not await _exists(call, leg):
                log.info("leg_gone_before_bridge")
                return False
            raise
        log.info("bridged", bridge=bridge_id)
        while True:
            event = await call.next_event(None)
            channel = (event or {}).get("channel", {}).get("id")
            if event and event["type"] in ("ChannelDestroyed", "StasisEnd") and channel == leg:
                log.info("leg_hung_up")
                await call.hangup()
                return True
    except CallGone:
        log.info("patient_hung_up_in_bridge")
        raise
    finally:
        await quietly(call.ari.hangup(leg))
        call.forget_leg(leg)
        await quietly(call.ari.destroy_bridge(bridge_id))


async def _exists(call: Call, channel_id: str) -> bool:
    try:
        await call.ari.channel(channel_id)
        return True
    except AriNotFound:
        return False
