"""Web logins: sessions stored by the hash of their token, idle and absolute expiry, failed-login counts.

The browser holds a random token; the database only its SHA-256 (``hash_token``), so someone reading the
database or a backup cannot take over a login. A session lives while it is used within the idle timeout,
and never longer than the absolute maximum after it was made. Both limits are passed in on every check,
so a stricter setting applies at once to sessions made under the old one. A session found dead is
deleted, so it stays dead even if the clock or the limits change afterwards.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import Table, and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import ScalarSelect

from storage.accounts import normalize_username
from storage.models_web import ADDRESS_LENGTH, USERNAME_LENGTH, LoginAttempt, User, WebSession
from storage.retry import with_retry
from storage.status import UserRole
from storage.types import require_aware

log = structlog.get_logger(__name__)

Sessions = async_sessionmaker[AsyncSession]

_session: Table = WebSession.__table__  # type: ignore[assignment]
_user: Table = User.__table__  # type: ignore[assignment]
_attempt: Table = LoginAttempt.__table__  # type: ignore[assignment]

_TOKEN_HASH = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class LiveSession:
    """A session still in force, with its user as they are now."""

    token_hash: str
    user_id: int
    username: str
    role: UserRole
    csrf_token: str
    address: str | None
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class LoginFailures:
    """Failed logins since a moment: for one user name and from one address."""

    username: int
    address: int


def hash_token(token: str) -> str:
    """Return the lowercase hex SHA-256 of the token's UTF-8 bytes: the only form a token is stored in."""
    return hashlib.sha256(token.encode()).hexdigest()


def _check_limits(idle_timeout: timedelta, absolute_timeout: timedelta) -> None:
    for name, value in (("idle_timeout", idle_timeout), ("absolute_timeout", absolute_timeout)):
        if value <= timedelta(0):
            raise ValueError(f"{name} must be positive, got {value}")


def _expiry(now: datetime, created_at: datetime, idle: timedelta, absolute: timedelta) -> datetime:
    return min(now + idle, created_at + absolute)


async def create_session(
    sessions: Sessions,
    *,
    token_hash: str,
    user_id: int,
    csrf_token: str,
    address: str | None,
    now: datetime,
    idle_timeout: timedelta,
    absolute_timeout: timedelta,
) -> WebSession:
    """Store a new login for ``user_id`` under ``token_hash`` (see ``hash_token``) and return it.

    Refuses anything but a SHA-256 hex digest as ``token_hash``, so a raw token cannot be stored by mistake.
    """
    if not _TOKEN_HASH.fullmatch(token_hash):
        raise ValueError("token_hash must be 64 lowercase hex digits: store hash_token(token), not the token")
    _check_limits(idle_timeout, absolute_timeout)
    require_aware(now=now)
    row = WebSession(
        id=token_hash,
        user_id=user_id,
        csrf_token=csrf_token,
        address=address[:ADDRESS_LENGTH] if address is not None else None,
        created_at=now,
        last_seen_at=now,
        expires_at=_expiry(now, now, idle_timeout, absolute_timeout),
    )

    async def transaction() -> None:
        async with sessions() as session, session.begin():
            session.add(row)

    await with_retry(transaction, what="create_session")
    log.info("web_session_created", user_id=user_id, address=row.address)
    return row


async def live_session(
    sessions: Sessions,
    token_hash: str,
    *,
    now: datetime,
    idle_timeout: timedelta,
    absolute_timeout: timedelta,
) -> LiveSession | None:
    """Return the session under ``token_hash`` with its user and move its idle expiry on, or None.

    None when there is no such session, it was idle for ``idle_timeout``, it is ``absolute_timeout`` old,
    or its user is disabled; such a session is deleted.
    """
    _check_limits(idle_timeout, absolute_timeout)
    require_aware(now=now)
    if not _TOKEN_HASH.fullmatch(token_hash):
        return None

    async def transaction() -> LiveSession | None:
        async with sessions() as session, session.begin():
            found = (
                await session.execute(
                    select(_session, _user.c.username, _user.c.role, _user.c.active)
                    .join(_user, _user.c.id == _session.c.user_id)
                    .where(_session.c.id == token_hash)
                )
            ).first()
            if found is None:
                return None
            alive = (
                found.active
                and now < found.expires_at
                and now < found.last_seen_at + idle_timeout
                and now < found.created_at + absolute_timeout
            )
            if not alive:
                await session.execute(_session.delete().where(_session.c.id == token_hash))
                return None
            expires_at = _expiry(now, found.created_at, idle_timeout, absolute_timeout)
            moved = await session.execute(
                update(_session)
                .where(_session.c.id == token_hash)
                .values(last_seen_at=now, expires_at=expires_at)
                .returning(_session.c.id)
            )
            if moved.first() is None:  # logged out meanwhile
                return None
            return LiveSession(
                token_hash=token_hash,
                user_id=found.user_id,
                username=found.username,
                role=UserRole(found.role),
                csrf_token=found.csrf_token,
                address=found.address,
                created_at=found.created_at,
                last_seen_at=now,
                expires_at=expires_at,
            )

    return await with_retry(transaction, what="live_session")


async def delete_session(sessions: Sessions, token_hash: str) -> bool:
    """End the session under ``token_hash`` (logging out); False if there was none."""
    if not _TOKEN_HASH.fullmatch(token_hash):
        return False

    async def transaction() -> bool:
        async with sessions() as session, session.begin():
            result = await session.execute(_session.delete().where(_session.c.id == token_hash))
            return bool(result.rowcount)  # type: ignore[attr-defined]

    return await with_retry(transaction, what="delete_session")


async def delete_user_sessions(sessions: Sessions, user_id: int) -> int:
    """End every session of ``user_id`` and return how many there were."""

    async def transaction() -> int:
        async with sessions() as session, session.begin():
            result = await session.execute(_session.delete().where(_session.c.user_id == user_id))
            return int(result.rowcount)  # type: ignore[attr-defined]

    ended = await with_retry(transaction, what="delete_user_sessions")
    log.info("web_sessions_ended", user_id=user_id, count=ended)
    return ended


async def purge_expired_sessions(sessions: Sessions, now: datetime) -> int:
    """Delete sessions whose expiry has passed at ``now`` and return how many."""
    require_aware(now=now)

    async def transaction() -> int:
        async with sessions() as session, session.begin():
            result = await session.execute(_session.delete().where(_session.c.expires_at <= now))
            return int(result.rowcount)  # type: ignore[attr-defined]

    return await with_retry(transaction, what="purge_expired_sessions")


def _attempt_name(username: str) -> str:
    # Whatever a login form sent, cut to what a real name can be: still counted, never refused.
    return normalize_username(username)[:USERNAME_LENGTH]


async def record_login_attempt(
    sessions: Sessions, *, username: str, address: str, succeeded: bool, at: datetime
) -> None:
    """Store one login try by the typed ``username`` from ``address``."""
    require_aware(at=at)
    values = {
        "username": _attempt_name(username),
        "address": address[:ADDRESS_LENGTH],
        "succeeded": succeeded,
        "at": at,
    }

    async def transaction() -> None:
        async with sessions() as session, session.begin():
            await session.execute(_attempt.insert().values(values))

    await with_retry(transaction, what="record_login_attempt")


async def login_failures(
    sessions: Sessions, *, username: str, address: str, since: datetime
) -> LoginFailures:
    """Count failed logins at or after ``since`` for ``username`` (in any case) and from ``address``."""
    require_aware(since=since)
    failed = and_(_attempt.c.succeeded.is_(False), _attempt.c.at >= since)

    def count(condition: ColumnElement[bool]) -> ScalarSelect[int]:
        return select(func.count()).select_from(_attempt).where(failed, condition).scalar_subquery()

    async with sessions() as session:
        row = (
            await session.execute(
                select(
                    count(_attempt.c.username == _attempt_name(username)),
                    count(_attempt.c.address == address[:ADDRESS_LENGTH]),
                )
            )
        ).one()
    return LoginFailures(username=int(row[0]), address=int(row[1]))


async def purge_login_attempts(sessions: Sessions, cutoff: datetime) -> int:
    """Delete login attempts before ``cutoff`` and return how many."""
    require_aware(cutoff=cutoff)

    async def transaction() -> int:
        async with sessions() as session, session.begin():
            result = await session.execute(_attempt.delete().where(_attempt.c.at < cutoff))
            return int(result.rowcount)  # type: ignore[attr-defined]

    return await with_retry(transaction, what="purge_login_attempts")
