"""Users of the screen and the admin pages: unique names, roles, and never without an active admin."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.accounts import (
    LastAdmin,
    UnknownUser,
    UsernameTaken,
    count_active_admins,
    create_user,
    list_users,
    set_active,
    set_password_hash,
    set_role,
    user_by_id,
    user_by_username,
)
from storage.logins import create_session, hash_token, live_session
from storage.models_web import User, WebSession
from storage.status import UserRole

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
OTHER_HASH = "$argon2id$v=19$m=65536,t=3,p=4$b3RoZXJzYWx0$b3RoZXJoYXNo"


async def _user(sessions: Sessions, username: str, role: UserRole | str = UserRole.ASSISTENT) -> User:
    return await create_user(
        sessions, username=username, password_hash=HASH, role=role, created_by="setup", now=NOW
    )


async def test_create_stores_every_field_and_looks_up_case_insensitively(sessions: Sessions) -> None:
    """A created user is found again by any spelling of its name, with role, hash, creator and time."""
    created = await create_user(
        sessions, username=" Anna.de-Vries ", password_hash=HASH, role="admin", created_by="cli", now=NOW
    )
    found = await user_by_username(sessions, "ANNA.DE-VRIES")
    assert found is not None
    assert (found.id, found.username, found.password_hash, found.role, found.active) == (
        created.id,
        "anna.de-vries",
        HASH,
        UserRole.ADMIN,
        True,
    )
    assert (found.created_by, found.created_at) == ("cli", NOW)
    assert await user_by_id(sessions, created.id) is not None


async def test_a_duplicate_name_in_any_case_is_refused(sessions: Sessions) -> None:
    """A second user with the same name, whatever its case, raises UsernameTaken and stores nothing."""
    await _user(sessions, "anna")
    with pytest.raises(UsernameTaken, match="anna"):
        await _user(sessions, "ANNA")
    assert [u.username for u in await list_users(sessions)] == ["anna"]


async def test_simultaneous_creates_of_one_name_store_it_once(sessions: Sessions) -> None:
    """Of several creates of one name at the same moment, one succeeds and the others get UsernameTaken."""
    results = await asyncio.gather(*(_user(sessions, "bea") for _ in range(5)), return_exceptions=True)
    assert sum(isinstance(r, User) for r in results) == 1
    assert sum(isinstance(r, UsernameTaken) for r in results) == 4
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 1


@pytest.mark.parametrize("username", ["", "   ", "an na", "x" * 65, "anna\n", "ann\u00e4"])
async def test_a_bad_username_is_refused_naming_the_field(sessions: Sessions, username: str) -> None:
    """Empty, spaced, too long or non-ASCII names raise ValueError naming `username`."""
    with pytest.raises(ValueError, match="username"):
        await _user(sessions, username)
    assert await list_users(sessions) == []


@pytest.mark.parametrize("password_hash", ["", "geheim123", "$2b$12$bcryptbcryptbcrypt"])
async def test_anything_but_an_argon2_hash_is_refused(sessions: Sessions, password_hash: str) -> None:
    """A plain password (or another scheme) never reaches the database: ValueError naming the field."""
    with pytest.raises(ValueError, match="password_hash"):
        await create_user(
            sessions, username="anna", password_hash=password_hash, role="assistent", created_by=None, now=NOW
        )
    assert await list_users(sessions) == []


async def test_an_unknown_role_and_a_naive_time_are_refused(sessions: Sessions) -> None:
    """A role outside the enum and a datetime without zone raise ValueError."""
    with pytest.raises(ValueError, match="role"):
        await _user(sessions, "anna", role="dokter")
    with pytest.raises(ValueError, match="now"):
        await create_user(
            sessions,
            username="anna",
            password_hash=HASH,
            role="admin",
            created_by=None,
            now=datetime(2025, 3, 3, 8, 0),
        )


async def test_lookup_of_a_name_that_cannot_exist_is_none(sessions: Sessions) -> None:
    """Whatever a login form sends, the lookup answers None instead of raising."""
    assert await user_by_username(sessions, "nobody") is None
    assert await user_by_username(sessions, "x" * 500) is None
    assert await user_by_username(sessions, "") is None
    assert await user_by_id(sessions, 12345) is None


async def test_list_is_ordered_by_name(sessions: Sessions) -> None:
    """Users are listed alphabetically, whatever order they were made in."""
    for name in ("carla", "anna", "bea"):
        await _user(sessions, name)
    assert [u.username for u in await list_users(sessions)] == ["anna", "bea", "carla"]


async def test_role_and_active_change_and_admins_are_counted(sessions: Sessions) -> None:
    """Promoting and disabling are stored; only active admins count."""
    admin = await _user(sessions, "admin", UserRole.ADMIN)
    anna = await _user(sessions, "anna")
    assert await count_active_admins(sessions) == 1
    promoted = await set_role(sessions, anna.id, "admin")
    assert promoted.role == UserRole.ADMIN
    assert await count_active_admins(sessions) == 2
    disabled = await set_active(sessions, admin.id, False)
    assert disabled.active is False
    assert await count_active_admins(sessions) == 1
    assert (await set_active(sessions, admin.id, True)).active is True
    assert await count_active_admins(sessions) == 2


async def test_the_last_active_admin_cannot_be_demoted_or_disabled(sessions: Sessions) -> None:
    """Demoting or disabling the only active admin raises LastAdmin and changes nothing."""
    admin = await _user(sessions, "admin", UserRole.ADMIN)
    other = await _user(sessions, "oud", UserRole.ADMIN)
    await set_active(sessions, other.id, False)  # an inactive admin does not count
    with pytest.raises(LastAdmin):
        await set_role(sessions, admin.id, UserRole.ASSISTENT)
    with pytest.raises(LastAdmin):
        await set_active(sessions, admin.id, False)
    stored = await user_by_id(sessions, admin.id)
    assert stored is not None
    assert (stored.role, stored.active) == (UserRole.ADMIN, True)
    assert await count_active_admins(sessions) == 1


async def test_changes_that_keep_an_admin_are_allowed(sessions: Sessions) -> None:
    """Disabling an assistant or setting the last admin's own role again is fine."""
    admin = await _user(sessions, "admin", UserRole.ADMIN)
    anna = await _user(sessions, "anna")
    assert (await set_active(sessions, anna.id, False)).active is False
    assert (await set_role(sessions, admin.id, UserRole.ADMIN)).role == UserRole.ADMIN
    assert (await set_active(sessions, admin.id, True)).active is True


async def test_two_admins_disabling_each_other_at_once_leave_one(sessions: Sessions) -> None:
    """Two simultaneous changes that would each leave one admin cannot together leave none."""
    for round_no in range(5):
        first = await _user(sessions, f"a{round_no}", UserRole.ADMIN)
        second = await _user(sessions, f"b{round_no}", UserRole.ADMIN)
        others = [u for u in await list_users(sessions) if u.id not in (first.id, second.id)]
        for user in others:
            if user.active and user.role == UserRole.ADMIN:
                await set_active(sessions, user.id, False)
        results = await asyncio.gather(
            set_active(sessions, first.id, False),
            set_role(sessions, second.id, UserRole.ASSISTENT),
            return_exceptions=True,
        )
        assert sum(isinstance(r, LastAdmin) for r in results) == 1, results
        assert await count_active_admins(sessions) == 1


async def test_changes_to_an_unknown_user_raise_unknown_user(sessions: Sessions) -> None:
    """Changing a user id that does not exist raises UnknownUser (a LookupError)."""
    with pytest.raises(UnknownUser):
        await set_role(sessions, 999, "admin")
    with pytest.raises(LookupError):
        await set_active(sessions, 999, True)
    with pytest.raises(UnknownUser):
        await set_password_hash(sessions, 999, HASH)


async def test_a_new_password_hash_replaces_the_old(sessions: Sessions) -> None:
    """The stored hash is the new one; a plain password is refused."""
    anna = await _user(sessions, "anna")
    assert (await set_password_hash(sessions, anna.id, OTHER_HASH)).password_hash == OTHER_HASH
    with pytest.raises(ValueError, match="password_hash"):
        await set_password_hash(sessions, anna.id, "welkom01")
    stored = await user_by_id(sessions, anna.id)
    assert stored is not None
    assert stored.password_hash == OTHER_HASH


async def test_disabling_a_user_ends_their_sessions_for_good(sessions: Sessions) -> None:
    """A disabled user's logins are deleted, so enabling them again does not bring an old login back."""
    await _user(sessions, "admin", UserRole.ADMIN)
    anna = await _user(sessions, "anna")
    limits = {"idle_timeout": timedelta(hours=1), "absolute_timeout": timedelta(hours=8)}
    await create_session(
        sessions,
        token_hash=hash_token("t"),
        user_id=anna.id,
        csrf_token="c",
        address="10.0.0.1",
        now=NOW,
        **limits,
    )
    await set_active(sessions, anna.id, False)
    await set_active(sessions, anna.id, True)
    assert await live_session(sessions, hash_token("t"), now=NOW, **limits) is None
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(WebSession)) == 0
