"""Engine setup: SQLite connection settings, foreign keys on both databases, the default URL."""

from __future__ import annotations

import asyncio
import inspect
import os
import stat
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import DEFAULT_URL, default_url, make_engine
from storage.models import CallbackRequest


async def test_foreign_keys_are_enforced(sessions: async_sessionmaker[AsyncSession]) -> None:
    """A request for a practice that does not exist is refused (SQLite only does so when asked)."""
    start = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    with pytest.raises(IntegrityError):
        async with sessions() as session, session.begin():
            session.add(
                CallbackRequest(
                    practice_id=424242,
                    phone="0612345678",
                    number_source="typed",
                    slot_start=start,
                    slot_end=start + timedelta(minutes=15),
                )
            )


async def test_sqlite_connections_use_wal_busy_timeout_and_full_sync(tmp_path: Path) -> None:
    """Every pooled SQLite connection gets the settings concurrent, durable booking relies on."""
    engine = make_engine(default_url(tmp_path))
    try:
        async with engine.connect() as connection:
            settings = {
                pragma: (await connection.execute(text(f"PRAGMA {pragma}"))).scalar()
                for pragma in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous")
            }
    finally:
        await engine.dispose()
    assert settings == {"journal_mode": "wal", "busy_timeout": 5000, "foreign_keys": 1, "synchronous": 2}


def test_default_url_points_into_the_data_dir(tmp_path: Path) -> None:
    """The embedded database lives in the given data directory, by absolute path."""
    url = DEFAULT_URL(tmp_path / "data")
    assert url == f"sqlite+aiosqlite:///{(tmp_path / 'data').resolve() / 'terugbel.sqlite3'}"


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask that would leave new files readable by everyone, as on many servers."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("open_umask")
async def test_sqlite_folder_and_files_are_private(tmp_path: Path) -> None:
    """The data folder is created 0700 and the database with its -wal and -shm files are 0600 (defect 19)."""
    data = tmp_path / "var"
    engine = make_engine(default_url(data))
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (x INTEGER)"))
            await connection.execute(text("INSERT INTO t VALUES (1)"))
        async with engine.connect() as connection:
            files = {p.name: _mode(p) for p in data.iterdir()}
    finally:
        await engine.dispose()
    assert _mode(data) == 0o700
    assert files == {
        "terugbel.sqlite3": 0o600,
        "terugbel.sqlite3-wal": 0o600,
        "terugbel.sqlite3-shm": 0o600,
    }


@pytest.mark.usefixtures("open_umask")
async def test_existing_readable_sqlite_files_are_made_private(tmp_path: Path) -> None:
    """Files left world-readable by an older version are fixed when the engine is created."""
    database = tmp_path / "terugbel.sqlite3"
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        path.touch()
        path.chmod(0o644)
    engine = make_engine(default_url(tmp_path))
    await engine.dispose()
    files = [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
    assert [_mode(p) for p in files] == [0o600, 0o600, 0o600]


async def test_pool_wait_is_bounded(database_url: str) -> None:
    """With every connection taken, asking for another fails after pool_timeout instead of waiting on."""
    engine = make_engine(database_url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    try:
        async with engine.connect():
            started = time.monotonic()
            with pytest.raises(PoolTimeout):
                async with engine.connect():
                    pass
            assert time.monotonic() - started < 2
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_a_statement_past_command_timeout_fails_instead_of_hanging(postgres_url: str) -> None:
    """`SELECT pg_sleep(30)` with a 0.5 s command timeout fails well within a 5 s deadline (defect 8)."""
    engine = make_engine(postgres_url, command_timeout=0.5)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))  # connected: only the statement is timed
            started = time.monotonic()
            async with asyncio.timeout(5) as deadline:
                with pytest.raises((DBAPIError, TimeoutError)):
                    await connection.execute(text("SELECT pg_sleep(30)"))
            assert not deadline.expired()
            assert time.monotonic() - started < 3
    finally:
        await engine.dispose()


async def test_a_server_that_never_answers_fails_the_connect_within_the_bound() -> None:
    """Connecting to a server that accepts but never speaks fails after connect_timeout, not never."""
    held: list[asyncio.StreamWriter] = []

    async def silent(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    engine = make_engine(f"postgresql+asyncpg://nobody@127.0.0.1:{port}/none", connect_timeout=0.5)
    try:
        async with asyncio.timeout(5) as deadline:
            with pytest.raises((DBAPIError, TimeoutError, OSError)):
                async with engine.connect():
                    pass
        assert not deadline.expired()
    finally:
        await engine.dispose()
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


def test_make_engine_waits_are_bounded_by_default() -> None:
    """Without arguments every wait is a few seconds: pool, connect, statement and SQLite lock."""
    defaults = {
        name: parameter.default for name, parameter in inspect.signature(make_engine).parameters.items()
    }
    for name in ("pool_timeout", "connect_timeout", "command_timeout", "sqlite_busy_timeout"):
        assert 0 < defaults[name] <= 10, name
