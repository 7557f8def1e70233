"""Throw-away PostgreSQL databases for tests and benchmarks.

A database per run (rather than one shared schema) keeps runs isolated even when several engineers or
CI jobs use the same server at once.
"""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool


async def create_scratch_database(admin_url: str, prefix: str = "terugbel_scratch") -> str:
    """Create an empty database on the server of ``admin_url`` and return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    await _execute_autocommit(admin_url, f'CREATE DATABASE "{name}" TEMPLATE template0')
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


async def drop_database(admin_url: str, url: str) -> None:
    """Drop the database of ``url``, disconnecting whoever is still connected to it."""
    name = make_url(url).database
    if not name or name == make_url(admin_url).database:
        raise ValueError(f"refusing to drop {name!r}")
    await _execute_autocommit(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _execute_autocommit(url: str, sql: str) -> None:
    # CREATE/DROP DATABASE cannot run inside a transaction block.
    # A short connect timeout: an unreachable server should fail fast with a clear message, not hang.
    engine = create_async_engine(
        url, isolation_level="AUTOCOMMIT", poolclass=NullPool, connect_args={"timeout": 10}
    )
    try:
        async with engine.connect() as connection:
            await connection.execute(text(sql))
    finally:
        await engine.dispose()
