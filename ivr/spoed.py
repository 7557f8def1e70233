"""Spoed: a person on the line as fast as possible, whatever else is going on.

The norm (LHV, docs/domain-facts.md) is a medically competent person within 30 seconds. The headsets are
rung at once, without a queue, and after `overflow_after` seconds the overflow number (often the
huisartsenpost) is rung instead. The loop alternates until somebody answers or the patient hangs up.
When nothing can be rung at all (headsets unregistered and the overflow refused), it backs off while still
listening for the hang-up, and after a few such rounds hands the call to the dialplan's fallback, which
rings every headset and the overflow with Asterisk's own Dial.
"""

from __future__ import annotations

import datetime as dt

import structlog

from dialplan.schema import PracticeConfig
from ivr import log_events as ev
from ivr import sounds
from ivr.connect.ring import RingPlan, RingResult, Target, ring_and_bridge
from ivr.core.call import Call, quietly
from ivr.core.fallback import SendToFallback
from ivr.timing import deadline, now

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


async def run_spoed(call: Call, cfg: PracticeConfig, *, outbound_template: str) -> None:
    """Ring the headsets (then the overflow number, in turns) until the patient is bridged or hangs up."""
    spoed = cfg.spoed
    headsets = headset_targets(list(spoed.headsets or cfg.headsets))
    overflow = outside_target(outbound_template, spoed.overflow_number, "spoed_overflow")
    give_up = deadline(SPOED_GIVE_UP_SECONDS)
    rounds = _FailedRounds(call, "spoed")
    log.info(ev.SPOED_STARTED, headsets=len(headsets), strategy=spoed.strategy)
    call.spoed(since=dt.datetime.now(dt.UTC))
    try:
        await _ring_until_answered(call, cfg, headsets, overflow, rounds, give_up)
    finally:
        call.spoed(since=None)


async def _ring_until_answered(
    call: Call,
    cfg: PracticeConfig,
    headsets: list[Target],
    overflow: Target,
    rounds: _FailedRounds,
    give_up: float,
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
            ),
        )
        first = False
        if to_headsets is RingResult.BRIDGED:
            return
        log.warning(ev.SPOED_OVERFLOW, after_seconds=spoed.overflow_after)
        plan = RingPlan(targets=[overflow], total_seconds=OVERFLOW_RING_SECONDS)
        if await ring_and_bridge(call, plan) is RingResult.BRIDGED:
            return
        await rounds.end()
    log.error(ev.SPOED_NOBODY, seconds=SPOED_GIVE_UP_SECONDS)
    await call.play([sounds.NIEMAND_BEREIKBAAR], interrupt=())
    await call.hangup()


async def run_huisartsenpost(call: Call, cfg: PracticeConfig, *, outbound_template: str) -> None:
    """Outside opening hours spoed goes to the huisartsenpost (HAP) instead of the headsets."""
    target = outside_target(outbound_template, cfg.outside_hours.huisartsenpost, "huisartsenpost")
    log.info(ev.HUISARTSENPOST)
    give_up = deadline(SPOED_GIVE_UP_SECONDS)
    rounds = _FailedRounds(call, "huisartsenpost")
    prompt: str | None = cfg.outside_hours.spoed_prompt
    while now() < give_up:
        rounds.start()
        result = await ring_and_bridge(
            call, RingPlan(targets=[target], total_seconds=OVERFLOW_RING_SECONDS, prompt=prompt)
        )
        prompt = None
        if result is RingResult.BRIDGED:
            return
        await rounds.end()
    await call.play([sounds.NIEMAND_BEREIKBAAR], interrupt=())
    await call.hangup()
