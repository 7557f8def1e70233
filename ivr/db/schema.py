"""Bringing the schema up to date at start, retried until it works: the door stays closed until then."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog

from ivr import log_events as ev
from ivr.db.door import Database

log = structlog.get_logger(__name__)

FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 30.0
# A migration against a hung server must not wait forever; it is simply tried again.
MIGRATION_DEADLINE_SECONDS = 60.0


async def migrate_until_ready(db: Database, upgrade: Callable[[], Awaitable[None]]) -> None:
    """Run `upgrade` until it succeeds, then open the door; meanwhile calls get a person, not an offer."""
    delay = FIRST_RETRY_SECONDS
    while True:
        try:
            async with asyncio.timeout(MIGRATION_DEADLINE_SECONDS):
                await upgrade()
        except Exception as exc:  # any driver's error: the server may come up later
            db.first_try.set()
            log.error(ev.DATABASE_UNAVAILABLE, error=type(exc).__name__, retry_in=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RETRY_SECONDS)
            continue
        db.open()
        db.first_try.set()
        log.info(ev.DATABASE_READY)
        return
