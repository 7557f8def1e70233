"""Taking over a caller who was waiting when the previous controller stopped, in the original order."""

from __future__ import annotations

import structlog

from dialplan.rules import iter_menus
from dialplan.schema import QueueAction
from ivr.menu_runner import CallContext, after_wait
from ivr.queue.wait import WaitOutcome, wait_in_queue
from storage.models import QueueEntry

log = structlog.get_logger(__name__)


def queue_action_for(ctx: CallContext, group: str) -> QueueAction:
    """The menu's queue option of this group (its announcements and keep-place rules), or the defaults."""
    for menu, _ in iter_menus(ctx.cfg.menu):
        for action in [*menu.options.values(), menu.default]:
            if isinstance(action, QueueAction) and action.group == group:
                return action
    return QueueAction(action="queue", group=group)


async def resume_waiting(ctx: CallContext, entry: QueueEntry) -> None:
    """Wait on with the stored arrival time; the caller never hears the menu again."""
    action = queue_action_for(ctx, entry.group)
    outcome = WaitOutcome.UNAVAILABLE
    if ctx.queue is not None:
        log.info("queue_resumed", entry_id=entry.id, arrived_at=entry.arrived_at.isoformat())
        outcome = await wait_in_queue(
            ctx.call, ctx.queue, action, entry.id, entry.rank, entry.arrived_at, spoed_key=ctx.cfg.spoed.key
        )
    await after_wait(ctx, action, outcome, depth=0)
