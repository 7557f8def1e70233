"""Bounded re-running of a transaction after a lock or serialisation conflict."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog
from sqlalchemy.exc import DBAPIError

T = TypeVar("T")

log = structlog.get_logger(__name__)

# serialization_failure and deadlock_detected: PostgreSQL rolled the transaction back, a rerun is safe.
_PG_RETRYABLE = {"40001", "40P01"}
_SQLITE_RETRYABLE = ("database is locked", "database table is locked", "database is busy")


def is_transient(exc: BaseException) -> bool:
    """Tell whether ``exc`` is a lock or serialisation conflict that a rerun can resolve."""
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if code in _PG_RETRYABLE:
        return True
    message = str(orig).lower()
    return any(text in message for text in _SQLITE_RETRYABLE)


async def with_retry(
    operation: Callable[[], Awaitable[T]], *, attempts: int = 5, what: str = "transaction"
) -> T:
    """Run ``operation`` (one whole transaction) again on transient conflicts, at most ``attempts`` times.

    SQLite's busy_timeout already waits for the write lock; this covers what it cannot (a lock held
    longer than the timeout, a BUSY that SQLite raises without calling the busy handler).
    """
    for attempt in range(1, attempts + 1):
        try:
            return await operation()
        except DBAPIError as exc:
            if attempt == attempts or not is_transient(exc):
                raise
            # Jitter so that callers who collided do not collide again in lockstep.
            delay = 0.02 * 2**attempt * (0.5 + random.random())
            log.warning("db_retry", what=what, attempt=attempt, delay_s=round(delay, 3), error=str(exc.orig))
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")
