"""Web logins: sessions stored by token hash with idle and absolute expiry, and failed-login counting."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.accounts import create_user, set_active
from storage.logins import (
    LoginFailures,
    create_session,
    delete_session,
    delete_user_sessions,
    hash_token,
    live_session,
    login_failures,
    purge_expired_sessions,
    purge_login_attempts,
    record_login_attempt,
)
from storage.models_web import LoginAttempt, User, WebSession
from storage.status import UserRole

Sessions = async_sessionmaker[AsyncSession]
NOW = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=10)
LIMITS = {"idle_timeout": IDLE, "absolute_timeout": ABSOLUTE}
TOKEN = "q3J9-geheim-token-van-de-browser"


@pytest.fixture
async def anna(sessions: Sessions) -> User:
    """An active assistant (with an admin beside her, so she may be disabled)."""
    await create_user(
        sessions, username="admin", password_hash=HASH, role=UserRole.ADMIN, created_by=None, now=NOW
    )
    return await create_user(
        sessions, username="anna", password_hash=HASH, role=UserRole.ASSISTENT, created_by="admin", now=NOW
    )


async def _login(sessions: Sessions, user: User, token: str = TOKEN, at: datetime = NOW) -> WebSession:
    return await create_session(
        sessions,
        token_hash=hash_token(token),
        user_id=user.id,
        csrf_token=f"csrf-{token}",
        address="192.0.2.7",
        now=at,
        **LIMITS,
    )


def test_the_token_hash_is_the_sha256_hex_of_the_token() -> None:
    """hash_token gives the lowercase SHA-256 hex digest of the token's UTF-8 bytes."""
    assert hash_token(TOKEN) == hashlib.sha256(TOKEN.encode()).hexdigest()


async def test_a_session_stores_the_hash_and_never_the_token(sessions: Sessions, anna: User) -> None:
    """The stored row is keyed by the hash with the idle expiry; no column holds the token itself."""
    stored = await _login(sessions, anna)
    assert (stored.id, stored.user_id, stored.csrf_token, stored.address) == (
        hash_token(TOKEN),
        anna.id,
        f"csrf-{TOKEN}",
        "192.0.2.7",
    )
    assert (stored.created_at, stored.last_seen_at, stored.expires_at) == (NOW, NOW, NOW + IDLE)
    async with sessions() as session:
        row = (await session.execute(select(WebSession.__table__))).one()
    assert TOKEN not in [str(value) for value in row]


async def test_a_raw_token_in_place_of_its_hash_is_refused(sessions: Sessions, anna: User) -> None:
    """Anything but 64 lowercase hex digits as token_hash raises ValueError naming the field."""
    with pytest.raises(ValueError, match="token_hash"):
        await create_session(
            sessions,
            token_hash=TOKEN,
            user_id=anna.id,
            csrf_token="c",
            address="192.0.2.7",
            now=NOW,
            **LIMITS,
        )
    assert await live_session(sessions, TOKEN, now=NOW, **LIMITS) is None


async def test_a_live_session_gives_its_user_and_slides_the_idle_expiry(
    sessions: Sessions, anna: User
) -> None:
    """Each use within the idle time moves last_seen_at and expires_at forward."""
    await _login(sessions, anna)
    later = NOW + IDLE - timedelta(seconds=1)
    live = await live_session(sessions, hash_token(TOKEN), now=later, **LIMITS)
    assert live is not None
    assert (live.user_id, live.username, live.role, live.csrf_token) == (
        anna.id,
        "anna",
        UserRole.ASSISTENT,
        f"csrf-{TOKEN}",
    )
    assert (live.created_at, live.last_seen_at, live.expires_at) == (NOW, later, later + IDLE)
    again = await live_session(sessions, hash_token(TOKEN), now=later + IDLE - timedelta(seconds=1), **LIMITS)
    assert again is not None


async def test_an_idle_session_is_dead(sessions: Sessions, anna: User) -> None:
    """A session not used for the idle time is not live any more, and stays dead."""
    await _login(sessions, anna)
    assert await live_session(sessions, hash_token(TOKEN), now=NOW + IDLE, **LIMITS) is None
    # Asked again with an earlier clock: the dead session was deleted, not merely judged by the time.
    assert await live_session(sessions, hash_token(TOKEN), now=NOW + timedelta(seconds=1), **LIMITS) is None


async def test_the_absolute_maximum_ends_a_busy_session(sessions: Sessions, anna: User) -> None:
    """However often it is used, a session ends at created_at + the absolute maximum."""
    await _login(sessions, anna)
    at = NOW
    while at + IDLE / 2 < NOW + ABSOLUTE:
        at += IDLE / 2
        live = await live_session(sessions, hash_token(TOKEN), now=at, **LIMITS)
        assert live is not None
        assert live.expires_at == min(at + IDLE, NOW + ABSOLUTE)
    assert await live_session(sessions, hash_token(TOKEN), now=NOW + ABSOLUTE, **LIMITS) is None


async def test_a_stricter_absolute_limit_applies_to_existing_sessions(sessions: Sessions, anna: User) -> None:
    """A session made under a longer maximum is dead once the current maximum has passed."""
    await _login(sessions, anna)
    shorter = {"idle_timeout": IDLE, "absolute_timeout": timedelta(minutes=20)}
    assert await live_session(sessions, hash_token(TOKEN), now=NOW + timedelta(minutes=20), **shorter) is None


async def test_a_disabled_users_session_is_dead(sessions: Sessions, anna: User) -> None:
    """A session of a user who is not active is not live."""
    await _login(sessions, anna)
    await set_active(sessions, anna.id, False)
    assert await live_session(sessions, hash_token(TOKEN), now=NOW, **LIMITS) is None


async def test_unknown_tokens_are_not_live(sessions: Sessions, anna: User) -> None:
    """A hash nobody logged in with gives None."""
    await _login(sessions, anna)
    assert await live_session(sessions, hash_token("another"), now=NOW, **LIMITS) is None


async def test_logout_deletes_one_session(sessions: Sessions, anna: User) -> None:
    """delete_session ends that session only and tells whether there was one."""
    await _login(sessions, anna, "first")
    await _login(sessions, anna, "second")
    assert await delete_session(sessions, hash_token("first")) is True
    assert await delete_session(sessions, hash_token("first")) is False
    assert await live_session(sessions, hash_token("first"), now=NOW, **LIMITS) is None
    assert await live_session(sessions, hash_token("second"), now=NOW, **LIMITS) is not None


async def test_all_of_a_users_sessions_can_be_ended(sessions: Sessions, anna: User) -> None:
    """delete_user_sessions ends every session of that user and returns how many."""
    await _login(sessions, anna, "first")
    await _login(sessions, anna, "second")
    assert await delete_user_sessions(sessions, anna.id) == 2
    assert await live_session(sessions, hash_token("second"), now=NOW, **LIMITS) is None


async def test_purge_deletes_only_expired_sessions(sessions: Sessions, anna: User) -> None:
    """Sessions past their expiry go; live ones stay."""
    await _login(sessions, anna, "old", at=NOW - IDLE)
    await _login(sessions, anna, "new")
    assert await purge_expired_sessions(sessions, NOW) == 1
    async with sessions() as session:
        assert list(await session.scalars(select(WebSession.id))) == [hash_token("new")]


@pytest.mark.parametrize("idle", [timedelta(0), timedelta(seconds=-1)])
async def test_timeouts_must_be_positive(sessions: Sessions, anna: User, idle: timedelta) -> None:
    """A zero or negative idle timeout raises ValueError naming it."""
    with pytest.raises(ValueError, match="idle_timeout"):
        await live_session(sessions, hash_token(TOKEN), now=NOW, idle_timeout=idle, absolute_timeout=ABSOLUTE)


async def test_failed_logins_are_counted_per_name_and_per_address(sessions: Sessions) -> None:
    """Failures since the moment count per lower-cased name and per address; successes and older do not."""
    since = NOW - timedelta(minutes=15)
    attempts = [
        ("Anna", "192.0.2.7", False, NOW),
        ("anna", "192.0.2.8", False, NOW - timedelta(minutes=1)),
        ("ANNA", "192.0.2.7", True, NOW),
        ("anna", "192.0.2.7", False, since - timedelta(seconds=1)),
        ("bea", "192.0.2.7", False, since),
    ]
    for username, address, succeeded, at in attempts:
        await record_login_attempt(sessions, username=username, address=address, succeeded=succeeded, at=at)
    failures = await login_failures(sessions, username="ANNA ", address="192.0.2.7", since=since)
    assert failures == LoginFailures(username=2, address=2)


async def test_an_absurd_username_is_stored_cut_short(sessions: Sessions) -> None:
    """A login attempt with a huge name is still recorded and counted, not refused."""
    name = "A" * 1000
    await record_login_attempt(sessions, username=name, address="192.0.2.7", succeeded=False, at=NOW)
    failures = await login_failures(sessions, username=name, address="::1", since=NOW)
    assert failures == LoginFailures(username=1, address=0)


async def test_old_login_attempts_are_purged(sessions: Sessions) -> None:
    """Attempts before the cutoff go, newer ones stay."""
    for at in (NOW - timedelta(days=2), NOW):
        await record_login_attempt(sessions, username="anna", address="192.0.2.7", succeeded=False, at=at)
    assert await purge_login_attempts(sessions, NOW - timedelta(days=1)) == 1
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(LoginAttempt)) == 1


async def test_naive_times_are_refused(sessions: Sessions) -> None:
    """Recording or counting with a datetime without zone raises ValueError."""
    with pytest.raises(ValueError, match="at"):
        await record_login_attempt(
            sessions, username="anna", address="192.0.2.7", succeeded=False, at=datetime(2025, 3, 3)
        )
    with pytest.raises(ValueError, match="since"):
        await login_failures(sessions, username="anna", address="x", since=datetime(2025, 3, 3))
