"""Engine setup: SQLite connection settings, foreign keys on both databases, the default URL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
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
