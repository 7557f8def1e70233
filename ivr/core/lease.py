"""One active controller per practice: a lease the others wait for as standby.

Two controllers on one database would both dial the same callbacks (each one's start-up recovery puts the
other's open attempts back in line) and would take the ARI app from each other. The lease is a
PostgreSQL advisory lock held on a connection of its own, or, on the embedded SQLite database, an
exclusive lock on a file next to it; both disappear with the process that held them, so a crashed
controller never blocks its standby.
"""

from __future__ import annotations

import enum
import fcntl
import hashlib
import os
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.engine import make_url

# Waiting on an unreachable database server must not hold the practice's phone line.
CONNECT_TIMEOUT_SECONDS = 3.0


class LeaseState(enum.Enum):
    HELD = "held"  # this process holds it
    BUSY = "busy"  # another controller holds it
    UNKNOWN = "unknown"  # cannot tell (database unreachable)


class Lease(Protocol):
    """A lock only one controller of a practice can hold."""

    what: str

    async def acquire(self) -> LeaseState: ...
    async def check(self) -> LeaseState: ...
    async def release(self) -> None: ...


class FileLease:
    """An exclusive flock on `<data_dir>/controller-<practice>.lock` (SQLite installs, one machine)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.what = f"file lock {path}"
        self._fd: int | None = None

    async def acquire(self) -> LeaseState:
        if self._fd is not None:
            return LeaseState.HELD
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return LeaseState.BUSY
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return LeaseState.HELD

    async def check(self) -> LeaseState:
        return LeaseState.HELD if self._fd is not None else await self.acquire()

    async def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None


def advisory_key(practice_key: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock from the practice's id."""
    digest = hashlib.sha256(f"terugbel-controller:{practice_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PgAdvisoryLease:
    """A session-level PostgreSQL advisory lock on a dedicated connection."""

    def __init__(self, database_url: str, practice_key: str) -> None:
        url = make_url(database_url).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self._key = advisory_key(practice_key)
        self.what = f"PostgreSQL advisory lock {self._key} for practice {practice_key}"
        self._conn: Any = None

    async def acquire(self) -> LeaseState:
        import asyncpg

        if self._conn is not None and not self._conn.is_closed():
            return LeaseState.HELD
        try:
            conn = await asyncpg.connect(self._dsn, timeout=CONNECT_TIMEOUT_SECONDS)
        except (OSError, TimeoutError, asyncpg.PostgresError):
            return LeaseState.UNKNOWN
        try:
            held = await conn.fetchval(
                "SELECT pg_try_advisory_lock($1)", self._key, timeout=CONNECT_TIMEOUT_SECONDS
            )
        except (OSError, TimeoutError, asyncpg.PostgresError):
            await conn.close(timeout=CONNECT_TIMEOUT_SECONDS)
            return LeaseState.UNKNOWN
        if not held:
            await conn.close(timeout=CONNECT_TIMEOUT_SECONDS)
            return LeaseState.BUSY
        self._conn = conn
        return LeaseState.HELD

    async def check(self) -> LeaseState:
        import asyncpg

        if self._conn is not None and not self._conn.is_closed():
            try:
                await self._conn.fetchval("SELECT 1", timeout=CONNECT_TIMEOUT_SECONDS)
                return LeaseState.HELD
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
                # The session (and with it the lock) is gone: take it again if nobody else did.
                self._conn.terminate()
                self._conn = None
        return await self.acquire()

    async def release(self) -> None:
        if self._conn is not None:
            self._conn.terminate()  # the lock goes with the session
            self._conn = None


def lease_for(database_url: str, practice_key: str, data_dir: Path) -> Lease:
    """The lease that fits the database: advisory lock on PostgreSQL, a lock file for SQLite."""
    if make_url(database_url).get_backend_name() == "postgresql":
        return PgAdvisoryLease(database_url, practice_key)
    database = make_url(database_url).database
    folder = Path(database).parent if database and database != ":memory:" else data_dir
    return FileLease(folder / f"controller-{practice_key}.lock")
