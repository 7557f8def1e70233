"""Engine and session construction for the embedded SQLite default and for PostgreSQL.

Every wait is bounded, so a hung or unreachable database turns into an error the call flows can handle
(the caller goes to an assistant) instead of a frozen dispatcher: a connection from the pool, a new
connection to PostgreSQL, each PostgreSQL statement, and SQLite's wait for another writer.

The SQLite database holds patient data: its folder is created 0700 and the database file with its
``-wal`` and ``-shm`` files are kept 0600.
"""

from __future__ import annotations

import functools
import os
import stat
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import StaticPool

log = structlog.get_logger(__name__)

DEFAULT_DB_FILENAME = "terugbel.sqlite3"

# Seconds to wait for a free connection in the pool before failing.
DEFAULT_POOL_TIMEOUT = 5.0
# Seconds PostgreSQL gets to accept a new connection (asyncpg's default is 60).
DEFAULT_CONNECT_TIMEOUT = 5.0
# Seconds one PostgreSQL statement may run; asyncpg then cancels it on the server and raises. A booking
# takes milliseconds, so this only fires on a hung or overloaded server.
DEFAULT_COMMAND_TIMEOUT = 5.0
# Seconds a SQLite writer waits for another writer before "database is locked". A booking holds the
# write lock for a few milliseconds, so this only runs out under pathological contention; with_retry
# retries on top of it.
DEFAULT_SQLITE_BUSY_TIMEOUT = 5.0
# The same in milliseconds, as older code and the PRAGMA spell it.
SQLITE_BUSY_TIMEOUT_MS = int(DEFAULT_SQLITE_BUSY_TIMEOUT * 1000)

_PRIVATE_DIR = 0o700
_PRIVATE_FILE = 0o600
# SQLite's companions of the database file in WAL mode.
_SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def default_url(data_dir: str | os.PathLike[str]) -> str:
    """Return the SQLite URL of the embedded database inside ``data_dir``."""
    path = Path(data_dir).expanduser().resolve() / DEFAULT_DB_FILENAME
    return f"sqlite+aiosqlite:///{path}"


# The name used in the design brief; same helper.
DEFAULT_URL = default_url


def is_sqlite(url: str) -> bool:
    """Tell whether ``url`` points at a SQLite database."""
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(
    url: str,
    *,
    pool_size: int = 5,
    max_overflow: int = 10,
    pool_timeout: float = DEFAULT_POOL_TIMEOUT,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    command_timeout: float | None = DEFAULT_COMMAND_TIMEOUT,
    sqlite_busy_timeout: float = DEFAULT_SQLITE_BUSY_TIMEOUT,
) -> AsyncEngine:
    """Create an async engine for ``url`` with a bounded connection pool and bounded waits (seconds).

    ``pool_timeout``: wait for a pooled connection (both databases). PostgreSQL: ``connect_timeout`` for a
    new connection, ``command_timeout`` per statement (None: no limit, for long migrations). SQLite:
    ``sqlite_busy_timeout`` for another writer's lock; its connections also get WAL, full sync and
    enforced foreign keys, and its files private modes. PostgreSQL connections are pinged before use so a
    restarted server does not surface as a failed booking.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _make_sqlite_engine(
            url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=pool_timeout,
            busy_timeout=sqlite_busy_timeout,
        )
    connect_args: dict[str, Any] = {}
    if parsed.get_driver_name() == "asyncpg":
        connect_args = {"timeout": connect_timeout, "command_timeout": command_timeout}
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        pool_pre_ping=True,
        connect_args=connect_args,
    )


def _make_sqlite_engine(
    url: str, *, pool_size: int, max_overflow: int, pool_timeout: float, busy_timeout: float
) -> AsyncEngine:
    database = make_url(url).database
    kwargs: dict[str, Any] = {}
    if not database or database == ":memory:" or database.startswith("file:"):
        # Every new connection to ":memory:" is a new, empty database: share a single one.
        kwargs["poolclass"] = StaticPool
    else:
        secure_sqlite_files(Path(database))
        kwargs.update(pool_size=pool_size, max_overflow=max_overflow, pool_timeout=pool_timeout)
    engine = create_async_engine(url, connect_args={"timeout": busy_timeout}, **kwargs)
    configure = functools.partial(_configure_sqlite_connection, busy_timeout_ms=int(busy_timeout * 1000))
    event.listen(engine.sync_engine, "connect", configure)
    return engine


def secure_sqlite_files(database: Path) -> None:
    """Create the database's folder 0700 and the file 0600 if missing; make existing files 0600.

    SQLite creates the -wal and -shm files with the database file's own mode, so a private database
    file keeps them private too. An existing folder is left as it is (it may be shared, like /tmp).
    """
    folder = database.parent
    if not folder.exists():
        folder.mkdir(parents=True, mode=_PRIVATE_DIR, exist_ok=True)
        folder.chmod(_PRIVATE_DIR)  # mkdir's mode passes through the umask
    elif (mode := stat.S_IMODE(folder.stat().st_mode)) & 0o077:
        log.warning("sqlite_folder_not_private", folder=str(folder), mode=oct(mode))
    # Created empty before SQLite opens it, with the private mode from the start: never readable.
    os.close(os.open(database, os.O_CREAT | os.O_WRONLY, _PRIVATE_FILE))
    for suffix in _SQLITE_SUFFIXES:
        path = Path(f"{database}{suffix}")
        try:
            if stat.S_IMODE(path.stat().st_mode) != _PRIVATE_FILE:
                path.chmod(_PRIVATE_FILE)
        except FileNotFoundError:
            continue
        except PermissionError as exc:
            # Not ours to change: still usable, but say so rather than fail the phone line.
            log.warning("sqlite_file_mode_not_fixed", path=str(path), error=str(exc))


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any, *, busy_timeout_ms: int) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # WAL lets the planner and the listing read while a caller's booking is being written.
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL, not NORMAL: a confirmed booking must survive a power cut ("store first, then confirm").
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        # SQLite ignores foreign keys unless asked, per connection.
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Return a session factory whose objects stay readable after commit.

    ``expire_on_commit=False`` because callers get a committed ``CallbackRequest`` back and read its
    fields after the session has closed.
    """
    return async_sessionmaker(engine, expire_on_commit=False)
