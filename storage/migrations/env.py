"""Alembic environment for terugbel, usable programmatically (storage.migrate) and from the CLI.

Programmatic runs hand in an open connection through ``config.attributes["connection"]`` because they
already run inside an event loop; the CLI (``alembic -c storage/alembic.ini ...``) builds its own
engine from ``TERUGBEL_DATABASE_URL`` or ``sqlalchemy.url``.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection

import storage.models_intake  # the intake's and the outbox's tables, on Base.metadata
import storage.models_web  # noqa: F401  (puts the screen's tables on Base.metadata)
from storage.db import make_engine
from storage.migrate import MIGRATION_COMMAND_TIMEOUT
from storage.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        # SQLite can only ALTER via table copies; batch mode lets future revisions run on both.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def _cli_url() -> str:
    url = os.environ.get("TERUGBEL_DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set TERUGBEL_DATABASE_URL or sqlalchemy.url to run migrations")
    return url


async def _run_with_own_engine(url: str) -> None:
    engine = make_engine(url, command_timeout=MIGRATION_COMMAND_TIMEOUT)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_configure)
            await connection.commit()
    finally:
        await engine.dispose()


def _run_offline() -> None:
    context.configure(url=_cli_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    _run_offline()
elif (shared := config.attributes.get("connection")) is not None:
    _configure(shared)
else:
    asyncio.run(_run_with_own_engine(_cli_url()))
