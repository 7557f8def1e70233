"""Spoed: a person on the line as fast as possible, whatever else is going on.

The norm (LHV) is a medically competent person within 30 seconds. The headsets are rung at once, without
a queue, and after `overflow_after` seconds the overflow number (often the huisartsenpost) is rung instead.
The loop keeps alternating until somebody answers or the patient hangs up; it never ends in silence.
"""

from __future__ import annotations

import time

import structlog

from dialplan.schema import PracticeConfig
from ivr.call import Call
from ivr.connect import RingPlan, RingResult, Target, ring_and_bridge

log = structlog.get_logger(__name__)

# After this long without anyone answering, the patient is told to call 112 rather than wait on.
SPOED_GIVE_UP_SECONDS = 300.0
OVERFLOW_RING_SECONDS = 45


def headset_targets(names: list[str]) -> list[Target]:
    return [Target(endpoint=f"PJSIP/{name}", label=name) for name in names]


def outside_target(template: str, number: str, label: str) -> Target:
    return Target(endpoint=template.format(number=number), label=label)


async def run_spoed(call: Call, cfg: PracticeConfig, *, outbound_template: str) -> None:
    """Ring the headsets (then the overflow number, in turns) until the patient is bridged or hangs up."""
    spoed = cfg.spoed
    headsets = headset_targets(list(spoed.headsets or cfg.headsets))
    overflow = outside_target(outbound_template, spoed.overflow_number, "spoed_overflow")
    give_up = time.monotonic() + SPOED_GIVE_UP_SECONDS
    log.info("spoed_started", headsets=len(headsets), strategy=spoed.strategy)
    first = True
    while time.monotonic() < give_up:
        result = await ring_and_bridge(
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
        if result is RingResult.BRIDGED:
            return
        log.warning("spoed_overflow", after_seconds=spoed.overflow_after)
        result = await ring_and_bridge(
            call, RingPlan(targets=[overflow], total_seconds=OVERFLOW_RING_SECONDS)
        )
        if result is RingResult.BRIDGED:
            return
    log.error("spoed_nobody_answered", seconds=SPOED_GIVE_UP_SECONDS)
    await call.play(["niemand_bereikbaar"], interrupt=())
    await call.hangup()


async def run_huisartsenpost(call: Call, cfg: PracticeConfig, *, outbound_template: str) -> None:
    """Outside opening hours spoed goes to the huisartsenpost (HAP) instead of the headsets."""
    target = outside_target(outbound_template, cfg.outside_hours.huisartsenpost, "huisartsenpost")
    log.info("spoed_to_huisartsenpost")
    give_up = time.monotonic() + SPOED_GIVE_UP_SECONDS
    prompt: str | None = cfg.outside_hours.spoed_prompt
    while time.monotonic() < give_up:
        result = await ring_and_bridge(
            call, RingPlan(targets=[target], total_seconds=OVERFLOW_RING_SECONDS, prompt=prompt)
        )
        prompt = None
        if result is RingResult.BRIDGED:
            return
    await call.play(["niemand_bereikbaar"], interrupt=())
    await call.hangup()
