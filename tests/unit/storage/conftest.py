"""Fixtures running every storage test on SQLite and on PostgreSQL.

PostgreSQL comes from ``TERUGBEL_TEST_PG_URL`` (default: the local ``terugbel_test`` database that
``scripts/ensure-postgres`` provides). Each test gets its own scratch database on that server. If the
server is unreachable the PostgreSQL variants fail, unless ``TERUGBEL_SKIP_PG=1``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.db import make_engine, session_factory
from storage.migrate import upgrade
from storage.models import CallbackRequest, Practice
from storage.practices import ensure_practice
from storage.queue import join_queue, keep_place
from storage.scratch_db import create_scratch_database, drop_database
from tests.pg import pg_admin_url

# Enough connections for the concurrency tests to really overlap on the server.
POOL_SIZE = 20


async def _scratch_pg_database() -> str:
    admin = pg_admin_url()
    try:
        return await create_scratch_database(admin, prefix="terugbel_test_t")
    except Exception as exc:  # any failure to reach or use the server ends up here
        problem = f"{type(exc).__name__}: {getattr(exc, 'orig', None) or exc}"
    # Outside the except block, so the report shows this message rather than a chain of tracebacks.
    message = (
        f"PostgreSQL test server not usable at {make_url(admin).render_as_string(hide_password=True)} "
        f"({problem}). Run scripts/ensure-postgres, point TERUGBEL_TEST_PG_URL at a server, "
        "or set TERUGBEL_SKIP_PG=1 to skip the PostgreSQL variants."
    )
    if os.environ.get("TERUGBEL_SKIP_PG") == "1":
        pytest.skip(message)
    pytest.fail(message, pytrace=False)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database: a fresh SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'terugbel.sqlite3'}"
        return
    url = await _scratch_pg_database()
    try:
        yield url
    finally:
        await drop_database(pg_admin_url(), url)


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """An empty PostgreSQL database, for what only PostgreSQL has (e.g. a server-side statement timeout)."""
    url = await _scratch_pg_database()
    try:
        yield url
    finally:
        await drop_database(pg_admin_url(), url)


@pytest.fixture
async def migrated_url(database_url: str) -> str:
    """The database with the schema created by the migrations."""
    await upgrade(database_url)
    return database_url


@pytest.fixture
async def engine(migrated_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the migrated database with a pool large enough for real concurrency."""
    engine = make_engine(migrated_url, pool_size=POOL_SIZE, max_overflow=0)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """The session factory the storage functions take."""
    return session_factory(engine)


@pytest.fixture
async def practice(sessions: async_sessionmaker[AsyncSession]) -> Practice:
    """A registered practice."""
    return await ensure_practice(
        sessions, slug="de-linde", name="Huisartsenpraktijk De Linde", number="0201234567"
    )


KeepPlace = Callable[..., Awaitable[CallbackRequest]]


@pytest.fixture
def kept_place(sessions: async_sessionmaker[AsyncSession], practice: Practice) -> KeepPlace:
    """A caller who joined the queue at `arrived_at` and kept the place: `await kept_place(at, phone)`."""

    async def keep(
        arrived_at: datetime, phone: str = "0612345678", *, call_id: str | None = None
    ) -> CallbackRequest:
        call_id = call_id or f"call-{phone}-{arrived_at:%Y%m%dT%H%M%S}"
        entry = await join_queue(
            sessions,
            practice_id=practice.id,
            call_id=call_id,
            channel_id=f"chan-{call_id}",
            phone=phone,
            group="overige",
            rank=1,
            arrived_at=arrived_at,
        )
        request = await keep_place(sessions, entry.id, phone=phone, number_source="caller_id", now=arrived_at)
        assert request is not None
        return request

    return keep
