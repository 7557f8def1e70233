"""``terugbel callbacks list``: a day's callbacks, masked unless --full, as a table or JSON."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.bookings import book_callback, cancel_callback
from storage.listing import run
from storage.models import Practice
from storage.practices import ensure_practice

if TYPE_CHECKING:  # the storage tests' conftest, which pytest imports itself
    from conftest import KeepPlace

Sessions = async_sessionmaker[AsyncSession]
QUARTER = timedelta(minutes=15)
# 2025-03-03 is a Monday in winter time: Amsterdam is UTC+1.
NINE_LOCAL = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)


async def _book(sessions: Sessions, practice: Practice, start: datetime, phone: str, **extra: object) -> int:
    request = await book_callback(
        sessions,
        practice_id=practice.id,
        slot_start=start,
        slot_end=start + QUARTER,
        capacity=5,
        phone=phone,
        number_source="caller_id",
        **extra,  # type: ignore[arg-type]
    )
    assert request is not None
    return request.id


async def _list(url: str, *argv: str) -> int:
    # run() drives its own event loop, as the CLI does; keep it off the test's loop.
    return await asyncio.to_thread(run, list(argv), database_url=url)


@pytest.fixture
async def day(sessions: Sessions, practice: Practice) -> None:
    """Three callbacks on 2025-03-03 local time, and one just after local midnight."""
    await _book(sessions, practice, NINE_LOCAL + QUARTER, "0612345678", reason="Recept\nherhalen")
    await _book(sessions, practice, NINE_LOCAL, "+31687654321", priority=True, voice_note_ref="vn/7.wav")
    cancelled = await _book(sessions, practice, NINE_LOCAL + 2 * QUARTER, "0611111111", source="online")
    await cancel_callback(sessions, cancelled)
    # 23:30 UTC on the 3rd is 00:30 on the 4th in Amsterdam: belongs to the next day.
    await _book(sessions, practice, datetime(2025, 3, 3, 23, 30, tzinfo=UTC), "0622222222")


@pytest.mark.usefixtures("day")
async def test_table_masks_numbers_and_orders_by_local_slot(
    migrated_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Numbers are masked, times are Amsterdam time, rows are in slot order."""
    assert await _list(migrated_url, "--date", "2025-03-03") == 0
    out = capsys.readouterr().out
    assert "0612345678" not in out and "+31687654321" not in out
    lines = out.splitlines()
    assert lines[0] == "Callbacks 2025-03-03 (Europe/Amsterdam): 3"
    assert lines[1].split() == ["TIME", "NUMBER", "SOURCE", "STATUS", "PRIO", "REASON"]
    assert lines[2].split()[:5] == ["09:00-09:15", "+*********21", "phone", "booked", "yes"]
    assert lines[3].split() == ["09:15-09:30", "********78", "phone", "booked", "-", "Recept", "herhalen"]
    assert lines[4].split()[:4] == ["09:30-09:45", "********11", "online", "cancelled"]
    assert "[voice note]" in lines[2]
    assert len(lines) == 5 and "********22" not in out  # the 00:30 call belongs to the 4th


@pytest.mark.usefixtures("day")
async def test_full_shows_numbers(migrated_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """--full prints the numbers the assistant has to dial."""
    assert await _list(migrated_url, "--date", "2025-03-03", "--full") == 0
    out = capsys.readouterr().out
    assert "0612345678" in out and "+31687654321" in out


@pytest.mark.usefixtures("day")
async def test_json_lists_the_day_with_masked_numbers(
    migrated_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """--json prints parseable JSON with local times and masked numbers, no recording names."""
    assert await _list(migrated_url, "--date", "2025-03-04", "--json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["date"] == "2025-03-04"
    [only] = data["callbacks"]
    assert only["slot_start"] == "2025-03-04T00:30:00+01:00"
    assert only["phone"] == "********22"
    assert "voice_note_ref" not in only


@pytest.mark.usefixtures("day")
async def test_json_full_includes_numbers_and_voice_notes(
    migrated_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """--json --full carries what the assistant needs to call back."""
    assert await _list(migrated_url, "--date", "2025-03-03", "--json", "--full") == 0
    first = json.loads(capsys.readouterr().out)["callbacks"][0]
    assert (first["phone"], first["priority"], first["voice_note_ref"]) == ("+31687654321", True, "vn/7.wav")


async def test_practice_column_appears_with_several_practices(
    sessions: Sessions, practice: Practice, migrated_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Callbacks of two practices show which practice each belongs to; --practice filters."""
    other = await ensure_practice(sessions, slug="het-anker", name="Het Anker", number="0107654321")
    await _book(sessions, practice, NINE_LOCAL, "0612345678")
    await _book(sessions, other, NINE_LOCAL, "0687654321")
    assert await _list(migrated_url, "--date", "2025-03-03") == 0
    assert "PRACTICE" in capsys.readouterr().out
    assert await _list(migrated_url, "--date", "2025-03-03", "--practice", "het-anker") == 0
    out = capsys.readouterr().out
    assert "PRACTICE" not in out and "********21" in out and "********78" not in out


async def test_empty_day_and_bad_date(migrated_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """An empty day says so; an invalid date is a usage error (exit 2), not a crash."""
    assert await _list(migrated_url, "--date", "2025-03-03") == 0
    assert capsys.readouterr().out.strip() == "Callbacks 2025-03-03 (Europe/Amsterdam): 0"
    assert await _list(migrated_url, "--date", "3 maart") == 2
    assert "not a date" in capsys.readouterr().err


async def test_unmigrated_database_is_reported(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A database without schema gives exit 1 and a message, not a traceback."""
    assert await _list(database_url, "--date", "2025-03-03") == 1
    assert "cannot read the database" in capsys.readouterr().err


async def test_kept_places_are_listed_at_their_queue_arrival(
    sessions: Sessions,
    practice: Practice,
    kept_place: KeepPlace,
    migrated_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A kept place shows on the day and at the local time its caller was in the queue."""
    await _book(sessions, practice, NINE_LOCAL, "0612345678")
    await kept_place(NINE_LOCAL - QUARTER, "0687654321")  # 08:45 local
    capsys.readouterr()  # the storage log lines
    assert await _list(migrated_url, "--date", "2025-03-03") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Callbacks 2025-03-03 (Europe/Amsterdam): 2"
    assert lines[2].split()[:4] == ["wachtrij", "08:45", "********21", "phone"]
    assert lines[3].split()[:2] == ["09:00-09:15", "********78"]

    assert await _list(migrated_url, "--date", "2025-03-03", "--json") == 0
    kept, slot = json.loads(capsys.readouterr().out)["callbacks"]
    assert (kept["kind"], kept["slot_start"], kept["slot_end"]) == ("kept_place", None, None)
    assert kept["queued_at"] == kept["due_at"] == "2025-03-03T08:45:00+01:00"
    assert (slot["kind"], slot["due_at"], slot["outcome_note"]) == ("slot", slot["slot_start"], None)
