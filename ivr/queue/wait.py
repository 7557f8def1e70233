"""A caller waiting on the line: holding bridge, position and expected wait, keep the place, or be connected.

The queue entry is stored before the caller hears anything, with the arrival time that orders them, so
the order survives a controller restart. An expected wait, once said, is never raised (the database
keeps the lowest one announced).
"""

from __future__ import annotations

import asyncio
import enum
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import structlog

from common.phone import callback_number
from dialplan.schema import QueueAction
from ivr import log_events as ev
from ivr import sounds
from ivr.connect.ring import RingPlan, RingResult, Target, ring_and_bridge
from ivr.core.call import Call, CallGone
from ivr.db.door import StoreUnavailable
from ivr.number_entry import NumberKeys, SpoedRequested, ask_number
from ivr.queue import holding
from ivr.queue.dispatcher import Dispatcher
from ivr.queue.store import QueueStore
from ivr.queue.ticket import Ticket
from ivr.timing import deadline, now
from ivr.trace import CallTrace
from prompts.spoken import count_prompt
from storage.call_events import EventKind, QueueExit
from storage.status import WAITING_STATUSES, NumberSource, QueueStatus

log = structlog.get_logger(__name__)

# Joining the bridge can replay the end of the key that chose this option (RFC 4733 end packets are
# sent three times); with the keep-place key often the same digit (5), it must not count.
KEY_ECHO_SECONDS = 1.5


class WaitOutcome(enum.StrEnum):
    SERVED = "served"
    KEPT = "kept"
    SPOED = "spoed"
    GAVE_UP = "gave_up"  # waited max_wait_seconds
    HUNG_UP = "hung_up"  # the caller left the line (or the dialplan's deadline took the call)
    UNAVAILABLE = "unavailable"  # no database: ring the headsets directly instead


@dataclass(frozen=True)
class Queue:
    """What a waiting call needs: the dispatcher, the store, the practice's clock and the call trace."""

    dispatcher: Dispatcher
    store: QueueStore
    clock: Callable[[], datetime]
    trace: CallTrace

    def left(
        self, call: Call, entry_id: int, arrived_at: datetime, outcome: QueueExit, **detail: object
    ) -> None:
        """The caller left the line: the wait counts from the stored arrival (also after a restart)."""
        waited = self.trace.seconds_since(arrived_at)
        self.trace.record(
            call.call_id,
            EventKind.QUEUE_LEFT,
            entry_id=entry_id,
            outcome=outcome,
            waited_seconds=waited,
            **detail,
        )


# How each way out of the wait is traced; SERVED and KEPT are traced where they happen.
_EXITS = {
    WaitOutcome.SPOED: QueueExit.SPOED,
    WaitOutcome.GAVE_UP: QueueExit.MAX_WAIT,
    WaitOutcome.HUNG_UP: QueueExit.ABANDONED,
}


@dataclass(frozen=True)
class _Assigned:
    headset: str


@dataclass
class _Answered:
    """Set once an assistant is on the line: a hang-up after that ends a conversation, not a wait."""

    headset: str | None = None


async def join_and_wait(call: Call, queue: Queue, action: QueueAction, *, spoed_key: str) -> WaitOutcome:
    """Store the caller's place, then wait for an assistant; see WaitOutcome."""
    try:
        entry = await queue.store.join(
            call_id=call.call_id,
            channel_id=call.channel_id,
            phone=callback_number(call.caller_number) or "",
            group=action.group,
            rank=action.rank,
            arrived_at=queue.clock(),
        )
    except StoreUnavailable as exc:
        log.error(ev.QUEUE_UNAVAILABLE, error=str(exc))
        queue.trace.record(call.call_id, EventKind.QUEUE_UNAVAILABLE, group=action.group)
        return WaitOutcome.UNAVAILABLE
    log.info(ev.QUEUE_JOINED, entry_id=entry.id, group=action.group, rank=action.rank)
    queue.trace.record(
        call.call_id, EventKind.QUEUE_JOINED, entry_id=entry.id, group=action.group, rank=action.rank
    )
    try:
        spoed = bool(action.prompt) and await call.play([action.prompt], interrupt={spoed_key}) is not None
    except CallGone:
        queue.left(call, entry.id, entry.arrived_at, QueueExit.ABANDONED)
        raise
    except asyncio.CancelledError:
        # The controller stops during the queue's prompt: the caller stays, for the next one to take over.
        queue.left(call, entry.id, entry.arrived_at, QueueExit.HANDED_OVER)
        raise
    if spoed:
        queue.left(call, entry.id, entry.arrived_at, QueueExit.SPOED)
        await _store_status(queue, entry.id, QueueStatus.ABANDONED)
        return WaitOutcome.SPOED
    return await wait_in_queue(
        call, queue, action, entry.id, entry.rank, entry.arrived_at, spoed_key=spoed_key
    )


async def wait_in_queue(
    call: Call,
    queue: Queue,
    action: QueueAction,
    entry_id: int,
    rank: int,
    arrived_at: datetime,
    *,
    spoed_key: str,
) -> WaitOutcome:
    """Wait in the holding bridge until connected, kept, spoed or given up (also after a restart)."""
    dispatcher = queue.dispatcher
    keep_from = deadline(KEY_ECHO_SECONDS)
    await holding.hold(call)
    ticket = dispatcher.join(entry_id, rank, arrived_at)
    outcome: WaitOutcome | None = None
    give_up_at = deadline(action.max_wait_seconds)
    said: tuple[int, int] | None = None
    answered = _Answered()
    try:
        while now() < give_up_at:
            prompts, offer_keep, told = await _announcement(queue, action, ticket)
            if told != said:
                said = told
                queue.trace.record(
                    call.call_id,
                    EventKind.QUEUE_ANNOUNCED,
                    entry_id=entry_id,
                    position=told[0],
                    expected_seconds=told[1],
                    keep_offered=offer_keep,
                )
            keep_key = action.keep_place_key if offer_keep else None
            until = min(deadline(action.announce_every), give_up_at)
            heard = await _listen(
                call, ticket, prompts, spoed_key, keep_key, keep_from=keep_from, until=until
            )
            if heard is None:
                continue
            if heard == spoed_key:
                outcome = WaitOutcome.SPOED
                return outcome
            if isinstance(heard, _Assigned):
                headset = heard.headset
            else:  # the keep-place key
                kept = await _try_keep_place(call, queue, action, ticket, spoed_key=spoed_key)
                if kept is not None:
                    outcome = kept
                    return outcome
                if ticket.headset is None:
                    continue
                # Assigned just before the caller pressed the key: connect now rather than lose the headset.
                headset = ticket.headset
            result = await _connect(call, queue, action, ticket, headset, answered, spoed_key=spoed_key)
            if result is RingResult.BRIDGED:
                outcome = WaitOutcome.SERVED
                return outcome
            if result is RingResult.INTERRUPTED:
                outcome = WaitOutcome.SPOED
                return outcome
            await holding.hold(call)
        outcome = WaitOutcome.GAVE_UP
        return outcome
    except CallGone:
        outcome = WaitOutcome.HUNG_UP
        raise
    finally:
        dispatcher.leave(ticket)
        # A stopping controller leaves the caller in the holding bridge with the entry "waiting", so the
        # next controller takes the caller over in the same place.
        if outcome is WaitOutcome.HUNG_UP and answered.headset is not None:
            outcome = WaitOutcome.SERVED  # the patient hung up after talking with the assistant
        elif outcome in _EXITS:
            queue.left(call, entry_id, arrived_at, _EXITS[outcome])
        elif outcome is None:
            queue.left(call, entry_id, arrived_at, QueueExit.HANDED_OVER)
        if outcome is not None and outcome is not WaitOutcome.KEPT:
            final = QueueStatus.SERVED if outcome is WaitOutcome.SERVED else QueueStatus.ABANDONED
            await _store_status(queue, entry_id, final)
        log.info(ev.QUEUE_LEFT, entry_id=entry_id, outcome=str(outcome or "controller_stopped"))


async def _connect(
    call: Call,
    queue: Queue,
    action: QueueAction,
    ticket: Ticket,
    headset: str,
    answered: _Answered,
    *,
    spoed_key: str,
) -> RingResult:
    """Ring the assigned headset (only her); when she does not answer the caller is back in her place."""
    await holding.leave(call)
    try:
        await queue.store.set_status(ticket.entry_id, QueueStatus.CONNECTING, expect=(QueueStatus.WAITING,))
    except StoreUnavailable:
        pass  # the status is for the restart and the reports; the caller is connected all the same

    def on_answer(label: str) -> None:
        answered.headset = label
        queue.left(call, ticket.entry_id, ticket.arrived_at, QueueExit.ANSWERED, headset=label)

    result = await ring_and_bridge(
        call,
        RingPlan(
            targets=[Target(f"PJSIP/{headset}", headset)],
            total_seconds=action.ring_seconds,
            interrupt_keys=frozenset({spoed_key}),
            on_answer=on_answer,
        ),
    )
    if result is RingResult.BRIDGED:
        queue.dispatcher.release(headset, answered=True)
        return result
    log.info("queue_headset_no_answer", headset=headset, result=result.value)
    queue.dispatcher.requeue(ticket)
    if result is not RingResult.INTERRUPTED:
        await _store_status(queue, ticket.entry_id, QueueStatus.WAITING, expect=(QueueStatus.CONNECTING,))
    return result


async def _try_keep_place(
    call: Call, queue: Queue, action: QueueAction, ticket: Ticket, *, spoed_key: str
) -> WaitOutcome | None:
    """KEPT when the place is kept, SPOED when the caller asked for spoed meanwhile, else None."""
    if not queue.dispatcher.pause(ticket):
        return None
    try:
        if await _keep_place(call, queue, action, ticket, spoed_key=spoed_key):
            return WaitOutcome.KEPT
    except SpoedRequested:
        # Spoed breaks through the number read-back as everywhere else; it never waits in the queue.
        log.info("queue_keep_place_spoed")
        return WaitOutcome.SPOED
    finally:
        queue.dispatcher.resume(ticket)
    return None


async def _announcement(
    queue: Queue, action: QueueAction, ticket: Ticket
) -> tuple[list[str], bool, tuple[int, int]]:
    """Position and expected wait (never above what was said before), whether to offer a kept place, and
    (position, expected seconds) as told."""
    ahead = queue.dispatcher.ahead_of(ticket)
    assistants = max(queue.dispatcher.live_headsets(), 1)
    expected = int(math.ceil((ahead + 1) * action.minutes_per_call / assistants) * 60)
    if ahead == 0:
        # "Binnen een minuut" is a promise like any other: what is stored is what was said.
        expected = min(expected, 60)
    try:
        expected = await queue.store.announce_wait(ticket.entry_id, expected)
    except StoreUnavailable:
        pass
    minutes = max(1, min(59, round(expected / 60)))
    position = min(ahead + 1, 59)
    prompts = [sounds.WACHT_POSITIE, count_prompt(position)]
    if ahead == 0:
        prompts.append(sounds.WACHT_MINDER_DAN_MINUUT)
    else:
        prompts += [sounds.WACHT_TIJD, count_prompt(minutes), sounds.WACHT_MINUTEN]
    offer_keep = expected > action.keep_place_after_seconds or ahead > action.keep_place_when_ahead
    if offer_keep and action.keep_place_key:
        prompts.append(sounds.WACHT_PLEK_BEWAREN)
    log.info(
        ev.QUEUE_ANNOUNCED,
        entry_id=ticket.entry_id,
        position=position,
        expected_seconds=expected,
        offer_keep=offer_keep,
    )
    return prompts, offer_keep, (position, expected)


async def _listen(
    call: Call,
    ticket: Ticket,
    prompts: list[str],
    spoed_key: str,
    keep_key: str | None,
    *,
    keep_from: float,
    until: float,
) -> str | _Assigned | None:
    """Play the announcement over the hold music, then wait: spoed, the keep key, a headset, or `until`."""
    pending = [*prompts]
    playback: str | None = await call.start_playback(pending.pop(0))
    try:
        while True:
            if ticket.headset is not None:
                return _Assigned(ticket.headset)
            event = await call.next_event(until, until=ticket.assignment)
            if event is None:
                if ticket.headset is not None:
                    return _Assigned(ticket.headset)
                if now() >= until:
                    return None
                continue
            kind = event["type"]
            if kind == "ChannelDtmfReceived" and (event.get("channel") or {}).get("id") == call.channel_id:
                key = str(event.get("digit", ""))
                call.digits.clear()
                if key == spoed_key or (key == keep_key and now() >= keep_from):
                    return key
            elif kind == "PlaybackFinished" and event["playback"]["id"] == playback:
                # Between announcements the caller hears Asterisk's hold music, which needs no prompt.
                playback = await call.start_playback(pending.pop(0)) if pending else None
                call.playback = playback
    finally:
        call.playback = None
        await holding.stop_playback(call, playback)


async def _keep_place(
    call: Call, queue: Queue, action: QueueAction, ticket: Ticket, *, spoed_key: str
) -> bool:
    """The caller leaves the line and keeps the place; False if that did not work (they wait on)."""
    phone = callback_number(call.caller_number)
    source = NumberSource.CALLER_ID
    if phone is None:
        keys = NumberKeys(confirm=action.number_confirm_key, again=action.number_again_key)
        phone = await ask_number(call, keys, attempts=2, answer_seconds=6, spoed_key=spoed_key)
        source = NumberSource.TYPED
    if phone is None:
        return False
    try:
        request = await queue.store.keep_place(
            ticket.entry_id, phone=phone, number_source=source, now=queue.clock()
        )
    except StoreUnavailable:
        return False
    if request is None:  # an assistant was being connected at that very moment: just go on
        return False
    # The dispatcher knows at once: the next free headset must not skip this place for a later caller.
    queue.dispatcher.keep(ticket, request)
    queue.left(
        call, ticket.entry_id, ticket.arrived_at, QueueExit.KEPT, request_id=request.id, number_source=source
    )
    log.info(ev.QUEUE_PLACE_KEPT, entry_id=ticket.entry_id, request_id=request.id, source=source)
    await call.play([sounds.WACHT_PLEK_BEWAARD], interrupt=())
    return True


async def _store_status(
    queue: Queue, entry_id: int, status: str, *, expect: tuple[str, ...] | None = None
) -> None:
    try:
        await queue.store.set_status(entry_id, status, expect=expect or WAITING_STATUSES)
    except StoreUnavailable:
        log.warning("queue_status_not_stored", entry_id=entry_id, status=status)
