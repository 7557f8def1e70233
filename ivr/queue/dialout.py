"""A callback, headset first: the assistant answers and hears who is called, then the patient is dialled.

The patient is only dialled once an assistant is on the line, so no patient ever answers into
silence. Every attempt is claimed in the database before the headset rings (one number is never
called twice at once) and finished with its outcome (attempts protocol in storage.attempts).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog

from dialplan.schema import PracticeConfig
from ivr.ari import AriClient, AriError, AriUnavailable
from ivr.call import Call, CallGone, quietly
from ivr.practice_db import DeskUnavailable
from ivr.queue.store import QueueStore
from ivr.router import Router
from prompts.spoken import say_moment, say_number
from storage.models import CallbackRequest

log = structlog.get_logger(__name__)

BUSY_CAUSES = frozenset({17})  # Q.850 user busy


@dataclass(frozen=True)
class DialOutContext:
    ari: AriClient
    router: Router
    store: QueueStore
    config: Callable[[], PracticeConfig]
    app: str
    media: Callable[[str], str]
    outbound_template: str
    clock: Callable[[], dt.datetime]


async def dial_out(ctx: DialOutContext, headset: str, request: CallbackRequest) -> bool:
    """Make one attempt of `request` through `headset`; returns whether the assistant answered."""
    cfg = ctx.config()
    dialing = cfg.callbacks
    try:
        attempt = await ctx.store.claim(request.id, headset=headset, now=ctx.clock())
    except DeskUnavailable:
        return True  # nothing rang; do not pause the headset for it
    if attempt is None:
        return True
    leg = Call(
        ctx.ari, ctx.router, {"id": f"cb{request.id}-{attempt.id}-{headset}"}, app=ctx.app, media=ctx.media
    )
    log.info("callback_dialout_start", request_id=request.id, attempt=attempt.attempt_no, headset=headset)
    outcome = "interrupted"
    try:
        outcome = await _attempt(ctx, cfg, leg, headset, request, attempt.id)
        return outcome != "assistant_no_answer"
    finally:
        await leg.release_all()
        await leg.hangup()
        try:
            done = await ctx.store.finish(
                attempt.id,
                outcome,
                now=ctx.clock(),
                retry_after=dt.timedelta(seconds=dialing.retry_after_seconds),
                max_attempts=dialing.max_attempts,
            )
            log.info(
                "callback_dialout_done",
                request_id=request.id,
                outcome=outcome,
                status=done.status,
                attempts=done.attempts,
                note=done.outcome_note,
            )
        except (DeskUnavailable, LookupError) as exc:
            # The attempt stays open; the next controller start finishes it (recover_in_progress).
            log.error("callback_attempt_not_stored", request_id=request.id, error=str(exc))


async def _attempt(
    ctx: DialOutContext,
    cfg: PracticeConfig,
    leg: Call,
    headset: str,
    request: CallbackRequest,
    attempt_id: int,
) -> str:
    dialing = cfg.callbacks
    try:
        await ctx.ari.originate(
            endpoint=f"PJSIP/{headset}",
            channel_id=leg.channel_id,
            app=ctx.app,
            app_args=["dialout", str(request.id)],
            # What the headset's display shows: who is going to be called.
            caller_id=f'"Terugbellen" <{request.phone}>',
            ring_seconds=dialing.headset_ring_seconds,
        )
    except (AriError, AriUnavailable) as exc:
        log.info("callback_headset_refused", headset=headset, error=str(exc))
        return "assistant_no_answer"
    if not await _answered(leg, leg.channel_id, dialing.headset_ring_seconds + 5):
        log.info("callback_headset_no_answer", headset=headset)
        return "assistant_no_answer"
    try:
        await leg.play(_whisper(request, cfg, ctx.clock()), interrupt=())
        return await _call_patient(ctx, cfg, leg, request, attempt_id)
    except CallGone:
        # The assistant hung up before the patient answered: this try does not count against the patient.
        log.info("callback_assistant_left", request_id=request.id)
        return "interrupted"


def _whisper(request: CallbackRequest, cfg: PracticeConfig, now: dt.datetime) -> list[str]:
    """What the assistant hears before the patient is dialled: number, time or kept place, the question."""
    prompts = ["fluister_terugbelverzoek", *say_number(request.phone)]
    if request.kind == "slot" and request.slot_start is not None:
        prompts += ["fluister_gepland", *say_moment(request.slot_start.astimezone(cfg.tz), now)]
    else:
        prompts.append("fluister_wachtrij")
    if request.voice_note_ref:
        prompts += ["fluister_vraag", f"recording:{request.voice_note_ref}"]
    prompts.append("fluister_bellen")
    return prompts


async def _call_patient(
    ctx: DialOutContext, cfg: PracticeConfig, leg: Call, request: CallbackRequest, attempt_id: int
) -> str:
    dialing = cfg.callbacks
    patient = leg.new_leg_id()
    await ctx.store.patient_dialled(attempt_id, patient, leg.channel_id)
    try:
        await ctx.ari.originate(
            endpoint=ctx.outbound_template.format(number=request.phone),
            channel_id=patient,
            app=ctx.app,
            app_args=["leg", leg.call_id],
            caller_id=f'"{cfg.practice.name}" <{cfg.practice.number}>',
            ring_seconds=dialing.patient_ring_seconds,
        )
    except (AriError, AriUnavailable) as exc:
        log.warning("callback_patient_refused", error=str(exc))
        await _not_reached(leg)
        return "not_reached"
    await quietly(ctx.ari.ring(leg.channel_id))
    deadline = time.monotonic() + dialing.patient_ring_seconds + 5
    answered = False
    while not answered:
        event = await leg.next_event(deadline)
        if event is None:
            await quietly(ctx.ari.hangup(patient))
            await _not_reached(leg)
            return "not_reached"
        kind, channel = event["type"], (event.get("channel") or {}).get("id")
        if kind == "StasisStart" and channel == patient:
            answered = True
        elif kind == "ChannelDestroyed" and channel == patient:
            outcome = "busy" if event.get("cause") in BUSY_CAUSES else "not_reached"
            await _not_reached(leg)
            return outcome
    await ctx.store.patient_answered(attempt_id, ctx.clock())
    await quietly(ctx.ari.ring_stop(leg.channel_id))
    log.info("callback_patient_answered", request_id=request.id)
    return await _conversation(leg, patient, dialing.done_key, dialing.not_reached_key)


async def _conversation(leg: Call, patient: str, done_key: str, not_reached_key: str) -> str:
    """Bridge assistant and patient; the assistant's key marks the outcome (voicemail: not reached)."""
    bridge_id = f"{leg.call_id}-br-cb"
    await leg.ari.create_bridge(bridge_id)
    outcome = "reached"
    try:
        await leg.ari.add_to_bridge(bridge_id, [leg.channel_id, patient])
        while True:
            try:
                event = await leg.next_event(None)
            except CallGone:
                return outcome  # the assistant hung up: the conversation is over
            kind, channel = event["type"], (event.get("channel") or {}).get("id")  # type: ignore[index]
            if kind in ("ChannelDestroyed", "StasisEnd") and channel == patient:
                return outcome
            if kind == "ChannelDtmfReceived" and channel == leg.channel_id:
                key = str(event.get("digit", ""))  # type: ignore[union-attr]
                if key == not_reached_key:
                    log.info("callback_marked_not_reached")
                    return "voicemail"
                if key == done_key:
                    log.info("callback_marked_done")
                    return "reached"
    finally:
        await quietly(leg.ari.hangup(patient))
        leg.forget_leg(patient)
        await quietly(leg.ari.destroy_bridge(bridge_id))


async def _not_reached(leg: Call) -> None:
    await quietly(leg.ari.ring_stop(leg.channel_id))
    try:
        await leg.play(["fluister_niet_bereikt"], interrupt=())
    except CallGone:
        pass


async def _answered(leg: Call, channel_id: str, seconds: float) -> bool:
    """Wait for the headset leg to enter the app (answered) or to end (not answered, refused)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            event: dict[str, Any] | None = await leg.next_event(deadline)
        except CallGone:
            return False
        if event is None:
            return False
        if event["type"] == "StasisStart" and (event.get("channel") or {}).get("id") == channel_id:
            return True
