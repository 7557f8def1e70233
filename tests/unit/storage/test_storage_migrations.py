"""The Alembic migrations create the schema the models describe, on both databases."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import Base

EXPECTED_TABLES = {"practice", "callback_request", "callback_attempt", "call_event", "slot_counter"}


async def _inspect(url: str, what: Any) -> Any:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(what)
    finally:
        await engine.dispose()


async def test_upgrade_creates_every_table(database_url: str) -> None:
    """An empty database gets all tables plus Alembic's version table."""
    await upgrade(database_url)
    tables = await _inspect(database_url, lambda c: set(inspect(c).get_table_names()))
    assert tables == EXPECTED_TABLES | {"alembic_version"}


async def test_upgrade_creates_the_query_indexes(database_url: str) -> None:
    """The indexes for callbacks of a day and events of a call exist after migrating."""
    await upgrade(database_url)

    def index_names(connection: Connection) -> set[str]:
        inspector = inspect(connection)
        return {ix["name"] for table in EXPECTED_TABLES for ix in inspector.get_indexes(table)}

    names = await _inspect(database_url, index_names)
    assert {"ix_callback_request_practice_id_slot_start", "ix_call_event_call_id_at"} <= names


async def test_upgrade_twice_is_harmless(database_url: str) -> None:
    """Starting the app again on a migrated database does not fail."""
    await upgrade(database_url)
    await upgrade(database_url)
    version = await _inspect(database_url, lambda c: MigrationContext.configure(c).get_current_revision())
    assert version is not None


async def test_models_match_the_migrations(database_url: str) -> None:
    """A model changed without a new revision shows up here as a schema difference."""
    await upgrade(database_url)
    diff = await _inspect(
        database_url,
        lambda c: compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}), Base.metadata),
    )
    assert diff == []
