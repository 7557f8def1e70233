"""A caller waiting on the line: holding bridge, position and expected wait, keep the place, or be connected.

The queue entry is stored before the caller hears anything, with the arrival time that orders them, so
the order survives a controller restart. An expected wait, once said, is never raised (the database
keeps the lowest one announced).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import structlog

from common.phone import callback_number
from dialplan.schema import CallbackAction, QueueAction
from ivr.ari import AriNotFound
from ivr.call import Call, quietly
from ivr.callback.number import SpoedRequested, ask_number
from ivr.connect import RingPlan, RingResult, Target, ring_and_bridge
from ivr.practice_db import DeskUnavailable
from ivr.queue.dispatcher import ASSIGNED, Dispatcher, Member
from ivr.queue.store import QueueStore
from prompts.names import HOLD_MUSIC
from prompts.spoken import count_prompt

log = structlog.get_logger(__name__)

HOLDING_BRIDGE = "terugbel-wachtrij"
# Typing a number to keep the place works as in the callback offer, with its keys fixed (2 yes, 3 again).
_NUMBER_ENTRY = CallbackAction(action="callback", confirm_key="2", other_key="3")
KEY_ECHO_SECONDS = 1.5


class WaitOutcome:
    SERVED = "served"
    KEPT = "kept"
    SPOED = "spoed"
    GAVE_UP = "gave_up"  # waited max_wait_seconds
    UNAVAILABLE = "unavailable"  # no database: ring the headsets directly instead


@dataclass(frozen=True)
class Queue:
    """What a waiting call needs: the dispatcher, the store, and the practice's clock."""

    dispatcher: Dispatcher
    store: QueueStore
    clock: Callable[[], datetime]


async def join_and_wait(call: Call, queue: Queue, action: QueueAction, *, spoed_key: str) -> str:
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
    except DeskUnavailable as exc:
        log.error("queue_unavailable", error=str(exc))
        return WaitOutcome.UNAVAILABLE
    log.info("queue_joined", entry_id=entry.id, group=action.group, rank=action.rank)
    if action.prompt and await call.play([action.prompt], interrupt={spoed_key}) is not None:
        await queue.store.set_status(entry.id, "abandoned", expect=("waiting",))
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
) -> str:
    """Wait in the holding bridge until connected, kept, spoed or given up (also after a restart)."""
    dispatcher = queue.dispatcher
    # Joining the bridge can replay the end of the key that chose this option (RFC 4733 end packets
    # are sent three times); with the keep-place key often the same digit (5), it must not count.
    keep_from = time.monotonic() + KEY_ECHO_SECONDS
    await _hold(call)
    dispatcher.add(Member(entry_id, rank, arrived_at, call.deliver))
    outcome = WaitOutcome.GAVE_UP
    give_up_at = time.monotonic() + action.max_wait_seconds
    try:
        while time.monotonic() < give_up_at:
            prompts, offer_keep = await _announcement(queue, action, entry_id)
            keep_key = action.keep_place_key if offer_keep else None
            until = min(time.monotonic() + action.announce_every, give_up_at)
            heard = await _listen(call, prompts, spoed_key, keep_key, keep_from=keep_from, until=until)
            if heard is None:
                continue
            if heard == spoed_key:
                outcome = WaitOutcome.SPOED
                return outcome
            if heard == action.keep_place_key:
                member = dispatcher.state.members.get(entry_id)
                if member is not None:
                    member.paused = True
                if await _keep_place(call, queue, entry_id, spoed_key=spoed_key):
                    outcome = WaitOutcome.KEPT
                    return outcome
                if member is None or member.headset is None:
                    if member is not None:
                        member.paused = False
                    continue
                # Assigned just while trying to keep the place: connect now rather than lose the headset.
                member.paused = False
                heard = member.headset
            # A headset was assigned: ring her (only her), and return to the queue if she does not answer.
            await quietly(call.ari.remove_from_bridge(HOLDING_BRIDGE, call.channel_id))
            await queue.store.set_status(entry_id, "connecting", expect=("waiting",))
            result = await ring_and_bridge(
                call,
                RingPlan(
                    targets=[Target(f"PJSIP/{heard}", heard)],
                    total_seconds=action.ring_seconds,
                    interrupt_keys=frozenset({spoed_key}),
                ),
            )
            dispatcher.release(heard, answered=result is RingResult.BRIDGED)
            if result is RingResult.BRIDGED:
                outcome = WaitOutcome.SERVED
                return outcome
            if result is RingResult.INTERRUPTED:
                outcome = WaitOutcome.SPOED
                return outcome
            log.info("queue_headset_no_answer", headset=heard)
            await queue.store.set_status(entry_id, "waiting", expect=("connecting",))
            member = dispatcher.state.members.get(entry_id)
            if member is not None:
                member.headset = None
            await _hold(call)
        return outcome
    except asyncio.CancelledError:
        # The controller is stopping: the caller stays in the holding bridge, and the entry stays
        # "waiting", so the next controller takes the caller over in the same place.
        outcome = "controller_stopped"
        raise
    finally:
        dispatcher.remove(entry_id)
        final = {WaitOutcome.SERVED: "served", WaitOutcome.KEPT: "kept"}.get(outcome, "abandoned")
        if final != "kept" and outcome != "controller_stopped":
            try:
                await queue.store.set_status(entry_id, final, expect=("waiting", "connecting"))
            except DeskUnavailable:
                log.warning("queue_status_not_stored", entry_id=entry_id, status=final)
        log.info("queue_left", entry_id=entry_id, outcome=outcome)


async def _hold(call: Call) -> None:
    """Put the caller in the practice's holding bridge (created by whoever needs it first)."""
    try:
        await call.own(call.ari.add_to_bridge(HOLDING_BRIDGE, [call.channel_id]))
    except AriNotFound:
        # The first caller after an Asterisk start: the bridge does not exist yet.
        await quietly(call.ari.create_bridge(HOLDING_BRIDGE, "holding"))
        await call.own(call.ari.add_to_bridge(HOLDING_BRIDGE, [call.channel_id]))


async def _announcement(queue: Queue, action: QueueAction, entry_id: int) -> tuple[list[str], bool]:
    """Position and expected wait (never above what was said before), and whether to offer a kept place."""
    ahead = queue.dispatcher.ahead_of(entry_id)
    assistants = max(queue.dispatcher.live_headsets(), 1)
    expected = int(math.ceil((ahead + 1) * action.minutes_per_call / assistants) * 60)
    try:
        expected = await queue.store.announce_wait(entry_id, expected)
    except DeskUnavailable:
        pass
    minutes = max(1, min(59, round(expected / 60)))
    position = min(ahead + 1, 59)
    prompts = ["wacht_positie", count_prompt(position)]
    if ahead == 0:
        prompts.append("wacht_minder_dan_minuut")
    else:
        prompts += ["wacht_tijd", count_prompt(minutes), "wacht_minuten"]
    offer_keep = expected > action.keep_place_after_seconds or ahead > action.keep_place_when_ahead
    if offer_keep and action.keep_place_key:
        prompts.append("wacht_plek_bewaren")
    log.info(
        "queue_announced",
        entry_id=entry_id,
        position=position,
        expected_seconds=expected,
        offer_keep=offer_keep,
    )
    return prompts, offer_keep


async def _listen(
    call: Call, prompts: list[str], spoed_key: str, keep_key: str | None, *, keep_from: float, until: float
) -> str | None:
    """Play the announcement, then hold music, until spoed, the keep key, an assigned headset, or `until`.

    Returns the key, the headset name, or None at `until`.
    """
    queue_of_names = [*prompts]
    playback = await call.start_playback(queue_of_names.pop(0))
    try:
        while True:
            event = await call.next_event(until)
            if event is None:
                return None
            kind = event["type"]
            if kind == ASSIGNED:
                return str(event["headset"])
            if kind == "ChannelDtmfReceived" and (event.get("channel") or {}).get("id") == call.channel_id:
                key = str(event.get("digit", ""))
                call.digits.clear()
                if key == spoed_key or (key == keep_key and time.monotonic() >= keep_from):
                    return key
            elif kind == "PlaybackFinished" and event["playback"]["id"] == playback:
                playback = await call.start_playback(queue_of_names.pop(0) if queue_of_names else HOLD_MUSIC)
    finally:
        await quietly(call.ari.stop_playback(playback))


async def _keep_place(call: Call, queue: Queue, entry_id: int, *, spoed_key: str) -> bool:
    """The caller leaves the line and keeps the place; False if that did not work (they wait on)."""
    phone = callback_number(call.caller_number)
    source = "caller_id"
    if phone is None:
        try:
            phone = await ask_number(call, _NUMBER_ENTRY, spoed_key=spoed_key)
        except SpoedRequested:
            return False
        source = "typed"
    if phone is None:
        return False
    try:
        request = await queue.store.keep_place(entry_id, phone=phone, number_source=source, now=queue.clock())
    except DeskUnavailable:
        return False
    if request is None:  # an assistant was being connected at that very moment: just go on
        return False
    log.info("queue_place_kept", entry_id=entry_id, request_id=request.id, source=source)
    await call.play(["wacht_plek_bewaard"], interrupt=())
    return True
