"""Keeping the callback attempts honest: close what a stopped controller left open, then keep sweeping.

An attempt whose end could not be stored (the database failed just then) would stay open and block its
number until a restart; the sweep closes every open attempt no running dial-out owns, by the same rule as
the recovery at start (answered: done; dialled: a try; never dialled: back in its place).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Collection

import structlog

from dialplan.schema import PracticeConfig
from ivr import log_events as ev
from ivr.callback.store import CallbackStore
from ivr.db.door import StoreUnavailable

log = structlog.get_logger(__name__)

SWEEP_EVERY_SECONDS = 60.0
RECOVERY_RETRY_SECONDS = 5.0


async def recover_then_sweep(
    store: CallbackStore,
    owned: Collection[int],
    clock: Callable[[], dt.datetime],
    config: Callable[[], PracticeConfig],
    recovered_event: asyncio.Event,
) -> None:
    """Recover once the database answers (then callbacks may be given out), then sweep every minute."""
    while True:
        await store.db.opened.wait()  # no use trying before the schema is there
        try:
            recovered = await store.recover(clock(), config().callbacks)
            break
        except StoreUnavailable as exc:
            log.warning("callback_recovery_postponed", error=str(exc))
            await asyncio.sleep(RECOVERY_RETRY_SECONDS)
    for request_id, outcome in recovered:
        log.warning("callback_recovered", request_id=request_id, outcome=outcome)
    recovered_event.set()
    while True:
        await asyncio.sleep(SWEEP_EVERY_SECONDS)
        try:
            swept = await store.sweep(set(owned), clock(), config().callbacks)
        except StoreUnavailable as exc:
            log.warning("callback_sweep_postponed", error=str(exc))
            continue
        if swept:
            log.warning(ev.ATTEMPTS_SWEPT, swept=swept)
