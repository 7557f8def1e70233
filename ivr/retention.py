"""AVG: patient data is kept no longer than the practice's retention limit, recordings included.

Every few hours: callback requests that ended before the limit go (with their attempts, call events and
queue entries), and so do the recordings they referred to, inspreeklijn messages and audit entries older
than the limit. Requests still to be called are never deleted, however old their slot. Expired screen
sessions and old login attempts go too.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import structlog

from ivr import log_events as ev
from ivr.db.door import Database, StoreUnavailable
from storage.idempotency import purge_answers
from storage.logins import purge_expired_sessions, purge_login_attempts
from storage.recordings import delete_recordings, delete_recordings_older_than
from storage.retention import purge_older_than

log = structlog.get_logger(__name__)

EVERY = dt.timedelta(hours=6)
# Stored-recording folders whose files are patient data of their own (not referred to by a request).
MESSAGE_FOLDERS = ("inspreeklijn",)
# Failed and successful logins (names and addresses of staff) are kept this long for looking into a
# break-in attempt, or the data's own limit if that is shorter; the lockout itself needs 15 minutes.
LOGIN_ATTEMPTS_KEPT = dt.timedelta(days=30)
IDEMPOTENCY_KEPT = dt.timedelta(hours=24)


async def purge_once(
    db: Database, recordings_dir: Path | None, days: int, clock: Callable[[], dt.datetime]
) -> int:
    """One purge; returns what was deleted in the database."""
    now = clock()
    cutoff = now - dt.timedelta(days=days)
    result = await db.run(purge_older_than, cutoff)
    sessions = await db.run(purge_expired_sessions, now)
    logins = await db.run(purge_login_attempts, max(cutoff, now - LOGIN_ATTEMPTS_KEPT))
    # An API client retries within minutes; after a day an answer kept for its retry has no use left.
    answers = await db.run(purge_answers, now - IDEMPOTENCY_KEPT)
    files = 0
    if recordings_dir is not None:
        # File deletion blocks: off the event loop, so no call waits on the disk.
        notes = await asyncio.to_thread(delete_recordings, recordings_dir, result.voice_note_refs)
        messages = await asyncio.to_thread(
            delete_recordings_older_than, recordings_dir, MESSAGE_FOLDERS, cutoff
        )
        files = len(notes.deleted) + len(messages)
    log.info(
        ev.RETENTION_PURGE,
        cutoff=cutoff.isoformat(),
        deleted=result.deleted,
        files=files,
        sessions=sessions,
        login_attempts=logins,
        idempotency_answers=answers,
    )
    return result.deleted + sessions + logins + answers


async def purge_forever(
    db: Database, recordings_dir: Path | None, days: int, clock: Callable[[], dt.datetime]
) -> None:
    while True:
        try:
            await purge_once(db, recordings_dir, days, clock)
        except StoreUnavailable as exc:
            log.warning("retention_purge_failed", error=str(exc))
        await asyncio.sleep(EVERY.total_seconds())
