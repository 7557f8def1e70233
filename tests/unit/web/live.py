"""A real dispatcher on a fake ARI, attached to the web context: what "Bel nu" and the live queue talk to.

The dial-out is the one stand-in: it records which headset was asked to call which request and holds the
call until the test lets it end, so "being called" can be seen on the screen.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ivr.core.registry import CallRegistry
from ivr.queue.dispatcher import Dispatcher
from ivr.queue.due import DueCallbacks
from storage.models import CallbackRequest
from tests.fakes.ari import FakeAri
from tests.unit.web.conftest import Web


@dataclass
class LiveCore:
    dispatcher: Dispatcher
    calls: CallRegistry
    ari: FakeAri
    dialled: list[tuple[str, int]] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    dialling: asyncio.Event = field(default_factory=asyncio.Event)  # set once a headset was asked to call
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)


def attach_live_core(web: Web) -> LiveCore:
    ari = FakeAri()
    ari.register("assistent1", "assistent2", "assistent3")

    async def no_due(now: dt.datetime) -> list[CallbackRequest]:
        return []

    core: LiveCore

    async def dial_out(headset: str, request: CallbackRequest) -> bool:
        core.dialled.append((headset, request.id))
        core.dialling.set()
        await core.release.wait()
        return True

    def spawn(coro: Any, name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        core.tasks.add(task)
        task.add_done_callback(core.tasks.discard)

    dispatcher = Dispatcher(
        ari,
        lambda: web.ctx.menus.current,
        DueCallbacks(no_due, web.clock),
        clock=web.clock,
        spawn=spawn,
        dial_out=dial_out,
        states=web.ctx.headsets,
        notify=web.ctx.notifier.publish,
    )
    core = LiveCore(dispatcher, CallRegistry(), ari)
    web.ctx.live.attach(core)
    return core
