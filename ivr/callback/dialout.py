"""A callback, headset first: the assistant answers and hears who is called, then the patient is dialled.

The patient is only dialled once an assistant is on the line, so no patient ever answers into silence.
Every attempt is claimed in the database before the headset rings (one number is never called twice at
once) and finished with its outcome whatever ends it: the conversation, a graceful stop, an unexpected
error. A patient who answered is never called again for this request (storage.attempts enforces it too).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog

from dialplan.schema import PracticeConfig
from ivr import log_events as ev
from ivr import sounds
from ivr.ari import AriError, AriUnavailable
from ivr.ari.port import Ari
from ivr.callback.store import CallbackStore
from ivr.callback.whisper import whisper
from ivr.connect.bridge import bridge_id_for, end_conversation
from ivr.connect.originate import originate_leg
from ivr.core.call import Call, CallGone, quietly
from ivr.core.media import Media
from ivr.core.registry import CallRegistry
from ivr.core.router import Router
from ivr.db.door import StoreUnavailable
from ivr.timing import deadline
from ivr.trace import CallTrace
from storage.call_events import EventKind, trace_call_id
from storage.models import CallbackAttempt, CallbackRequest
from storage.status import FINAL_STATUSES, AttemptOutcome

log = structlog.get_logger(__name__)

BUSY_CAUSES = frozenset({17})  # Q.850 user busy
# Finishing an attempt is retried this often in the background before the periodic sweep takes over.
FINISH_RETRIES_SECONDS = (1.0, 5.0, 30.0)


@dataclass(frozen=True)
class DialOutContext:
    ari: Ari
    router: Router
    store: CallbackStore
    config: Callable[[], PracticeConfig]
    app: str
    media: Media
    outbound_template: str
    clock: Callable[[], dt.datetime]
    calls: CallRegistry
    trace: CallTrace
    # Attempt ids a running task owns; the sweep closes only open attempts that nobody owns.
    owned: set[int] = field(default_factory=set)


@dataclass
class _Progress:
    """How far the attempt got, and its steps in the call trace (filed under the request's call)."""

    trace: CallTrace
    request: CallbackRequest
    attempt: CallbackAttempt
    headset: str
    dialled: bool = False
    answered: bool = False
    started_at: dt.datetime | None = None
    dialled_at: dt.datetime | None = None
    answered_at: dt.datetime | None = None

    def record(self, kind: EventKind, **detail: object) -> dt.datetime:
        request = self.request
        return self.trace.record(
            trace_call_id(request.call_id, request.id),
            kind,
            request_id=request.id,
            attempt_id=self.attempt.id,
            headset=self.headset,
            **detail,
        )

    def started(self) -> None:
        request = self.request
        self.started_at = self.record(
            EventKind.ATTEMPT_STARTED,
            attempt_no=self.attempt.attempt_no,
            request_kind=request.kind,
            due_at=request.due_at,
            slot_start=request.slot_start,
            slot_end=request.slot_end,
        )

    def patient_dialled(self) -> None:
        self.dialled = True
        self.dialled_at = self.record(EventKind.ATTEMPT_DIALLED, seconds=self._since(self.started_at))

    def patient_answered(self) -> None:
        self.answered = True
        self.answered_at = self.record(EventKind.ATTEMPT_ANSWERED, ring_seconds=self._since(self.dialled_at))

    def ended(self, outcome: str) -> None:
        talk = {} if self.answered_at is None else {"talk_seconds": self._since(self.answered_at)}
        self.record(EventKind.ATTEMPT_ENDED, outcome=outcome, seconds=self._since(self.started_at), **talk)

    def request_ended(self, status: str, attempts: int) -> None:
        self.record(EventKind.REQUEST_ENDED, status=status, attempts=attempts)

    def _since(self, moment: dt.datetime | None) -> float | None:
        return None if moment is None else self.trace.seconds_since(moment)

    def outcome_if_cut_off(self) -> AttemptOutcome:
        """The outcome of an attempt ended by a stop or an error, by how far it got."""
        if self.answered:
            return AttemptOutcome.REACHED  # the conversation happened: never again
        if self.dialled:
            return AttemptOutcome.NOT_REACHED  # a try of the protocol, retried after the usual pause
        return AttemptOutcome.INTERRUPTED  # the patient's phone never rang: back in its place


async def dial_out(ctx: DialOutContext, headset: str, request: CallbackRequest) -> bool:
    """Make one attempt of `request` through `headset`; returns whether the assistant answered."""
    cfg = ctx.config()
    try:
        attempt = await ctx.store.claim(request.id, headset=headset, now=ctx.clock())
    except StoreUnavailable:
        return True  # nothing rang; do not pause the headset for it
    if attempt is None:
        return True
    ctx.owned.add(attempt.id)
    channel = {"id": f"cb{request.id}-{attempt.id}-{headset}"}
    # The headset's channel enters the app only when she answers: reconcile may have to replay that.
    leg = Call(ctx.ari, ctx.router, channel, app=ctx.app, media=ctx.media, entered=False, patient=False)
    ctx.calls.add(leg)
    progress = _Progress(ctx.trace, request, attempt, headset)
    log.info(ev.DIALOUT_START, request_id=request.id, attempt=attempt.attempt_no, headset=headset)
    progress.started()
    outcome = AttemptOutcome.INTERRUPTED
    try:
        outcome = await _attempt(ctx, cfg, leg, headset, request, attempt.id, progress)
        return outcome != AttemptOutcome.ASSISTANT_NO_ANSWER
    except asyncio.CancelledError:
        outcome = progress.outcome_if_cut_off()
        raise
    except Exception:
        log.exception(ev.DIALOUT_FAILED, request_id=request.id)
        outcome = AttemptOutcome.REACHED if progress.answered else AttemptOutcome.FAILED
        return True
    finally:
        progress.ended(outcome)
        kept = leg.detached and leg.conversation is not None
        await leg.release_all()
        if not kept:
            await leg.hangup()
        ctx.calls.remove(leg)
        # A stopping controller tries once; the next one's recovery closes what is still open.
        done = await _finish(ctx, cfg, request.id, attempt.id, outcome, retry=not leg.detached)
        if done is not None and done.status in FINAL_STATUSES:
            progress.request_ended(done.status, done.attempts)


async def _finish(
    ctx: DialOutContext, cfg: PracticeConfig, request_id: int, attempt_id: int, outcome: str, *, retry: bool
) -> CallbackRequest | None:
    """Store the attempt's end; on a database failure try again a few times, then leave it to the sweep
    (the attempt stays owned meanwhile, so the sweep does not close it under our feet)."""
    dialing = cfg.callbacks
    for pause in (0.0, *(FINISH_RETRIES_SECONDS if retry else ())):
        if pause:
            await asyncio.sleep(pause)
        try:
            done = await ctx.store.finish(
                attempt_id,
                outcome,
                now=ctx.clock(),
                retry_after=dt.timedelta(seconds=dialing.retry_after_seconds),
                max_attempts=dialing.max_attempts,
            )
        except (StoreUnavailable, LookupError) as exc:
            log.error(ev.ATTEMPT_NOT_STORED, request_id=request_id, error=str(exc), retry_in=pause)
            continue
        ctx.owned.discard(attempt_id)
        log.info(
            ev.DIALOUT_DONE,
            request_id=request_id,
            outcome=outcome,
            status=done.status,
            attempts=done.attempts,
            note=done.outcome_note,
        )
        return done
    ctx.owned.discard(attempt_id)
    return None


async def _attempt(
    ctx: DialOutContext,
    cfg: PracticeConfig,
    leg: Call,
    headset: str,
    request: CallbackRequest,
    attempt_id: int,
    progress: _Progress,
) -> AttemptOutcome:
    dialing = cfg.callbacks
    try:
        await originate_leg(
            ctx.ari,
            endpoint=f"PJSIP/{headset}",
            channel_id=leg.channel_id,
            app=ctx.app,
            app_args=["dialout", str(request.id)],
            # What the headset's display shows: who is going to be called (a checked, stored number).
            caller_id=f'"Terugbellen" <{request.phone}>',
            ring_seconds=dialing.headset_ring_seconds,
        )
    except (AriError, AriUnavailable) as exc:
        log.info("callback_headset_refused", headset=headset, error=str(exc))
        return AttemptOutcome.ASSISTANT_NO_ANSWER
    if not await _answered(leg, leg.channel_id, dialing.headset_ring_seconds + 5):
        log.info("callback_headset_no_answer", headset=headset)
        return AttemptOutcome.ASSISTANT_NO_ANSWER
    try:
        await leg.play(whisper(request, cfg, ctx.clock()), interrupt=())
        return await _call_patient(ctx, cfg, leg, request, attempt_id, progress)
    except CallGone:
        if progress.answered:
            return AttemptOutcome.REACHED  # the assistant hung up after talking: how a call ends
        # The assistant hung up before the patient answered: this try does not count against the patient.
        log.info("callback_assistant_left", request_id=request.id)
        return AttemptOutcome.INTERRUPTED


async def _call_patient(
    ctx: DialOutContext,
    cfg: PracticeConfig,
    leg: Call,
    request: CallbackRequest,
    attempt_id: int,
    progress: _Progress,
) -> str:
    dialing = cfg.callbacks
    patient = leg.new_leg_id()
    await ctx.store.patient_dialled(attempt_id, patient, leg.channel_id)
    try:
        await originate_leg(
            ctx.ari,
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
        return AttemptOutcome.NOT_REACHED
    progress.patient_dialled()
    await quietly(ctx.ari.ring(leg.channel_id))
    until = deadline(dialing.patient_ring_seconds + 5)
    while True:
        event = await leg.next_event(until)
        if event is None:
            await quietly(ctx.ari.hangup(patient))
            await _not_reached(leg)
            return AttemptOutcome.NOT_REACHED
        kind, channel = event["type"], (event.get("channel") or {}).get("id")
        if kind == "StasisStart" and channel == patient:
            break
        if kind == "ChannelDestroyed" and channel == patient:
            busy = event.get("cause") in BUSY_CAUSES
            outcome = AttemptOutcome.BUSY if busy else AttemptOutcome.NOT_REACHED
            await _not_reached(leg)
            return outcome
    progress.patient_answered()
    try:
        await ctx.store.patient_answered(attempt_id, ctx.clock())
    except StoreUnavailable as exc:
        # The conversation goes ahead; the outcome stored at the end says reached all the same.
        log.error("callback_answer_not_stored", request_id=request.id, error=str(exc))
    await quietly(ctx.ari.ring_stop(leg.channel_id))
    log.info(ev.PATIENT_ANSWERED, request_id=request.id)
    return await _conversation(leg, patient, dialing.done_key, dialing.not_reached_key)


async def _conversation(leg: Call, patient: str, done_key: str, not_reached_key: str) -> str:
    """Bridge assistant and patient; the assistant's key marks the outcome (voicemail: not reached)."""
    bridge_id = bridge_id_for(leg, "cb")
    await leg.ari.create_bridge(bridge_id)
    joined = False
    try:
        await leg.ari.add_to_bridge(bridge_id, [leg.channel_id, patient])
        joined = True
        leg.talking(bridge_id, patient)
        while True:
            try:
                event: dict[str, Any] | None = await leg.next_event(None)
            except CallGone:
                return AttemptOutcome.REACHED  # the assistant hung up: the conversation is over
            assert event is not None
            kind, channel = event["type"], (event.get("channel") or {}).get("id")
            if kind in ("ChannelDestroyed", "StasisEnd") and channel == patient:
                return "reached"
            if kind == "ChannelDtmfReceived" and channel == leg.channel_id:
                key = str(event.get("digit", ""))
                if key == not_reached_key:
                    log.info("callback_marked_not_reached")
                    return AttemptOutcome.VOICEMAIL
                if key == done_key:
                    log.info("callback_marked_done")
                    return AttemptOutcome.REACHED
    finally:
        await end_conversation(leg, bridge_id, patient, joined=joined)


async def _not_reached(leg: Call) -> None:
    await quietly(leg.ari.ring_stop(leg.channel_id))
    try:
        await leg.play([sounds.FLUISTER_NIET_BEREIKT], interrupt=())
    except CallGone:
        pass


async def _answered(leg: Call, channel_id: str, seconds: float) -> bool:
    """Wait for the headset leg to enter the app (answered) or to end (not answered, refused)."""
    until = deadline(seconds)
    while True:
        try:
            event = await leg.next_event(until)
        except CallGone:
            return False
        if event is None:
            return False
        if event["type"] == "StasisStart" and (event.get("channel") or {}).get("id") == channel_id:
            return True
