"""Engine and session construction for the embedded SQLite default and for PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import StaticPool

DEFAULT_DB_FILENAME = "terugbel.sqlite3"

# How long a SQLite writer waits for another writer before giving up with "database is locked".
# A booking transaction holds the write lock for a few milliseconds, so this only runs out under
# pathological contention; bookings.py retries on top of it.
SQLITE_BUSY_TIMEOUT_MS = 5000


def default_url(data_dir: str | os.PathLike[str]) -> str:
    """Return the SQLite URL of the embedded database inside ``data_dir``."""
    path = Path(data_dir).expanduser().resolve() / DEFAULT_DB_FILENAME
    return f"sqlite+aiosqlite:///{path}"


# The name used in the design brief; same helper.
DEFAULT_URL = default_url


def is_sqlite(url: str) -> bool:
    """Tell whether ``url`` points at a SQLite database."""
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, *, pool_size: int = 5, max_overflow: int = 10) -> AsyncEngine:
    """Create an async engine for ``url`` with a bounded connection pool.

    SQLite connections get WAL, a busy timeout and enforced foreign keys; PostgreSQL connections are
    pinged before use so a restarted server does not surface as a failed booking.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _make_sqlite_engine(url, pool_size=pool_size, max_overflow=max_overflow)
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=30,
        pool_pre_ping=True,
    )


def _make_sqlite_engine(url: str, *, pool_size: int, max_overflow: int) -> AsyncEngine:
    database = make_url(url).database
    kwargs: dict[str, Any] = {}
    if not database or database == ":memory:":
        # Every new connection to ":memory:" is a new, empty database: share a single one.
        kwargs["poolclass"] = StaticPool
    else:
        kwargs.update(pool_size=pool_size, max_overflow=max_overflow, pool_timeout=30)
    engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs)
    event.listen(engine.sync_engine, "connect", _configure_sqlite_connection)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # WAL lets the planner and the listing read while a caller's booking is being written.
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL, not NORMAL: a confirmed booking must survive a power cut ("store first, then confirm").
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
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
