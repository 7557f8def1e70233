"""The callbacks of one generated request, headset first, filed under the call that asked for them.

Traced like ivr/callback/dialout.py: every attempt_* event carries request_id, attempt_id and headset;
the assistant's headset rings first (attempt_started), she answers and the patient is dialled
(attempt_dialled), the patient answers or not (attempt_answered), and the attempt ends with its outcome;
an end that closes the request adds request_ended. An attempt whose assistant did not answer is no call
to the patient: the next one keeps the same attempt_no. A few slot bookings are deleted on the screen
before their time instead (manual_deleted): never called.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from reports.history_kit import CallLog, Sim, iso, later, seconds_between
from storage.call_events import EventKind
from storage.status import AttemptOutcome, RequestKind, RequestStatus

WHISPER_SECONDS = (4.0, 12.0)  # the assistant answers and hears who is called, then the patient is dialled
PATIENT_RING_SECONDS = 30.0  # then a call to the patient counts as not reached
NEXT_HEADSET_SECONDS = 60.0  # after an assistant did not answer, the next headset is tried this much later


@dataclass(frozen=True)
class Request:
    """A callback request a call made: a booked slot, or the place kept in the queue."""

    request_id: int
    kind: RequestKind
    asked_at: dt.datetime  # booked, or the queue left
    due_at: dt.datetime
    slot_start: dt.datetime | None = None
    slot_end: dt.datetime | None = None


def call_back(sim: Sim, log: CallLog, request: Request) -> None:
    """Every attempt of `request` until the patient is reached or the attempts run out (or it is deleted)."""
    profile, tally = sim.profile, sim.tally
    if request.kind == RequestKind.SLOT and sim.chance(profile.cancelled_share):
        _delete(sim, log, request)
        return
    at = _first_attempt(sim, request)
    due = request.due_at
    calls = 0  # calls to the patient so far (attempts the assistant answered)
    while True:
        attempt = _Attempt.draw(sim, calls)
        headset, start = sim.desk.earliest(profile.staffed(sim.local(at)), at, attempt.duration)
        ids = {"request_id": request.request_id, "attempt_id": next(sim.attempt_ids), "headset": headset}
        log.add(
            EventKind.ATTEMPT_STARTED,
            start,
            **ids,
            attempt_no=calls + 1,
            request_kind=str(request.kind),
            due_at=iso(due),
            slot_start=iso(request.slot_start),
            slot_end=iso(request.slot_end),
        )
        if attempt.outcome == AttemptOutcome.ASSISTANT_NO_ANSWER:
            ended = later(start, profile.headset_ring_seconds)
            seconds = seconds_between(start, ended)
            log.add(EventKind.ATTEMPT_ENDED, ended, **ids, outcome=str(attempt.outcome), seconds=seconds)
            at = later(ended, NEXT_HEADSET_SECONDS)
            continue
        sim.desk.take(headset, start, later(start, attempt.duration))
        calls += 1
        dialled = later(start, attempt.whisper)
        log.add(EventKind.ATTEMPT_DIALLED, dialled, **ids, seconds=seconds_between(start, dialled))
        if calls == 1 and request.slot_start is not None:
            _punctuality(sim, (dialled - request.slot_start).total_seconds() / 60.0)
        if attempt.outcome == AttemptOutcome.REACHED:
            answered = later(dialled, attempt.ring)
            log.add(
                EventKind.ATTEMPT_ANSWERED, answered, **ids, ring_seconds=seconds_between(dialled, answered)
            )
            ended = later(answered, attempt.talk)
            talk = seconds_between(answered, ended)
            log.add(
                EventKind.ATTEMPT_ENDED,
                ended,
                **ids,
                outcome=str(attempt.outcome),
                seconds=seconds_between(start, ended),
                talk_seconds=talk,
            )
            log.add(
                EventKind.REQUEST_ENDED,
                later(ended, 0.05),
                **ids,
                status=str(RequestStatus.DONE),
                attempts=calls,
            )
            tally.handled(headset, talk)
            tally.reached(calls)
            return
        ended = later(dialled, attempt.ring)
        log.add(
            EventKind.ATTEMPT_ENDED,
            ended,
            **ids,
            outcome=str(attempt.outcome),
            seconds=seconds_between(start, ended),
        )
        if calls >= profile.max_attempts:
            log.add(
                EventKind.REQUEST_ENDED,
                later(ended, 0.05),
                **ids,
                status=str(RequestStatus.NOT_REACHED),
                attempts=calls,
            )
            tally.not_reached += 1
            return
        due = later(ended, profile.retry_after)
        at = later(due, sim.between(0, 120))


@dataclass(frozen=True)
class _Attempt:
    """How one attempt will go, drawn before a headset is chosen (its length decides which is free)."""

    outcome: AttemptOutcome
    whisper: float = 0.0
    ring: float = 0.0  # the patient's phone rang this long: until answered, or until the attempt gave up
    talk: float = 0.0

    @property
    def duration(self) -> float:
        return self.whisper + self.ring + self.talk

    @classmethod
    def draw(cls, sim: Sim, calls: int) -> _Attempt:
        profile = sim.profile
        if sim.chance(profile.assistant_no_answer_share):
            return cls(AttemptOutcome.ASSISTANT_NO_ANSWER, ring=profile.headset_ring_seconds)
        whisper = sim.between(*WHISPER_SECONDS)
        if sim.chance(profile.reach_shares[calls]):
            talk = sim.talk(profile.mean_callback_talk)
            return cls(AttemptOutcome.REACHED, whisper, sim.between(4, 20), talk)
        miss = AttemptOutcome(sim.pick(profile.misses))
        ring = {AttemptOutcome.BUSY: sim.between(1, 3), AttemptOutcome.VOICEMAIL: sim.between(15, 25)}
        return cls(miss, whisper, ring.get(miss, PATIENT_RING_SECONDS))


def _first_attempt(sim: Sim, request: Request) -> dt.datetime:
    """When the first attempt starts: around the promised time, or a while after a kept place was left."""
    profile = sim.profile
    if request.slot_start is None:
        return later(request.asked_at, sim.between(8 * 60, 35 * 60))
    roll = sim.rng.random()
    if roll < profile.early_share:
        minutes = -sim.between(1.2, 4.8)
    elif roll < profile.early_share + profile.late_share:
        minutes = sim.between(16, 50)
    else:
        minutes = sim.between(0.3, 14.5)
    # The patient's phone rings a whisper after the headset: aim the headset that much earlier.
    return later(request.slot_start, minutes * 60.0 - sum(WHISPER_SECONDS) / 2)


def _punctuality(sim: Sim, deviation_minutes: float) -> None:
    tally = sim.tally
    if deviation_minutes < 0.0:
        tally.early += 1
    elif deviation_minutes > 15.0:
        tally.late += 1
    else:
        tally.on_time += 1


def _delete(sim: Sim, log: CallLog, request: Request) -> None:
    """An assistant deletes the booking on the screen before its time: the patient is never called."""
    assert request.slot_start is not None
    room = (request.slot_start - request.asked_at).total_seconds()
    at = later(request.asked_at, sim.between(min(120.0, room / 2), room - 60.0))
    log.add(EventKind.MANUAL_DELETED, at, request_id=request.request_id, by=sim.profile.screen_user)
    sim.tally.not_called += 1
