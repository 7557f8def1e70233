"""Walks a patient through the practice's menu tree (dialplan/), with spoed breaking through everywhere."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from dialplan.hours import is_open
from dialplan.rules import iter_menus
from dialplan.schema import (
    Action,
    BackAction,
    CallbackAction,
    DialAction,
    HangupAction,
    HeadsetsAction,
    Menu,
    PlayAction,
    PracticeConfig,
    QueueAction,
    RecordAction,
    SpoedAction,
    SubmenuAction,
)
from ivr import log_events as ev
from ivr import sounds
from ivr.callback.offer import OfferOutcome, run_callback_offer
from ivr.callback.store import CallbackStore
from ivr.connect.ring import RingPlan, RingResult, ring_and_bridge
from ivr.core.call import Call, CallGone
from ivr.queue.wait import Queue, WaitOutcome, join_and_wait, wait_in_queue
from ivr.recording import record_message
from ivr.spoed import headset_targets, outside_target, run_huisartsenpost, run_spoed
from ivr.trace import CallTrace
from storage.call_events import EventKind
from storage.models import QueueEntry

log = structlog.get_logger(__name__)


class Next(enum.Enum):
    DONE = "done"  # the call is finished (bridged, hung up, or handed on)
    REPEAT = "repeat"  # play the current menu again
    BACK = "back"  # return to the parent menu


@dataclass(frozen=True)
class CallContext:
    """What one call's menu walk needs; the menu (`cfg`) is the version the call started with."""

    call: Call
    cfg: PracticeConfig
    outbound_template: str
    callbacks: CallbackStore
    queue: Queue
    trace: CallTrace
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    recordings_prefix: str = "inspreeklijn"


async def run_inbound(ctx: CallContext, now: datetime) -> None:
    """Everything a patient's call goes through, from answer to hang-up."""
    call, cfg = ctx.call, ctx.cfg
    await call.answer()
    if not is_open(cfg, now):
        log.info(ev.OUTSIDE_HOURS)
        ctx.trace.record(call.call_id, EventKind.OUTSIDE_HOURS)
        key = await call.play([cfg.outside_hours.prompt], interrupt={cfg.outside_hours.spoed_key})
        if key is None:
            key = await call.wait_digit(5, allowed={cfg.outside_hours.spoed_key})
        if key == cfg.outside_hours.spoed_key:
            await run_huisartsenpost(call, cfg, outbound_template=ctx.outbound_template, trace=ctx.trace)
        else:
            await call.hangup()
        return
    await run_menu(ctx, cfg.menu, depth=0)
    await call.hangup()


async def run_menu(ctx: CallContext, menu: Menu, *, depth: int, path: str = "") -> Next:
    """Offer one menu until an option ends the call or returns to the parent.

    `path` is the keys that led to this menu ("3", "3/2"; "" for the main menu), for the call trace.
    """
    call, spoed_key = ctx.call, ctx.cfg.spoed.key
    misses = 0
    reprompt: str | None = None
    while True:
        prompts = [reprompt, menu.prompt] if reprompt else [menu.prompt]
        key = await call.play(prompts)
        if key is None:
            key = await call.wait_digit(menu.timeout)
        if key == spoed_key:
            log.info(ev.MENU_KEY, key=key, depth=depth, option="spoed")
            _choice(ctx, path, key, SpoedAction(action="spoed"))
            await run_spoed(call, ctx.cfg, outbound_template=ctx.outbound_template, trace=ctx.trace)
            return Next.DONE
        action = menu.options.get(key) if key else None
        if action is None:
            misses += 1
            log.info(ev.MENU_MISS, key=key, depth=depth, misses=misses)
            if misses > menu.retries:
                _choice(ctx, path, None, menu.default)
                outcome = await perform(ctx, menu.default, depth=depth, path=_join(path, "default"))
                return Next.DONE if outcome is Next.REPEAT else outcome
            reprompt = menu.invalid_prompt if key else menu.no_input_prompt
            continue
        log.info(ev.MENU_KEY, key=key, depth=depth, option=action.action)
        _choice(ctx, path, key, action)
        misses, reprompt = 0, None
        outcome = await perform(ctx, action, depth=depth, path=_join(path, key))
        if outcome is not Next.REPEAT:
            return outcome


def _join(path: str, key: str) -> str:
    return f"{path}/{key}" if path else key


def _choice(ctx: CallContext, path: str, key: str | None, action: Action) -> None:
    group = action.group if isinstance(action, QueueAction | HeadsetsAction) else None
    ctx.trace.record(
        ctx.call.call_id, EventKind.MENU_CHOICE, path=path, key=key, option=action.action, group=group
    )


async def perform(ctx: CallContext, action: Action, *, depth: int, path: str = "") -> Next:
    """Carry out one menu option (`path`: the keys that chose it, for a submenu's choices)."""
    call, cfg = ctx.call, ctx.cfg
    spoed_only = {cfg.spoed.key}
    match action:
        case SpoedAction():
            await run_spoed(call, cfg, outbound_template=ctx.outbound_template, trace=ctx.trace)
            return Next.DONE
        case SubmenuAction(menu=submenu):
            outcome = await run_menu(ctx, submenu, depth=depth + 1, path=path)
            return Next.REPEAT if outcome is Next.BACK else outcome
        case BackAction():
            return Next.BACK
        case HeadsetsAction():
            return await _ring_headsets(ctx, action)
        case CallbackAction():
            return await _callback(ctx, action, depth=depth)
        case QueueAction():
            return await _queue(ctx, action, depth=depth)
        case PlayAction(prompts=prompts, then=then):
            if await call.play(prompts, interrupt=spoed_only) is not None:
                return await perform(ctx, SpoedAction(action="spoed"), depth=depth)
            return Next.REPEAT if then == "menu" else Next.DONE
        case RecordAction():
            if await call.play([action.prompt], interrupt=spoed_only) is not None:
                return await perform(ctx, SpoedAction(action="spoed"), depth=depth)
            await record_message(call, prefix=ctx.recordings_prefix, max_seconds=action.max_seconds)
            await call.play([action.done_prompt], interrupt=())
            return Next.DONE
        case DialAction(number=number, prompt=prompt):
            target = outside_target(ctx.outbound_template, number, "dial")
            await ring_and_bridge(call, RingPlan(targets=[target], total_seconds=60, prompt=prompt))
            return Next.DONE
        case HangupAction(prompt=prompt):
            if prompt:
                await call.play([prompt], interrupt=())
            return Next.DONE
    raise TypeError(f"unknown menu action {action!r}")


# When callbacks cannot be booked (database down), the caller still reaches a person.
_CALLBACK_FALLBACK = HeadsetsAction(
    action="headsets",
    group="terugbel_storing",
    prompt=sounds.STORING,
    no_answer_prompt=sounds.NIEMAND_BEREIKBAAR,
)


async def _callback(ctx: CallContext, action: CallbackAction, *, depth: int) -> Next:
    outcome = await run_callback_offer(
        ctx.call, ctx.callbacks, action, spoed_key=ctx.cfg.spoed.key, clock=ctx.clock
    )
    if outcome is OfferOutcome.SPOED:
        return await perform(ctx, SpoedAction(action="spoed"), depth=depth)
    if outcome is OfferOutcome.UNAVAILABLE:
        log.warning("callback_unavailable_ringing_assistants")
        return await _ring_headsets(ctx, _CALLBACK_FALLBACK)
    return Next.DONE


async def _queue(ctx: CallContext, action: QueueAction, *, depth: int) -> Next:
    outcome = await join_and_wait(ctx.call, ctx.queue, action, spoed_key=ctx.cfg.spoed.key)
    return await after_wait(ctx, action, outcome, depth=depth)


async def resume_inbound(ctx: CallContext, entry: QueueEntry) -> None:
    """A caller who was waiting when the last controller stopped waits on in the stored place.

    The caller never hears the menu again; what follows the wait is what the menu's queue option says.
    """
    action = queue_action_for(ctx.cfg, entry.group)
    log.info(ev.QUEUE_RESUMED, entry_id=entry.id, arrived_at=entry.arrived_at.isoformat())
    outcome = await wait_in_queue(
        ctx.call, ctx.queue, action, entry.id, entry.rank, entry.arrived_at, spoed_key=ctx.cfg.spoed.key
    )
    await after_wait(ctx, action, outcome, depth=0)
    await ctx.call.hangup()


def queue_action_for(cfg: PracticeConfig, group: str) -> QueueAction:
    """The menu's queue option of this group (its announcements and keep-place rules), or the defaults."""
    for menu, _ in iter_menus(cfg.menu):
        for action in [*menu.options.values(), menu.default]:
            if isinstance(action, QueueAction) and action.group == group:
                return action
    return QueueAction(action="queue", group=group)


async def after_wait(ctx: CallContext, action: QueueAction, outcome: WaitOutcome, *, depth: int) -> Next:
    """What follows the wait in the queue (also for a caller taken over after a controller restart)."""
    if outcome == WaitOutcome.SPOED:
        return await perform(ctx, SpoedAction(action="spoed"), depth=depth)
    if outcome == WaitOutcome.UNAVAILABLE:
        direct = HeadsetsAction(
            action="headsets",
            group=action.group,
            prompt=action.prompt,
            no_answer_prompt=action.no_answer_prompt,
        )
        return await _ring_headsets(ctx, direct)
    if outcome == WaitOutcome.GAVE_UP and action.no_answer_prompt:
        await ctx.call.play([action.no_answer_prompt], interrupt=())
    return Next.DONE


async def _ring_headsets(ctx: CallContext, action: HeadsetsAction) -> Next:
    call, cfg, trace = ctx.call, ctx.cfg, ctx.trace
    targets = headset_targets(list(action.headsets or cfg.headsets))
    started = trace.record(call.call_id, EventKind.HEADSETS_RUNG, group=action.group, headsets=len(targets))
    bridged = False

    def answered(label: str) -> None:
        nonlocal bridged
        bridged = True
        seconds = trace.seconds_since(started)
        trace.record(call.call_id, EventKind.HEADSETS_ANSWERED, group=action.group, by=label, seconds=seconds)

    def unanswered(result: str) -> None:
        seconds = trace.seconds_since(started)
        trace.record(
            call.call_id, EventKind.HEADSETS_UNANSWERED, group=action.group, result=result, seconds=seconds
        )

    try:
        result = await ring_and_bridge(
            call,
            RingPlan(
                targets=targets,
                ordered=action.strategy == "ordered",
                ring_seconds=action.ring_seconds,
                total_seconds=action.timeout,
                prompt=action.prompt,
                # Spoed still breaks through while the patient waits for an assistant.
                interrupt_keys=frozenset({cfg.spoed.key}),
                on_answer=answered,
            ),
        )
    except CallGone:
        if not bridged:
            unanswered("hung_up")
        raise
    if result is not RingResult.BRIDGED:
        unanswered("spoed" if result is RingResult.INTERRUPTED else result.value)
    if result is RingResult.INTERRUPTED:
        log.info(ev.MENU_KEY, key=cfg.spoed.key, option="spoed", while_waiting=action.group)
        await run_spoed(call, cfg, outbound_template=ctx.outbound_template, trace=ctx.trace)
    elif result in (RingResult.NO_ANSWER, RingResult.REFUSED) and action.no_answer_prompt:
        await call.play([action.no_answer_prompt], interrupt=())
    return Next.DONE
