"""What a patient's call runs, as the controller sees it: the menu from the start, or the wait resumed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from dialplan.schema import PracticeConfig
from ivr.callback.store import CallbackStore
from ivr.core.call import Call
from ivr.menu.runner import CallContext, resume_inbound, run_inbound
from ivr.queue.wait import Queue
from ivr.trace import CallTrace
from storage.models import QueueEntry


@dataclass(frozen=True)
class MenuFlows:
    """The services every call's menu walk uses; the menu version is taken once per call."""

    menus: Callable[[], PracticeConfig]
    outbound_template: str
    callbacks: CallbackStore
    queue: Queue
    clock: Callable[[], dt.datetime]
    trace: CallTrace

    def context(self, call: Call) -> CallContext:
        # The menu is taken once per call: a reload never changes a call in progress.
        return CallContext(
            call=call,
            cfg=self.menus(),
            outbound_template=self.outbound_template,
            callbacks=self.callbacks,
            queue=self.queue,
            trace=self.trace,
            clock=self.clock,
        )

    async def inbound(self, call: Call) -> None:
        await run_inbound(self.context(call), self.clock())

    async def resumed(self, call: Call, entry: QueueEntry) -> None:
        await resume_inbound(self.context(call), entry)
