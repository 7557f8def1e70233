"""Headset states kept in the database: saved on every change, loaded once the database is there.

`HeadsetStates` (ivr/queue/headsets.py) holds them in memory and takes the saver as a plain callable, so
the dispatcher's tests need no database; this is that callable and the loader, for the composition root.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime

from ivr.db.door import Database, StoreUnavailable
from ivr.db.practice import PracticeRegistry
from ivr.queue.headsets import HeadsetStates
from storage.headsets import headset_states as stored_headset_states
from storage.headsets import set_headset_state
from storage.status import HeadsetState

LOAD_RETRY_SECONDS = 5.0


def headset_saver(
    db: Database, registry: PracticeRegistry, now: Callable[[], datetime]
) -> Callable[[str, HeadsetState, str], Awaitable[None]]:
    async def save(headset: str, state: HeadsetState, by: str) -> None:
        await db.run(
            set_headset_state,
            practice_id=await registry.id(),
            headset=headset,
            state=state,
            by=by,
            now=now(),
        )

    return save


async def load_headset_states(db: Database, registry: PracticeRegistry, states: HeadsetStates) -> None:
    """The states assistants set before a restart, once the database is there (until then: on duty)."""
    await db.opened.wait()
    while True:
        try:
            rows = await db.run(stored_headset_states, await registry.id())
        except StoreUnavailable:
            await asyncio.sleep(LOAD_RETRY_SECONDS)
            continue
        states.load({row.headset: row.state for row in rows})
        return
