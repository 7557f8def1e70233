"""Every version of the menu and capacity YAML kept, with who, when, and which one runs."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.config_versions import (
    add_config_version,
    config_version,
    config_versions,
    latest_applied_config,
    mark_config_applied,
)
from storage.status import ConfigKind

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
MENU_1 = "practice:\n  id: de-linde\n"
MENU_2 = "practice:\n  id: de-linde\n  name: De Linde\n"


async def test_a_version_keeps_content_hash_author_and_note(sessions: Sessions) -> None:
    """A stored version has its text, SHA-256, creator, time and note, and is not applied yet."""
    version, created = await add_config_version(
        sessions, kind="menu", content=MENU_1, created_by="admin", now=NOW, note="eerste versie"
    )
    assert created is True
    stored = await config_version(sessions, version.id)
    assert stored is not None
    assert (stored.kind, stored.content, stored.sha256) == (
        ConfigKind.MENU,
        MENU_1,
        hashlib.sha256(MENU_1.encode()).hexdigest(),
    )
    assert (stored.created_by, stored.created_at, stored.note, stored.applied_at) == (
        "admin",
        NOW,
        "eerste versie",
        None,
    )


async def test_content_identical_to_the_latest_is_not_stored_twice(sessions: Sessions) -> None:
    """Saving the same text again returns the latest version instead of a copy; other kinds are apart."""
    first, _ = await add_config_version(sessions, kind="menu", content=MENU_1, created_by="admin", now=NOW)
    again, created = await add_config_version(
        sessions, kind=ConfigKind.MENU, content=MENU_1, created_by="bea", now=NOW + timedelta(minutes=1)
    )
    assert (again.id, created) == (first.id, False)
    capacity, created = await add_config_version(
        sessions, kind="capacity", content=MENU_1, created_by="admin", now=NOW
    )
    assert created is True
    assert capacity.id != first.id
    assert [v.id for v in await config_versions(sessions, "menu")] == [first.id]


async def test_going_back_to_an_older_text_makes_a_new_version(sessions: Sessions) -> None:
    """Restoring version 1 after version 2 stores a third version with the note saying so."""
    first, _ = await add_config_version(sessions, kind="menu", content=MENU_1, created_by="admin", now=NOW)
    second, _ = await add_config_version(sessions, kind="menu", content=MENU_2, created_by="admin", now=NOW)
    back, created = await add_config_version(
        sessions,
        kind="menu",
        content=first.content,
        created_by="bea",
        now=NOW + timedelta(hours=1),
        note=f"teruggezet naar versie {first.id}",
    )
    assert created is True
    listed = await config_versions(sessions, ConfigKind.MENU)
    assert [v.id for v in listed] == [back.id, second.id, first.id]
    assert listed[0].note == f"teruggezet naar versie {first.id}"


async def test_the_list_pages_newest_first(sessions: Sessions) -> None:
    """limit and offset page through one kind's versions, newest first."""
    ids = []
    for n in range(4):
        version, _ = await add_config_version(
            sessions, kind="capacity", content=f"v{n}", created_by="admin", now=NOW
        )
        ids.append(version.id)
    assert [v.id for v in await config_versions(sessions, "capacity", limit=2, offset=1)] == [ids[2], ids[1]]


async def test_the_latest_applied_version_is_the_running_one(sessions: Sessions) -> None:
    """The version applied last is the latest applied, also when an older one is applied again."""
    assert await latest_applied_config(sessions, "menu") is None
    first, _ = await add_config_version(sessions, kind="menu", content=MENU_1, created_by="admin", now=NOW)
    second, _ = await add_config_version(sessions, kind="menu", content=MENU_2, created_by="admin", now=NOW)
    await add_config_version(sessions, kind="capacity", content="x", created_by="admin", now=NOW)
    applied = await mark_config_applied(sessions, first.id, now=NOW + timedelta(minutes=1))
    assert applied.applied_at == NOW + timedelta(minutes=1)
    await mark_config_applied(sessions, second.id, now=NOW + timedelta(minutes=2))
    latest = await latest_applied_config(sessions, "menu")
    assert latest is not None
    assert latest.id == second.id
    await mark_config_applied(sessions, first.id, now=NOW + timedelta(minutes=3))
    latest = await latest_applied_config(sessions, "menu")
    assert latest is not None
    assert latest.id == first.id
    assert await latest_applied_config(sessions, "capacity") is None


async def test_bad_input_is_refused(sessions: Sessions) -> None:
    """An unknown kind, a naive time or an unknown version raise an error naming what is wrong."""
    with pytest.raises(ValueError, match="kind"):
        await add_config_version(sessions, kind="prompts", content="x", created_by="admin", now=NOW)
    with pytest.raises(ValueError, match="now"):
        await add_config_version(
            sessions, kind="menu", content="x", created_by="admin", now=datetime(2025, 3, 3)
        )
    with pytest.raises(LookupError, match="999"):
        await mark_config_applied(sessions, 999, now=NOW)
    assert await config_version(sessions, 999) is None
    assert await config_versions(sessions, "menu") == []
