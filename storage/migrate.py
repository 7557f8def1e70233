"""Run the Alembic migrations from code, so the app and the tests create the schema the same way."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from storage.db import make_engine

# Found through the package, not the working directory: the app may be started from anywhere.
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    """Return an Alembic config pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def _upgrade_on(connection: Connection, config: Config, revision: str) -> None:
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


# Seconds one migration statement may run on PostgreSQL: a backfill of a large table can take far longer
# than the few seconds a call's statement gets, but a hung server must still not block for ever.
MIGRATION_COMMAND_TIMEOUT = 300.0


async def upgrade(
    url: str, revision: str = "head", *, command_timeout: float | None = MIGRATION_COMMAND_TIMEOUT
) -> None:
    """Bring the database at ``url`` up to ``revision`` (the newest by default)."""
    engine = make_engine(url, pool_size=1, max_overflow=0, command_timeout=command_timeout)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_upgrade_on, alembic_config(), revision)
            await connection.commit()
    finally:
        await engine.dispose()
