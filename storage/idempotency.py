"""Idempotency keys of the intake API: a retried request gets the first answer and never books twice.

A request with an ``Idempotency-Key`` first claims the key (``claim_key``): an insert-or-ignore of a row
whose status is ``IN_PROGRESS``, then a read. Of two requests with one key at the same moment, exactly one
inserts and owns the key; the other reads the row, in progress or with the stored answer, and so never
does the work a second time. The owner stores its answer (``store_answer``), or gives the key back
(``release_key``) when it failed in a way the client may retry (the database was down, a 5xx).

Keys are per token: two clients cannot collide, nor read each other's answers. Records are kept for a day
(``purge_answers``), long enough for any client's retries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models_intake import IDEMPOTENCY_KEY_LENGTH, IdempotencyRecord
from storage.retry import with_retry
from storage.sql import insert_ignore
from storage.types import require_aware

log = structlog.get_logger(__name__)

Sessions = async_sessionmaker[AsyncSession]

# The status_code of a claimed key whose answer is not stored yet.
IN_PROGRESS = 0
_record: Table = IdempotencyRecord.__table__  # type: ignore[assignment]
_REQUEST_HASH_LENGTH: int = _record.c.request_hash.type.length
# A key released between our conflicting insert and our read is claimed again; more than this many such
# races in a row would mean a client hammering one key, and it gets the key's state of the moment.
_CLAIM_TRIES = 3


@dataclass(frozen=True)
class StoredAnswer:
    """What a key holds: the answer given (or ``IN_PROGRESS``) and the hash of the request it answered."""

    status_code: int
    response: dict[str, Any]
    request_hash: str

    @property
    def in_progress(self) -> bool:
        return self.status_code == IN_PROGRESS


def _check_key(key: str, request_hash: str | None = None) -> None:
    if not 0 < len(key) <= IDEMPOTENCY_KEY_LENGTH:
        raise ValueError(f"key must be 1 to {IDEMPOTENCY_KEY_LENGTH} characters, got {len(key)}")
    if request_hash is not None and not 0 < len(request_hash) <= _REQUEST_HASH_LENGTH:
        raise ValueError(f"request_hash must be 1 to {_REQUEST_HASH_LENGTH} characters")


async def claim_key(
    sessions: Sessions, *, token_id: int, key: str, request_hash: str, now: datetime
) -> StoredAnswer | None:
    """Claim ``key`` for this request: None if this caller owns it now, else what the key already holds.

    The caller compares the returned ``request_hash`` with its own: the same key with another request is
    the client's mistake, not a retry.
    """
    _check_key(key, request_hash)
    require_aware(now=now)
    values = {
        "token_id": token_id,
        "key": key,
        "request_hash": request_hash,
        "status_code": IN_PROGRESS,
        "response": {},
        "created_at": now,
    }
    existing = select(_record.c.status_code, _record.c.response, _record.c.request_hash).where(
        _record.c.token_id == token_id, _record.c.key == key
    )

    async def transaction() -> tuple[bool, StoredAnswer | None]:
        async with sessions() as session, session.begin():
            # On PostgreSQL a conflicting insert not yet committed makes this wait for its outcome.
            inserted = await session.scalar(insert_ignore(session, _record, values).returning(_record.c.id))
            if inserted is not None:
                return True, None
            row = (await session.execute(existing)).one_or_none()
            if row is None:
                return False, None  # released since our insert: try again
            return False, StoredAnswer(
                status_code=row.status_code, response=dict(row.response or {}), request_hash=row.request_hash
            )

    for _ in range(_CLAIM_TRIES):
        claimed, answer = await with_retry(transaction, what="claim_key")
        if claimed:
            log.debug("idempotency_key_claimed", token_id=token_id)
            return None
        if answer is not None:
            return answer
    # The key kept being released under us: to this caller it is in progress, so it is not done twice.
    return StoredAnswer(status_code=IN_PROGRESS, response={}, request_hash=request_hash)


async def store_answer(
    sessions: Sessions, *, token_id: int, key: str, status_code: int, response: dict[str, Any]
) -> None:
    """Store the answer to the request that claimed ``key``; a retry with the key gets this answer."""
    _check_key(key)
    if not 100 <= status_code <= 599:
        raise ValueError(f"status_code must be an HTTP status (100 to 599), got {status_code}")

    async def transaction() -> int | None:
        async with sessions() as session, session.begin():
            return await session.scalar(
                update(_record)
                .where(_record.c.token_id == token_id, _record.c.key == key)
                .values(status_code=status_code, response=response)
                .returning(_record.c.id)
            )

    if await with_retry(transaction, what="store_answer") is None:
        # Purged or released meanwhile: the answer was given all the same, only a retry will not see it.
        log.warning("idempotency_key_missing", token_id=token_id, status_code=status_code)


async def release_key(sessions: Sessions, *, token_id: int, key: str) -> None:
    """Give back a key whose request failed before it had an answer: the client may retry with it.

    A stored answer is never released: a request that booked keeps its answer.
    """
    _check_key(key)

    async def transaction() -> None:
        async with sessions() as session, session.begin():
            await session.execute(
                delete(_record).where(
                    _record.c.token_id == token_id,
                    _record.c.key == key,
                    _record.c.status_code == IN_PROGRESS,
                )
            )

    await with_retry(transaction, what="release_key")


async def purge_answers(sessions: Sessions, before: datetime) -> int:
    """Delete the records created before ``before`` (stored answers and stale claims); return how many."""
    require_aware(before=before)

    async def transaction() -> int:
        async with sessions() as session, session.begin():
            result = await session.execute(delete(_record).where(_record.c.created_at < before))
            return int(result.rowcount)  # type: ignore[attr-defined]

    purged = await with_retry(transaction, what="purge_answers")
    if purged:
        log.info("idempotency_records_purged", before=before.isoformat(), deleted=purged)
    return purged
