"""`python -m reports.generate` on a fresh SQLite database: the schema made, the history written once."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from reports.generate import main
from reports.history import generate_history
from storage.call_events import events_between
from storage.db import make_engine, session_factory
from storage.practices import practice_by_slug

MONDAY = dt.date(2026, 11, 2)


async def _stored(url: str, slug: str) -> tuple[int, set[str]]:
    engine = make_engine(url)
    try:
        sessions = session_factory(engine)
        practice = await practice_by_slug(sessions, slug)
        assert practice is not None
        start = dt.datetime.combine(MONDAY, dt.time(), dt.UTC)
        rows = await events_between(sessions, practice.id, start, start + dt.timedelta(days=30))
        return len(rows), {row.call_id for row in rows}
    finally:
        await engine.dispose()


def test_generate_writes_the_history_into_a_new_database_once(tmp_path: Path, capsys) -> None:
    """Three days for practice "duo": every generated event stored; the same run again adds none."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'history.sqlite3'}"
    argv = ["--database", url, *"--from 2026-11-02 --days 3 --seed 7 --practice duo".split()]
    history = generate_history(MONDAY, 3, seed=7)

    assert main(argv) == 0
    assert capsys.readouterr().out.startswith(f"{len(history.events)} events written")
    count, calls = asyncio.run(_stored(url, "duo"))
    assert count == len(history.events)
    assert calls == {event.call_id for event in history.events}

    assert main(argv) == 0
    assert capsys.readouterr().out.startswith("0 events written")
    assert asyncio.run(_stored(url, "duo"))[0] == len(history.events)


def test_generate_refuses_a_bad_date(tmp_path: Path, capsys) -> None:
    """A --from that is no date is an argument error (2), and no database is made."""
    database = tmp_path / "never.sqlite3"
    argv = ["--database", f"sqlite+aiosqlite:///{database}", "--from", "2026-13-01"]
    assert main(argv) == 2
    assert "not a date" in capsys.readouterr().err
    assert not database.exists()
