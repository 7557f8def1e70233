"""Spoed: a person on the line as fast as possible, whatever else is going on.

The norm (LHV, docs/domain-facts.md) is a medically competent person within 30 seconds. The headsets are
rung at once, without a queue, and after `overflow_after` seconds the overflow number (often the
huisartsenpost) is rung instead. The loop alternates until somebody answers or the patient hangs up.
When nothing can be rung at all (headsets unregistered and the overflow refused), it backs off while still
listening for the hang-up, and after a few such rounds hands the call to the dialplan's fallback, which
rings every headset and the overflow with Asterisk's own Dial.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable

import structlog

from dialplan.schema import PracticeConfig
from ivr import log_events as ev
from ivr import sounds
from ivr.connect.ring import RingPlan, RingResult, Target, ring_and_bridge
from ivr.core.call import Call, CallGone, quietly
from ivr.core.fallback import SendToFallback
from ivr.timing import deadline, now
from ivr.trace import CallTrace
from storage.call_events import EventKind, SpoedEnd

log = structlog.get_logger(__name__)

# After this long without anyone answering, the patient is told to call 112 rather than wait on.
SPOED_GIVE_UP_SECONDS = 300.0
OVERFLOW_RING_SECONDS = 45
# A round (headsets, then overflow) over this fast rang nobody: every originate refused, or every leg
# failed at once (a wrong outbound template). After a few such rounds the dialplan takes over.
FAILED_ROUND_SECONDS = 2.0
FAILED_ROUNDS_BEFORE_FALLBACK = 3
FAILED_ROUND_PAUSE_SECONDS = (1.0, 2.0, 4.0)


def headset_targets(names: list[str]) -> list[Target]:
    return [Target(endpoint=f"PJSIP/{name}", label=name) for name in names]


def outside_target(template: str, number: str, label: str) -> Target:
    return Target(endpoint=template.format(number=number), label=label)


class _FailedRounds:
    """Counts rounds that rang nobody, pauses between them, and gives up to the dialplan after a few."""

    def __init__(self, call: Call, what: str) -> None:
        self.call = call
        self.what = what
        self.count = 0
        self.started = now()

    def start(self) -> None:
        self.started = now()

    async def end(self) -> None:
        if now() - self.started >= FAILED_ROUND_SECONDS:
            self.count = 0
            return
        self.count += 1
        if self.count >= FAILED_ROUNDS_BEFORE_FALLBACK:
            log.error(ev.SPOED_TO_FALLBACK, what=self.what, rounds=self.count)
            raise SendToFallback(f"{self.what}: nothing could be rung")
        pause = FAILED_ROUND_PAUSE_SECONDS[min(self.count, len(FAILED_ROUND_PAUSE_SECONDS)) - 1]
        await quietly(self.call.ari.ring(self.call.channel_id))
        # Waiting by reading the call's events, so a patient who hangs up meanwhile ends it at once.
        await self.call.wait_digit(pause, allowed=())


class _SpoedTrace:
    """Spoed's steps in the call trace: the time to a person is what the LHV norm (30 s) measures."""

    def __init__(self, trace: CallTrace, call: Call, route: str, headsets: int) -> None:
        self.trace = trace
        self.call_id = call.call_id
        self.started = trace.record(call.call_id, EventKind.SPOED_STARTED, route=route, headsets=headsets)
        self.overflows = 0
        self.answered = False
        self.ended = False

    def overflowed(self) -> None:
        self.overflows += 1
        self.trace.record(
            self.call_id,
            EventKind.SPOED_OVERFLOWED,
            round=self.overflows,
            seconds=self.trace.seconds_since(self.started),
        )

    def answered_by(self, label: str) -> None:
        self.answered = True
        self.trace.record(
            self.call_id,
            EventKind.SPOED_ANSWERED,
            by=label,
            seconds=self.trace.seconds_since(self.started),
            overflowed=self.overflows > 0,
        )

    def given_up(self, reason: SpoedEnd) -> None:
        if not (self.answered or self.ended):
            self.ended = True
            self.trace.record(
                self.call_id,
                EventKind.SPOED_GIVEN_UP,
                reason=reason,
                seconds=self.trace.seconds_since(self.started),
            )

    async def watch(self, ringing: Awaitable[None]) -> None:
        """Run the ringing; however it ends without a person, say why."""
        try:
            await ringing
        except CallGone:
            self.given_up(SpoedEnd.HUNG_UP)
            raise
        except SendToFallback:
            self.given_up(SpoedEnd.FALLBACK)
            raise
        except asyncio.CancelledError:
            self.given_up(SpoedEnd.CONTROLLER_STOPPED)
            raise


async def run_spoed(call: Call, cfg: PracticeConfig, *, outbound_template: str, trace: CallTrace) -> None:
    """Ring the headsets (then the overflow number, in turns) until the patient is bridged or hangs up."""
    spoed = cfg.spoed
    headsets = headset_targets(list(spoed.headsets or cfg.headsets))
    overflow = outside_target(outbound_template, spoed.overflow_number, "spoed_overflow")
    give_up = deadline(SPOED_GIVE_UP_SECONDS)
    rounds = _FailedRounds(call, "spoed")
    log.info(ev.SPOED_STARTED, headsets=len(headsets), strategy=spoed.strategy)
    traced = _SpoedTrace(trace, call, "practice", len(headsets))
    call.spoed(since=dt.datetime.now(dt.UTC))
    try:
        await traced.watch(_ring_until_answered(call, cfg, headsets, overflow, rounds, give_up, traced))
    finally:
        call.spoed(since=None)


async def _ring_until_answered(
    call: Call,
    cfg: PracticeConfig,
    headsets: list[Target],
    overflow: Target,
    rounds: _FailedRounds,
    give_up: float,
    traced: _SpoedTrace,
) -> None:
    spoed = cfg.spoed
    first = True
    while now() < give_up:
        rounds.start()
        to_headsets = await ring_and_bridge(
            call,
            RingPlan(
                targets=headsets,
                ordered=spoed.strategy == "ordered",
                ring_seconds=spoed.ring_seconds,
                total_seconds=spoed.overflow_after,
                prompt=spoed.prompt if first else None,
                on_answer=traced.answered_by,
            ),
        )
        first = False
        if to_headsets is RingResult.BRIDGED:
            return
        log.warning(ev.SPOED_OVERFLOW, after_seconds=spoed.overflow_after)
        traced.overflowed()
        plan = RingPlan(targets=[overflow], total_seconds=OVERFLOW_RING_SECONDS, on_answer=traced.answered_by)
        if await ring_and_bridge(call, plan) is RingResult.BRIDGED:
            return
        await rounds.end()
    log.error(ev.SPOED_NOBODY, seconds=SPOED_GIVE_UP_SECONDS)
    traced.given_up(SpoedEnd.NOBODY_ANSWERED)
    await call.play([sounds.NIEMAND_BEREIKBAAR], interrupt=())
    await call.hangup()


async def run_huisartsenpost(
    call: Call, cfg: PracticeConfig, *, outbound_template: str, trace: CallTrace
) -> None:
    """Outside opening hours spoed goes to the huisartsenpost (HAP) instead of the headsets."""
    target = outside_target(outbound_template, cfg.outside_hours.huisartsenpost, "huisartsenpost")
    log.info(ev.HUISARTSENPOST)
    traced = _SpoedTrace(trace, call, "huisartsenpost", 0)
    await traced.watch(_ring_huisartsenpost(call, target, cfg.outside_hours.spoed_prompt, traced))


async def _ring_huisartsenpost(call: Call, target: Target, prompt: str | None, traced: _SpoedTrace) -> None:
    give_up = deadline(SPOED_GIVE_UP_SECONDS)
    rounds = _FailedRounds(call, "huisartsenpost")
    while now() < give_up:
        rounds.start()
        plan = RingPlan(
            targets=[target], total_seconds=OVERFLOW_RING_SECONDS, prompt=prompt, on_answer=traced.answered_by
        )
        prompt = None
        if await ring_and_bridge(call, plan) is RingResult.BRIDGED:
            return
        await rounds.end()
    traced.given_up(SpoedEnd.NOBODY_ANSWERED)
    await call.play([sounds.NIEMAND_BEREIKBAAR], interrupt=())
    await call.hangup()
