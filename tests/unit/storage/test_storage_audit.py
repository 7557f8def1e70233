"""The audit trail: who saw a full number and who changed what, without numbers, kept as long as the data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.audit import audit_entries, record_audit
from storage.retention import purge_older_than

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)


async def test_an_entry_keeps_who_what_and_when(sessions: Sessions) -> None:
    """A recorded entry comes back with its user, action, target, JSON detail and time."""
    entry = await record_audit(
        sessions,
        username="anna",
        action="nummer_bekeken",
        target_type="callback_request",
        target_id=42,
        detail={"reden": "terugbellen", "pogingen": [1, 2]},
        at=NOW,
    )
    (stored,) = await audit_entries(sessions)
    assert stored.id == entry.id
    assert (stored.at, stored.username, stored.action, stored.target_type, stored.target_id) == (
        NOW,
        "anna",
        "nummer_bekeken",
        "callback_request",
        "42",
    )
    assert stored.detail == {"reden": "terugbellen", "pogingen": [1, 2]}


async def test_phone_numbers_in_the_detail_are_masked(sessions: Sessions) -> None:
    """A number anywhere in the detail, however nested or spelled, is stored masked."""
    await record_audit(
        sessions,
        username="anna",
        action="verwijderd",
        detail={"note": "pt belde zelf: 06-12345678", "extra": ["+31 6 1234 5678", {"n": "0201234567"}]},
        target_id="0612345678",
        at=NOW,
    )
    (stored,) = await audit_entries(sessions)
    assert stored.detail == {
        "note": "pt belde zelf: **-******78",
        "extra": ["+** * **** **78", {"n": "********67"}],
    }
    assert stored.target_id == "********78"


async def test_entries_are_listed_newest_first_in_pages(sessions: Sessions) -> None:
    """The list is newest first; limit and offset page through it; filters narrow it."""
    for minute in range(5):
        await record_audit(
            sessions,
            username="anna" if minute % 2 else "bea",
            action="nummer_bekeken",
            target_type="callback_request",
            target_id=minute,
            at=NOW + timedelta(minutes=minute),
        )
    first = await audit_entries(sessions, limit=2)
    second = await audit_entries(sessions, limit=2, offset=2)
    assert [e.target_id for e in first + second] == ["4", "3", "2", "1"]
    assert [e.target_id for e in await audit_entries(sessions, username="anna")] == ["3", "1"]
    by_target = await audit_entries(sessions, target_type="callback_request", target_id=2)
    assert [e.username for e in by_target] == ["bea"]


async def test_bad_entries_are_refused(sessions: Sessions) -> None:
    """An empty action, a naive time or a bad page raise ValueError naming the field."""
    with pytest.raises(ValueError, match="action"):
        await record_audit(sessions, username="anna", action=" ", at=NOW)
    with pytest.raises(ValueError, match="at"):
        await record_audit(sessions, username="anna", action="x", at=datetime(2025, 3, 3))
    with pytest.raises(ValueError, match="limit"):
        await audit_entries(sessions, limit=0)
    assert await audit_entries(sessions) == []


async def test_retention_deletes_audit_entries_older_than_the_cutoff(sessions: Sessions) -> None:
    """purge_older_than removes audit rows before the cutoff, keeps newer ones and counts them."""
    for at in (NOW - timedelta(days=100), NOW - timedelta(days=1)):
        await record_audit(sessions, username="anna", action="nummer_bekeken", at=at)
    purged = await purge_older_than(sessions, NOW - timedelta(days=90))
    assert purged.audit_entries == 1
    assert [e.at for e in await audit_entries(sessions)] == [NOW - timedelta(days=1)]
